"""One builder makes every new external-account row, and it fills exactly the table's columns."""

from __future__ import annotations

from dataclasses import fields

from railbook.db import table_of
from railbook.external_accounts.models import ExternalAccount, NewAccount
from railbook.external_accounts.rails.us import UsdAccount
from railbook.external_accounts.review import Review
from railbook.external_accounts.rows import new_account_row


def test_the_builders_fields_are_the_tables_columns() -> None:
    columns = {column.key for column in table_of(ExternalAccount).columns}
    assert {field.name for field in fields(NewAccount)} == columns


def test_the_builder_derives_the_columns_from_the_parsed_account() -> None:
    info = UsdAccount.model_validate(
        {
            "accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Ada Lovelace"},
        }
    )  # fmt: skip
    review = Review(verification="PENDING", status="PENDING")
    row = new_account_row(
        platform_id="Platform:1", mode="SANDBOX", customer_id=None, info=info, stored=info.stored(),
        currency="USD", review=review,
    )  # fmt: skip
    assert row.id.startswith("ExternalAccount:")
    assert (row.owner_key, row.account_type, row.legacy_type, row.is_default) == ("platform", "USD_ACCOUNT", None, None)
    assert (row.status, row.verification_status, row.primary_identifier) == (
        "PENDING",
        "PENDING",
        info.primary_identifier(),
    )
    assert row.created_at == row.updated_at and row.deleted_at is None
