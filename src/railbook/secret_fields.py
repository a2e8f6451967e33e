"""Every encrypted column, in one list, so key rotation cannot miss one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from railbook.customers.models import Customer
from railbook.db import Database
from railbook.kit.crypto import MasterKeys
from railbook.plaid.models import PlaidItem
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.webhooks.models import WebhookEndpoint


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding MasterKeys envelopes, whose associated data is the row's `id`."""

    name: str
    model: Any
    column: str


ENCRYPTED_COLUMNS = [
    EncryptedColumn("platform webhook signing keys", WebhookEndpoint, "signing_key"),
    EncryptedColumn("customer identifiers", Customer, "identifier"),
    EncryptedColumn("Plaid access tokens", PlaidItem, "access_token"),
    EncryptedColumn("stablecoin provider credentials", StablecoinProviderAccount, "credentials"),
]


def rotate_all(database: Database, keys: MasterKeys, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt, batch by batch, every value not already under the active key."""
    counts: dict[str, int] = {}
    for field in ENCRYPTED_COLUMNS:
        counts[field.name] = 0
        column = getattr(field.model, field.column)
        last_id = ""
        while True:
            with database.transaction() as session:
                rows = list(
                    session.scalars(
                        select(field.model)
                        .where(field.model.id > last_id, column.is_not(None))
                        .order_by(field.model.id)
                        .limit(batch_size)
                    )
                )
                for row in rows:
                    envelope = getattr(row, field.column)
                    if not keys.is_current(envelope):
                        associated = row.id.encode()
                        setattr(row, field.column, keys.encrypt(keys.decrypt(envelope, associated), associated))
                        counts[field.name] += 1
            if len(rows) < batch_size:
                break
            last_id = rows[-1].id
    return counts
