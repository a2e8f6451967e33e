"""The Brale simulator in tests: its switches, the seed request, and a link call."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from railbook.config import Settings
from tests.support import loopback
from tests.support.documents import seed

SEED = "000_4af8e4f24c982d42.txt"
PATH = "/stablecoin-provider-accounts"


def seed_request() -> dict[str, Any]:
    """The link request of seed 000, exactly as the documentation prints it."""
    text = seed(SEED)
    match = re.search(r"--data '\s*(\{.*?\})\s*'", text, re.S)
    assert match, "seed 000 has no request body"
    body: dict[str, Any] = json.loads(match.group(1))
    return body


class BraleControl:
    """The simulator's test switches."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, name: str, **body: Any) -> None:
        response = loopback.post(f"{self.url}/_control/{name}", json=body, timeout=5)
        assert response.status_code == 200, response.text

    def calls(self, endpoint: str) -> int:
        count: int = loopback.get(f"{self.url}/_control/state", timeout=5).json()["calls"].get(endpoint, 0)
        return count


def brale_settings(settings: Settings, brale_url: str, **extra: Any) -> Settings:
    return settings.model_copy(update={"brale_auth_url": brale_url, "brale_api_url": brale_url, **extra})


def link(api: TestClient, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return api.post(PATH, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})
