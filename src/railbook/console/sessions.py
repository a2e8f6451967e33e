"""Console sessions: a signed cookie naming the operator, with the CSRF token every form must echo."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

COOKIE = "railbook_console"
LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in operator."""

    operator_id: str
    operator_name: str
    csrf: str
    expires: int
    # The operator's session epoch when signed in: a sign-out raises it, ending every earlier cookie.
    epoch: int = 0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(
    key: bytes, operator_id: str, operator_name: str, epoch: int, *, now: float | None = None
) -> tuple[str, ConsoleSession]:
    """A new session and its cookie value (payload.mac)."""
    expires = int((now or time.time()) + LIFETIME_SECONDS)
    session = ConsoleSession(operator_id, operator_name, secrets.token_urlsafe(24), expires, epoch)
    payload = orjson.dumps([session.operator_id, session.operator_name, session.csrf, session.expires, epoch])
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}", session


def read(key: bytes, cookie: str | None, *, now: float | None = None) -> ConsoleSession | None:
    """The session a cookie holds, when it is ours, intact and unexpired."""
    if not cookie:
        return None
    payload_text, sep, mac_text = cookie.partition(".")
    if not sep:
        return None
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
        if not hmac.compare_digest(mac, _mac(key, payload)):
            return None
        operator_id, operator_name, csrf, expires, epoch = orjson.loads(payload)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None
    if not isinstance(expires, int) or not isinstance(epoch, int) or expires < (now or time.time()):
        return None
    return ConsoleSession(str(operator_id), str(operator_name), str(csrf), expires, epoch)


def csrf_matches(session: ConsoleSession, sent: str | None) -> bool:
    """Whether a form echoed the session's CSRF token."""
    return sent is not None and hmac.compare_digest(session.csrf.encode(), sent.encode())


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"console-session\x00" + payload, hashlib.sha256).digest()
