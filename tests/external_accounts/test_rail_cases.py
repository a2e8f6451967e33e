"""Table-driven rail rules: every JSON row under tests/rail_cases is posted to the real app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode
from railbook.db import Database
from tests.conftest import Token, make_token
from tests.support.spec import conform

CASES = Path(__file__).parents[1] / "rail_cases"
FAMILIES = sorted(path.stem for path in CASES.glob("*.json"))


def load(family: str) -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = json.loads((CASES / f"{family}.json").read_text())
    return loaded


def post(client: TestClient, token: Token, case: dict[str, Any]) -> Any:
    payload = {"currency": case["currency"], "accountInfo": case["accountInfo"]}
    payload.update(case.get("extra", {}))
    return client.post("/platform/external-accounts", json=payload, headers=token.headers)


@pytest.mark.parametrize("family", FAMILIES)
def test_rail_cases(family: str, client: TestClient, database: Database) -> None:
    cases = load(family)
    production = make_token(database, "acme", Mode.PRODUCTION)
    sandbox = make_token(database, "acme", Mode.SANDBOX)
    failures: list[str] = []
    for case in cases.get("valid", []):
        response = post(client, production, case)
        if response.status_code != 201:
            failures.append(f"valid {case['name']!r}: {response.status_code} {response.text}")
        else:
            conform(response)
    for case in cases.get("sandbox_only", []):
        refused = post(client, production, case)
        accepted = post(client, sandbox, case)
        if refused.status_code != 400 or accepted.status_code != 201:
            failures.append(f"sandbox_only {case['name']!r}: production {refused.status_code}, "
                            f"sandbox {accepted.status_code} {accepted.text}")  # fmt: skip
    for case in cases.get("invalid", []):
        response = post(client, production, case)
        body = response.json()
        fields = {error["field"] for error in body.get("details", {}).get("errors", [])}
        expected_code = case.get("code", "INVALID_INPUT")
        if response.status_code != 400 or body.get("code") != expected_code or fields != set(case["fields"]):
            failures.append(f"invalid {case['name']!r}: {response.status_code} {body.get('code')} {sorted(fields)}, "
                            f"expected {sorted(case['fields'])}")  # fmt: skip
    assert not failures, "\n".join(failures)
