"""A platform's webhook endpoint per mode: its URL (`webhookEndpoint` of /config) and its signing key pair."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.errors import InvalidInput
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys, generate_signing_key
from railbook.kit.ids import new_id
from railbook.kit.urls import url_problem
from railbook.principal import Principal
from railbook.webhooks.events import TEST, emit
from railbook.webhooks.models import WebhookEndpoint


def find_endpoint(session: Session, platform_id: str, mode: Mode) -> WebhookEndpoint | None:
    """The (platform, mode) endpoint, if it exists."""
    return session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.platform_id == platform_id, WebhookEndpoint.mode == mode.value)
    )


def ensure_endpoint(session: Session, keys: MasterKeys, platform_id: str, mode: Mode) -> WebhookEndpoint:
    """The (platform, mode) endpoint, created without a URL and with a fresh P-256 key pair if missing."""
    existing = find_endpoint(session, platform_id, mode)
    if existing is not None:
        return existing
    endpoint_id = new_id("WebhookEndpoint")
    private_der, public_pem = generate_signing_key()
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        platform_id=platform_id,
        mode=mode.value,
        url=None,
        signing_key=keys.encrypt(private_der, endpoint_id.encode()),
        public_key_pem=public_pem,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def check_url(url: str, principal: Principal) -> None:
    """An absolute https URL with a host (plain http only in sandbox), by `kit.urls` rules."""
    problem = url_problem(url, allow_http=principal.is_sandbox)
    if problem:
        raise InvalidInput(
            "webhookEndpoint is not a usable URL",
            [{"field": "webhookEndpoint", "message": problem, "constraint": {"format": "url"}}],
        )


def set_url(session: Session, keys: MasterKeys, principal: Principal, url: str) -> WebhookEndpoint:
    """Point the caller's endpoint at `url`; a new or changed URL is sent a TEST webhook."""
    check_url(url, principal)
    endpoint = ensure_endpoint(session, keys, principal.platform_id, principal.mode)
    if url != endpoint.url:
        endpoint.url = url
        endpoint.updated_at = utcnow()
        emit(session, principal.platform_id, principal.mode, TEST, {})
    return endpoint
