"""Railbook's Brale client: OAuth2 client-credentials tokens (cached) and the account listing.

Services see only the exceptions defined here; httpx errors never escape, and no client secret, access token
or Authorization header ever appears in an exception message or a log line.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote_plus

import httpx

from railbook.config import Settings
from railbook.providers.http import build_http_client
from railbook.providers.issuer_api import IssuerCredentialsRejected, IssuerFailure, IssuerUnavailable

logger = logging.getLogger(__name__)

LIVE_AUTH_URL = "https://auth.brale.xyz"
LIVE_API_URL = "https://api.brale.xyz"
SIMULATOR_PATH = "/_simulators/brale"
# Stop using a token this long before Brale says it expires, so it cannot die in flight.
TOKEN_EXPIRY_MARGIN_SECONDS = 60.0
_RETRIED_STATUSES = frozenset({429, 503})
_BACKOFF_BASE_SECONDS = 0.2
# Only short plain words from Brale's answers go into messages: a misbehaving peer cannot echo a secret through.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A server bound to every interface is reached on loopback.
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104


class BraleFailure(IssuerFailure):
    """Base of every error the Brale client raises."""

    def __init__(self, message: str, *, http_status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.request_id = request_id


class BraleCredentialsRejected(BraleFailure, IssuerCredentialsRejected):
    """Brale refused the client id and secret (token endpoint 400/401, or API 401/403 to a fresh token)."""


class BraleUnavailable(BraleFailure, IssuerUnavailable):
    """Brale could not answer usefully: connection error, timeout, 5xx, persistent 429, unreadable answer."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, request_id=request_id)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Token:
    value: str
    usable_until: float  # time.monotonic()

    def __repr__(self) -> str:
        return "_Token(***)"


