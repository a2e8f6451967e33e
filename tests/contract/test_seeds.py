"""Every external-account curl example in the seed documents runs against Railbook and answers as shown."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from railbook.customers.service import ensure_example_customer
from railbook.db import Database
from railbook.principal import Principal
from tests.conftest import Token
from tests.support.documents import seed
from tests.support.spec import LEGACY, assert_schema

EXTERNAL_ACCOUNT_SEEDS = ["003_affd6691d87630f6.txt", "004_409c13406b40b7b6.txt"]
CURL = re.compile(r"curl (?:--request|-X) (?P<method>GET|POST)\s+(?:\\\s*)?(?:--url )?'?(?P<url>https://\S+?)'?\s")
DATA = re.compile(r"(?:--data|-d) '(?P<body>\{.*?\})'", re.S)


@dataclass(frozen=True)
class Example:
    """One curl command from a seed document."""

    seed: str
    method: str
    path: str
    body: dict[str, Any] | None
    response: dict[str, Any] | None


def examples() -> list[Example]:
    found = []
    for name in EXTERNAL_ACCOUNT_SEEDS:
        text = seed(name)
        starts = [match.start() for match in CURL.finditer(text)] + [len(text)]
        for match, end in zip(CURL.finditer(text), starts[1:], strict=True):
            chunk = text[match.start() : end]
            data = DATA.search(chunk)
            body = json.loads(data.group("body")) if data else None
            url = urlsplit(match.group("url"))
            path = url.path.removeprefix("/grid/2025-10-13") + (f"?{url.query}" if url.query else "")
            found.append(Example(name, match.group("method"), path, body, _response_after(chunk, data)))
    return found


def _response_after(chunk: str, data: re.Match[str] | None) -> dict[str, Any] | None:
    """The response example printed right after the request, when the seed shows one."""
    rest = chunk[data.end() :] if data else chunk
    start = rest.find('{\n  "id": "ExternalAccount:')
    if start < 0:
        return None
    depth = 0
    for index, char in enumerate(rest[start:], start):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            loaded: dict[str, Any] = json.loads(rest[start : index + 1])
            return loaded
    return None


# "ids, timestamps and status aside": the seed's values for these cannot be reproduced.
ASIDE = {"id", "customerId", "status"}


def assert_same_shape(shown: Any, actual: Any, sent: Any, path: str = "") -> None:
    """Each key the seed shows is answered with the same kind of value, unless it is an id or status,
    or an optional field the request did not send (the seeds' example answers show extra fields)."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), path
        for key, value in shown.items():
            if key in ASIDE:
                continue
            if key not in actual:
                assert isinstance(sent, dict) and key not in sent, f"{path}.{key} missing"
                continue
            inner = sent.get(key) if isinstance(sent, dict) else None
            assert_same_shape(value, actual[key], inner, f"{path}.{key}")
    else:
        assert type(shown) is type(actual), f"{path}: {shown!r} vs {actual!r}"


ALL = examples()


def test_the_seeds_hold_the_examples_we_expect() -> None:
    assert len(ALL) == 17
    assert sum(1 for example in ALL if example.response) >= 2


@pytest.mark.parametrize(
    "example",
    ALL,
    ids=lambda e: f"{e.seed[:3]}-{e.method}-{(e.body or {}).get('accountInfo', {}).get('accountType', e.path)}",
)
def test_seed_example(example: Example, client: TestClient, database: Database, token: Token) -> None:
    with database.transaction() as session:
        ensure_example_customer(session, Principal(token.id, token.platform_id, token.mode))
    # The seeds send `Basic $ID:$SECRET` unencoded; Railbook accepts that form too.
    headers = {"Authorization": f"Basic {token.id}:{token.secret}"}
    response = client.request(example.method, example.path, json=example.body, headers=headers)
    assert response.status_code == (201 if example.method == "POST" else 200), response.text
    body = response.json()
    if example.method == "POST":
        sent = example.body["accountInfo"]  # type: ignore[index]
        assert body["accountInfo"]["accountType"] == sent["accountType"]
        # Nothing the seed sends is dropped: seed 004's bankName (not in the legacy schemas) comes back.
        if "bankName" in sent:
            assert body["accountInfo"]["bankName"] == sent["bankName"]
        if body["accountInfo"]["accountType"] in {"US_ACCOUNT", "CLABE", "PIX", "IBAN", "UPI"}:
            checked = body
            if "taxId" not in body["accountInfo"] and body["accountInfo"]["accountType"] == "PIX":
                # Recorded exception (docs/decisions.md): seed 004's PIX example has no taxId; apart
                # from that one required field the answer must conform.
                checked = {**body, "accountInfo": {**body["accountInfo"], "taxId": "00000000000"}}
            assert_schema(checked, "ExternalAccount", LEGACY)
    if example.response is not None:
        assert_same_shape(example.response, body, example.body)
