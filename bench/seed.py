"""Bulk-seed customers and external accounts straight into the database, row for row what the API writes.

Each body is parsed by Railbook's own parser and reviewed by its own sandbox review, so `account_info`,
`primary_identifier`, the status and the verification fields are exactly those `POST
/customers/external-accounts` would store; the rows then go in with multi-row INSERTs instead of one
request each. Customers are copies of one created through the API.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

import railbook.tables  # noqa: F401 - every table, for foreign keys that span domains
from bench.pool import BodyFactory
from railbook.config import Mode
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.discovered import build_directory
from railbook.external_accounts.models import ExternalAccount, StatusChange
from railbook.external_accounts.parsing import parse_create
from railbook.external_accounts.repository import count_changes, side_of
from railbook.external_accounts.rows import new_account_row
from railbook.external_accounts.service import review_at_creation
from railbook.kit.clock import utcnow
from railbook.kit.ids import new_id
from railbook.principal import Principal

ACCOUNTS_PER_CUSTOMER = 25
BATCH = 5000

# The directory of a default deployment, which is what the benchmark serves.
DIRECTORY = build_directory(None, None)


@dataclass
class Seeder:
    """Grows the seeded population; remembers its customers so list benchmarks can pick among them."""

    database: Database
    principal: Principal
    template_customer_id: str
    factory: BodyFactory = field(default_factory=lambda: BodyFactory(seed=11))
    customers: list[str] = field(default_factory=list)
    accounts: int = 0
    seconds: float = 0.0
    # Seeded history starts a year back and moves forward a little with every row.
    clock: datetime = field(default_factory=lambda: utcnow() - timedelta(days=365))

    def grow_to(self, total: int) -> None:
        """Add customers and accounts until `total` seeded accounts exist."""
        started = time.perf_counter()
        while self.accounts < total:
            batch = min(BATCH, total - self.accounts)
            self._add(batch)
        self.seconds += time.perf_counter() - started

    def _add(self, count: int) -> None:
        fresh = [new_id("Customer") for _ in range(-(-count // ACCOUNTS_PER_CUSTOMER))]
        accounts: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for index in range(count):
            # Customers' accounts interleave in time, as they would when opened over months.
            customer_id = fresh[index % len(fresh)]
            self.clock += timedelta(microseconds=997)
            row = self._account_row(customer_id, self.clock)
            accounts.append(row)
            audits.append(
                {
                    "external_account_id": row["id"],
                    "from_status": None,
                    "to_status": row["status"],
                    "reason": "created",
                    "actor": f"token:{self.principal.token_id}",
                    "created_at": self.clock,
                }
            )
        with self.database.transaction() as session:
            template = session.get(Customer, self.template_customer_id)
            assert template is not None
            session.execute(insert(Customer), [self._customer_row(template, customer_id) for customer_id in fresh])
            session.execute(insert(ExternalAccount), accounts)
            session.execute(insert(StatusChange), audits)
            # Counted as the API's inserts are, so list totals stay exact.
            per_count = Counter(
                (row["platform_id"], row["mode"], side_of(row["owner_key"]), row["currency"]) for row in accounts
            )
            for (platform_id, mode, side, currency), added in per_count.items():
                count_changes(session.connection(), platform_id, mode, side, currency, added)
        self.customers += fresh
        self.accounts += count

    def _customer_row(self, template: Customer, customer_id: str) -> dict[str, Any]:
        handle = customer_id.split(":", 1)[1].replace("-", "")
        return {
            "id": customer_id,
            "platform_id": template.platform_id,
            "mode": template.mode,
            "customer_type": template.customer_type,
            "platform_customer_id": f"seed-{handle}",
            "uma_address": f"${handle}@railbook.local",
            "region": template.region,
            "currencies": template.currencies,
            "verification_status": template.verification_status,
            "profile": template.profile,
            "created_at": self.clock,
            "updated_at": self.clock,
        }

    def _account_row(self, customer_id: str, created_at: datetime) -> dict[str, Any]:
        body = {**self.factory.body(), "customerId": customer_id}
        parsed = parse_create(body, self.principal, DIRECTORY, customer_path=True)
        stored = parsed.info.stored()
        row = new_account_row(
            platform_id=self.principal.platform_id,
            mode=self.principal.mode.value,
            customer_id=customer_id,
            info=parsed.info,
            stored=stored,
            currency=parsed.envelope.currency,
            review=review_at_creation(self.principal, parsed, stored),
            crypto_network=parsed.crypto_network,
            created_at=created_at,
        )
        return asdict(row)

    def sample_account_ids(self, count: int) -> list[str]:
        """Up to `count` ids of live accounts of this platform, drawn at random from everything stored."""
        with self.database.reading() as session:
            statement = (
                select(ExternalAccount.id)
                .where(ExternalAccount.platform_id == self.principal.platform_id)
                .order_by(func.random())
                .limit(count)
            )
            return list(session.scalars(statement))

    def analyze(self) -> None:
        """PostgreSQL: refresh planner statistics now (autovacuum would, some time after a bulk load)."""
        if not self.database.is_sqlite:
            with self.database.transaction() as session:
                session.execute(text("ANALYZE"))


def stored_accounts(database: Database, platform_id: str) -> int:
    """How many external accounts the platform has."""
    with database.reading() as session:
        statement = select(func.count()).select_from(ExternalAccount).where(ExternalAccount.platform_id == platform_id)
        return int(session.scalar(statement) or 0)


def sandbox_principal(token_id: str, platform_id: str) -> Principal:
    """The principal the seeded rows belong to (the benchmark token's)."""
    return Principal(token_id, platform_id, Mode.SANDBOX)
