"""The README's "Sandbox test values" are what the code does: every row checked, so the two cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from railbook.customers.service import _SANDBOX_KYC_BY_SUFFIX as KYC_BY_SUFFIX
from railbook.external_accounts.review import (
    INVALID_ACCOUNT_SUFFIX,
    SANDBOX_OUTCOMES,
    STATUS_FOR_VERIFICATION,
    compare_names,
)
from railbook.plaid.service import USABLE_SUBTYPES
from railbook.providers.brale.simulator.state import BUILT_IN_CLIENTS
from railbook.providers.plaid.simulator.data import (
    AUTH_SUBTYPES,
    DEFAULT_INSTITUTION_ID,
    INSTITUTIONS,
    ROUTING,
    USER_GOOD_ACCOUNTS,
    user_good_owner,
)

README = Path(__file__).resolve().parents[2] / "README.md"
OTHERWISE = "anything else"
Table = list[list[str]]


def section(title: str) -> str:
    """The README's text under `## title`, up to the next `## ` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def tables(text: str) -> dict[str, Table]:
    """Each Markdown table of the text, keyed by its header row, as rows of cells without backticks."""
    found: dict[str, Table] = {}
    for block in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.MULTILINE):
        rows = [
            [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]
            for line in block.splitlines()
        ]
        found[" | ".join(rows[0])] = rows[2:]  # rows[1] is the |---| line
    return found


SANDBOX = section("Sandbox test values")
TABLES = tables(SANDBOX)


def table(header: str) -> Table:
    assert header in TABLES, f"no table {header!r} under 'Sandbox test values': {list(TABLES)}"
    return TABLES[header]


def test_kyc_rows_are_the_code_table_and_what_customers_get(api: TestClient) -> None:
    rows = {suffix: status for suffix, status in table("fullName ends in | kycStatus")}
    assert {suffix: status for suffix, status in rows.items() if suffix != OTHERWISE} == KYC_BY_SUFFIX
    for suffix, status in rows.items():
        name = "Jane Doe" if suffix == OTHERWISE else f"Jane Doe {suffix}"
        response = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": name})
        assert (response.status_code, response.json()["kycStatus"]) == (201, status), name


def test_account_suffix_rows_are_the_code_tables() -> None:
    rows = table("identifier ends in | beneficiaryVerificationStatus | status")
    documented = {suffix: (verification, status) for suffix, verification, status in rows}
    assert "INVALID_BANK_ACCOUNT" in documented.pop(INVALID_ACCOUNT_SUFFIX)[0]
    expected = {
        suffix: (outcome, STATUS_FOR_VERIFICATION[outcome].value) for suffix, outcome in SANDBOX_OUTCOMES.items()
    }
    expected[OTHERWISE] = ("MATCHED", STATUS_FOR_VERIFICATION["MATCHED"].value)
    assert documented == expected


@pytest.mark.parametrize(
    "row", table("identifier ends in | beneficiaryVerificationStatus | status"), ids=lambda r: r[0]
)
def test_each_account_suffix_does_what_the_readme_says(api: TestClient, row: list[str]) -> None:
    suffix, verification, status = row
    number = "555000999" if suffix == OTHERWISE else f"555000{suffix}"
    response = api.post("/customers/external-accounts", json={"currency": "USD", "accountInfo": {
        "accountType": "USD_ACCOUNT", "accountNumber": number, "routingNumber": "011401533",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}})  # fmt: skip
    if suffix == INVALID_ACCOUNT_SUFFIX:
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_BANK_ACCOUNT")
        assert api.get("/customers/external-accounts").json()["totalCount"] == 0
        return
    body = response.json()
    assert (response.status_code, body["beneficiaryVerificationStatus"], body["status"]) == (201, verification, status)


def test_plaid_institutions_and_accounts_are_the_simulators() -> None:
    institutions = {
        identifier: name.removesuffix(" (the default)") for identifier, name in table("institution id | name")
    }
    assert institutions == INSTITUTIONS
    assert f"{DEFAULT_INSTITUTION_ID} | {INSTITUTIONS[DEFAULT_INSTITUTION_ID]} (the default)" in [
        " | ".join(row) for row in table("institution id | name")
    ]
    linkable = [
        [account.mask, account.name, account.subtype, account.account_number]
        for account in USER_GOOD_ACCOUNTS
        if account.subtype in AUTH_SUBTYPES and account.type == "depository" and account.subtype in USABLE_SUBTYPES
    ]
    assert table("mask | account | subtype | account number") == linkable
    assert f"routing\nnumber `{ROUTING}`" in SANDBOX or f"routing number `{ROUTING}`" in SANDBOX
    assert "/_simulators/plaid/link?token=<linkToken>" in SANDBOX


def test_the_plaid_holder_name_and_how_a_link_ends_active() -> None:
    holder = user_good_owner()["names"][0]
    assert f"The account holder is **{holder}**" in SANDBOX
    assert f'"fullName": "{holder}"' in SANDBOX
    assert STATUS_FOR_VERIFICATION[compare_names(holder, holder)].value == "ACTIVE"
    # The README's example of a close name, and what it says such names get.
    assert "such as `Alberta Charleson` is PARTIAL_MATCH" in SANDBOX
    assert compare_names("Alberta Charleson", holder) == "PARTIAL_MATCH"
    assert (
        STATUS_FOR_VERIFICATION["PARTIAL_MATCH"].value == STATUS_FOR_VERIFICATION["NOT_MATCHED"].value == "UNDER_REVIEW"
    )


def test_brale_credentials_are_the_simulators() -> None:
    rows = table("apiClientId | apiClientSecret | providerAccountIds reached")
    documented = {(client, secret, tuple(accounts.split(", "))) for client, secret, accounts in rows}
    assert documented == {(client.client_id, client.client_secret, client.accounts) for client in BUILT_IN_CLIENTS}


def test_the_readme_says_where_the_cli_is() -> None:
    assert "The command is `.venv/bin/railbook`" in section("Command line")