class BraleClient:
    """The Brale calls Railbook makes, against the simulator or Brale's hosts."""

    def __init__(
        self,
        auth_url: str,
        api_url: str,
        *,
        timeout_seconds: float = 10.0,
        max_retries: int = 2,
        max_retry_after_seconds: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self._token_url = f"{self.auth_url}/oauth2/token"
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after_seconds
        self._http = build_http_client(timeout_seconds, transport=transport)
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._fetching: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> BraleClient:
        """A client for Brale's hosts (`live`) or the simulator (`simulator`, mounted on this server by default)."""
        if settings.brale_env == "live":
            auth_url = settings.brale_auth_url or LIVE_AUTH_URL
            api_url = settings.brale_api_url or LIVE_API_URL
        else:
            host = "127.0.0.1" if settings.host in _WILDCARD_HOSTS else settings.host
            host = f"[{host}]" if ":" in host else host
            mounted = f"http://{host}:{settings.port}{SIMULATOR_PATH}"
            auth_url = settings.brale_auth_url or mounted
            api_url = settings.brale_api_url or mounted
        return cls(auth_url, api_url, timeout_seconds=settings.brale_timeout_seconds)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> BraleClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_account_ids(self, client_id: str, client_secret: str) -> list[str]:
        """The ids of every account these credentials can see (their own first, then managed ones), in order."""
        key = (client_id, hashlib.sha256(client_secret.encode()).hexdigest())
        token, fresh = self._token(key, client_id, client_secret)
        response = self._send("GET", f"{self.api_url}/accounts", headers=_bearer(token))
        if response.status_code in (401, 403) and not fresh:
            # Brale revoked or expired it before we expected: one new token, one more try.
            self._forget(key, token)
            token, fresh = self._token(key, client_id, client_secret)
            response = self._send("GET", f"{self.api_url}/accounts", headers=_bearer(token))
        if response.status_code in (401, 403):
            self._forget(key, token)
            raise _failure(BraleCredentialsRejected, "/accounts", response, "the API refused a fresh token")
        _raise_for_status("/accounts", response)
        return _account_ids(_json(response, "/accounts"), response)

    def _token(self, key: tuple[str, str], client_id: str, client_secret: str) -> tuple[str, bool]:
        """A usable access token and whether it was just obtained."""
        cached = self._cached(key)
        if cached is not None:
            return cached, False
        with self._lock:
            fetching = self._fetching.setdefault(key, threading.Lock())
        # One fetch per credentials at a time (concurrent callers wait for it and share the result), without
        # holding the shared lock, so a slow token endpoint never blocks other credentials' calls.
        with fetching:
            cached = self._cached(key)
            if cached is not None:
                return cached, False
            token = self._fetch_token(client_id, client_secret)
            with self._lock:
                now = time.monotonic()
                self._tokens = {other: kept for other, kept in self._tokens.items() if kept.usable_until > now}
                self._tokens[key] = token
        return token.value, True

    def _cached(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            cached = self._tokens.get(key)
            return cached.value if cached is not None and cached.usable_until > time.monotonic() else None

    def _forget(self, key: tuple[str, str], value: str) -> None:
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.value == value:
                del self._tokens[key]

    def _fetch_token(self, client_id: str, client_secret: str) -> _Token:
        # RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding (a no-op for plain ids).
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
        headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}", "Accept": "application/json"}
        started = time.monotonic()
        response = self._send("POST", self._token_url, headers=headers, data={"grant_type": "client_credentials"})
        if response.status_code in (400, 401, 403):
            body = _json_or_none(response)
            error = body.get("error") if isinstance(body, dict) else None
            known = isinstance(error, str) and _SAFE_TEXT.fullmatch(error)
            reason = f"token endpoint answered {error}" if known else "token endpoint refused"
            raise _failure(BraleCredentialsRejected, "/oauth2/token", response, reason)
        _raise_for_status("/oauth2/token", response)
        body = _json(response, "/oauth2/token")
        value = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in", 3600) if isinstance(body, dict) else None
        readable = isinstance(value, str) and value and not isinstance(expires_in, bool)
        if not readable or not isinstance(value, str) or not isinstance(expires_in, int | float):
            raise _failure(BraleUnavailable, "/oauth2/token", response, "answer without access_token/expires_in")
        return _Token(value, started + float(expires_in) - TOKEN_EXPIRY_MARGIN_SECONDS)

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        """One call, retrying 429/503 up to `max_retries` times; transport errors become BraleUnavailable."""
        endpoint = httpx.URL(url).path
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self._http.request(method, url, **options)
            except httpx.TimeoutException:
                logger.warning("brale call timed out", extra=_log(endpoint, None, started))
                raise BraleUnavailable(f"Brale {endpoint}: timed out") from None
            except httpx.HTTPError as exc:
                logger.warning("brale call failed", extra=_log(endpoint, None, started))
                raise BraleUnavailable(f"Brale {endpoint}: could not reach Brale ({type(exc).__name__})") from None
            logger.debug("brale call answered", extra=_log(endpoint, response.status_code, started))
            if response.status_code not in _RETRIED_STATUSES or attempt >= self._max_retries:
                return response
            retry_after = _retry_after(response)
            delay = _BACKOFF_BASE_SECONDS * 2**attempt if retry_after is None else retry_after
            time.sleep(min(max(delay, 0.0), self._max_retry_after))
            attempt += 1


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _log(endpoint: str, status: int | None, started: float) -> dict[str, Any]:
    return {
        "brale_endpoint": endpoint,
        "http_status": status,
        "elapsed_ms": round((time.monotonic() - started) * 1000),
    }


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _request_id(response: httpx.Response) -> str | None:
    value = response.headers.get("x-request-id")
    return value if isinstance(value, str) and _SAFE_TEXT.fullmatch(value) else None


def _failure(kind: type[BraleFailure], endpoint: str, response: httpx.Response, reason: str) -> BraleFailure:
    message = f"Brale {endpoint}: {reason} (HTTP {response.status_code})"
    request_id = _request_id(response)
    logger.warning(
        "brale call failed",
        extra={"brale_endpoint": endpoint, "http_status": response.status_code, "failure": kind.__name__},
    )
    if request_id:
        message += f" [request_id {request_id}]"
    if kind is BraleUnavailable:
        return BraleUnavailable(
            message, http_status=response.status_code, request_id=request_id, retry_after=_retry_after(response)
        )
    return kind(message, http_status=response.status_code, request_id=request_id)


def _raise_for_status(endpoint: str, response: httpx.Response) -> None:
    if response.status_code == 429:
        raise _failure(BraleUnavailable, endpoint, response, "still rate limited after retries")
    if response.status_code >= 500:
        raise _failure(BraleUnavailable, endpoint, response, "server error")
    if response.status_code != 200:
        raise _failure(BraleUnavailable, endpoint, response, "unexpected answer")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _json(response: httpx.Response, endpoint: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _failure(BraleUnavailable, endpoint, response, "answer is not JSON") from None


def _account_ids(body: Any, response: httpx.Response) -> list[str]:
    """Ids from `{"accounts": [id, ...]}`, `{"accounts": [{"id": ...}, ...]}` or a bare list of either."""
    entries = body.get("accounts") if isinstance(body, dict) else body
    if not isinstance(entries, list):
        raise _failure(BraleUnavailable, "/accounts", response, "answer without an accounts list")
    ids: list[str] = []
    for entry in entries:
        account_id = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(account_id, str) or not account_id:
            raise _failure(BraleUnavailable, "/accounts", response, "account entry without an id")
        ids.append(account_id)
    return ids
