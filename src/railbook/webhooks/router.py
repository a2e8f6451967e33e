"""POST /webhooks/test (and its earlier path under /sandbox): send a TEST webhook, report what the receiver said."""

from __future__ import annotations

from railbook.config import Settings
from railbook.db import Database
from railbook.errors import GridError, NotFound
from railbook.kit.crypto import MasterKeys
from railbook.kit.wire import JSONBody
from railbook.principal import Principal
from railbook.routing import api_router
from railbook.web import DB, AppSettings, Caller, Keys, Sender
from railbook.webhooks.delivery import attempt_delivery, mark_failed, record
from railbook.webhooks.endpoints import ensure_endpoint
from railbook.webhooks.events import TEST, new_event

router = api_router("Sandbox")


@router.post("/webhooks/test", tags=["Webhooks"])
def send_test_webhook(caller: Caller, database: DB, keys: Keys, sender: Sender, settings: AppSettings) -> JSONBody:
    """Deliver a TEST webhook synchronously, in sandbox and production (Grid's path since 2026-09)."""
    return _send_test_webhook(caller, database, keys, sender, settings)


# Grid's earlier path, for clients written before it moved: sandbox tokens only, as it was then.
@router.post("/sandbox/webhooks/test", include_in_schema=False)
def send_sandbox_test_webhook(
    caller: Caller, database: DB, keys: Keys, sender: Sender, settings: AppSettings
) -> JSONBody:
    """Deliver a TEST webhook synchronously (sandbox tokens only): the earlier path of `POST /webhooks/test`."""
    if not caller.is_sandbox:
        raise NotFound("REFERENCE_NOT_FOUND", "The sandbox endpoints exist only for sandbox tokens")
    return _send_test_webhook(caller, database, keys, sender, settings)


def _send_test_webhook(
    caller: Principal, database: Database, keys: MasterKeys, sender: Sender, settings: Settings
) -> JSONBody:
    with database.transaction() as session:
        if not ensure_endpoint(session, keys, caller.platform_id, caller.mode).url:
            raise GridError(400, "WEBHOOK_ENDPOINT_NOT_SET", "Set webhookEndpoint with PATCH /config first")
        event_id = new_event(session, caller.platform_id, caller.mode, TEST, {}, None).id
    attempt = attempt_delivery(database, keys, sender, settings, event_id)
    # new_event() queued no delivery job for this event, so nothing else can have sent it.
    assert attempt is not None
    with database.writing() as connection:
        record(connection, attempt)
        if attempt.status_code is None:
            mark_failed(connection, event_id)
    if attempt.status_code is None:
        raise GridError(
            400,
            "WEBHOOK_DELIVERY_ERROR",
            f"The webhook endpoint could not be reached: {attempt.error}",
            {"url": attempt.url} if attempt.url else None,
        )
    body: dict[str, object] = {"url": attempt.url, "response_status": attempt.status_code}
    if attempt.response_body:
        body["response_body"] = attempt.response_body
    return JSONBody(body)
