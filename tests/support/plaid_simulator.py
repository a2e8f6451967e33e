"""The Plaid simulator in tests: Plaid's spec as JSON Schema, a hand-moved clock, recorded answers."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from railbook.providers.plaid.client import (
    PlaidClient,
)
from railbook.providers.plaid.simulator import SimulatorState
from tests.support import loopback
from tests.support.documents import REFERENCE

CLIENT_ID = "railbook-sandbox"
SECRET = "railbook-sandbox-secret-for-tests"
PLAID_SPEC = REFERENCE / "plaid-subset.openapi.yaml"
SPEC_URI = "urn:railbook:plaid-subset"


# --- Plaid's spec (OpenAPI 3.0) as JSON Schema 2020-12 -------------------------------------------------------


def nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` becomes JSON Schema's explicit null."""
    if isinstance(node, list):
        return [nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: (f"{SPEC_URI}{value}" if key == "$ref" and value.startswith("#") else nullable(value))
        for key, value in node.items()
        if key != "nullable"
    }
    if not node.get("nullable"):
        return converted
    if "enum" in converted and None not in converted["enum"]:
        converted["enum"] = [*converted["enum"], None]
    if "type" in converted:
        converted["type"] = [converted["type"], "null"]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


@functools.cache
def plaid_spec() -> dict[str, Any]:
    with PLAID_SPEC.open() as handle:
        converted: dict[str, Any] = nullable(yaml.load(handle, Loader=yaml.CSafeLoader))
    return converted


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(plaid_spec(), default_specification=DRAFT202012))


def assert_plaid_response(path: str, status: int, body: Any) -> None:
    """The body matches what Plaid's spec declares for this path and status (200, else PlaidError)."""
    responses = plaid_spec()["paths"][path]["post"]["responses"]
    declared = responses.get(str(status), responses.get("default"))
    if declared is None:  # /auth/get and /identity/get declare only 200: errors are PlaidError everywhere.
        declared = {"content": {"application/json": {"schema": {"$ref": f"{SPEC_URI}#/components/schemas/PlaidError"}}}}
    schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{path} {status}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    if status != 200:
        assert body["request_id"] and body["error_code"] and body["error_type"]


# --- The simulator on a real server ---------------------------------------------------------------------------


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Recorder:
    """Every answer the simulator gave: (path, status, parsed body)."""

    exchanges: list[tuple[str, int, Any]] = field(default_factory=list)


def recording(app: Any, recorder: Recorder) -> Any:
    async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, capture)
        recorder.exchanges.append((scope["path"], status, json.loads(b"".join(chunks) or b"null")))

    return recorded


@dataclass
class Simulator:
    """A running simulator: its URL, state, clock and recorded answers."""

    url: str
    state: SimulatorState
    clock: FakeClock
    recorder: Recorder

    def client(self, *, secret: str = SECRET, timeout_seconds: float = 5.0) -> PlaidClient:
        """Railbook's Plaid client pointed at this simulator."""
        return PlaidClient("simulator", CLIENT_ID, secret, base_url=self.url, timeout_seconds=timeout_seconds)

    def control(self, path: str, **body: Any) -> httpx.Response:
        """POST a test switch."""
        response = loopback.post(f"{self.url}/_control/{path}", json=body, timeout=5)
        assert response.status_code == 200, response.text
        return response

    def assert_all_valid(self) -> None:
        """Every recorded Plaid answer validates against plaid-subset.openapi.yaml."""
        checked = [entry for entry in self.recorder.exchanges if entry[0] in plaid_spec()["paths"]]
        for path, status, body in checked:
            assert_plaid_response(path, status, body)


def linked(client: PlaidClient) -> str:
    public_token = client.create_sandbox_public_token("ins_109508", ["auth", "identity"])
    return client.exchange_public_token(public_token).access_token
