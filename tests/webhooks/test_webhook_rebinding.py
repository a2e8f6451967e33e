"""DNS rebinding: a production delivery connects to the address it checked, never to a second answer."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import select

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.keys import load_master_keys
from railbook.providers.http import build_sender
from railbook.tasks import build_worker
from railbook.webhooks.endpoints import ensure_endpoint
from railbook.webhooks.events import TEST, emit
from railbook.webhooks.models import WebhookAttempt
from tests.conftest import make_token
from tests.support.receiver import running_receiver

REBINDING_NAME = "rebind.railbook.test"
PUBLIC_ADDRESS = "192.88.99.1"  # a global address this machine cannot reach (no network here)


def test_a_name_that_turns_private_after_the_check_is_not_reached(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        # DNS cannot run here: this stands in for a name server answering public, then private.
        if host != REBINDING_NAME:
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = PUBLIC_ADDRESS if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    production = make_token(database, "acme", Mode.PRODUCTION)
    configured = settings.model_copy(update={"webhook_timeout_seconds": 1.0, "webhook_allow_private": False})
    keys = load_master_keys(configured)
    with running_receiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/", 1)[0]
        with database.transaction() as session:
            # Stored directly: a production endpoint must be https, and the receiver here speaks http.
            endpoint = ensure_endpoint(session, keys, production.platform_id, Mode.PRODUCTION)
            endpoint.url = f"http://{REBINDING_NAME}:{port}/webhooks"
            emit(session, production.platform_id, Mode.PRODUCTION, TEST, {})
        with build_sender() as sender:
            worker = build_worker(configured, database, keys, sender)
            assert worker.run_once() >= 1
        assert receiver.deliveries == []
    with database.reading() as session:
        [attempt] = session.scalars(select(WebhookAttempt)).all()
    assert attempt.outcome == "failed" and attempt.status_code is None
    assert answers == [PUBLIC_ADDRESS]  # resolved once, by the check
