"""Railbook's Plaid client: plaid-python underneath, Railbook's own results and exceptions on top.

Services see only the exceptions defined here; plaid, urllib3 and socket errors never escape, and no secret,
access token or public token ever appears in an exception message or a log line.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal, TypeVar

import plaid
import urllib3
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from pydantic import ValidationError

from railbook.config import Settings
from railbook.providers.plaid import answers
from railbook.providers.plaid.results import (
    AccountOwner,
    AchNumbers,
    ExchangedItem,
    IdentityAccount,
    ItemAccounts,
    ItemIdentity,
    LinkToken,
    OwnerAddress,
    PlaidAccount,
)

logger = logging.getLogger(__name__)
Answer = TypeVar("Answer", bound=answers.PlaidAnswer)
# plaid-python logs every response body at DEBUG, access tokens included: never let that through.
logging.getLogger("plaid.rest").setLevel(logging.INFO)

PlaidEnvironment = Literal["simulator", "sandbox", "production"]
HOSTS: dict[str, str] = {"sandbox": plaid.Environment.Sandbox, "production": plaid.Environment.Production}
_TOKEN_PATTERN = re.compile(r"\b(access|public|link)-[a-z]+-[0-9a-fA-F-]{8,}")
_TOKEN_CODES = frozenset({"INVALID_PUBLIC_TOKEN", "INVALID_ACCESS_TOKEN", "INVALID_LINK_TOKEN", "ITEM_NOT_FOUND"})
# The calls that change nothing at Plaid, so may be sent twice.
READS = frozenset({"/link/token/get", "/auth/get", "/identity/get", "/accounts/get"})
# Item errors that clear up by themselves: retry later rather than give up.
_TRANSIENT_ITEM_CODES = frozenset({"PRODUCT_NOT_READY", "INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING"})


class PlaidFailure(Exception):
    """Base of every error the Plaid client raises; `retryable` says whether trying again later can help."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        error_code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        display_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.error_code = error_code
        self.http_status = http_status
        self.request_id = request_id
        self.display_message = display_message


class PlaidInvalidToken(PlaidFailure):
    """The public, access or link token is unknown, expired, already used or removed."""


class PlaidItemLoginRequired(PlaidFailure):
    """The Item needs its user (ITEM_LOGIN_REQUIRED) or is otherwise permanently unusable; see `error_code`."""


class PlaidRateLimited(PlaidFailure):
    """Plaid refused the call for its rate limits; retry with backoff."""

    retryable = True


class PlaidUnavailable(PlaidFailure):
    """Plaid (or the bank behind it) could not answer: 5xx, timeout, connection failure, unreadable answer."""

    retryable = True


class PlaidRequestRejected(PlaidFailure):
    """Plaid rejected the request itself (bad keys, invalid field, unknown product): a bug or misconfiguration."""


class PlaidClient:
    """The Plaid calls Railbook makes, against the simulator, Plaid's sandbox or production."""

    def __init__(
        self,
        environment: PlaidEnvironment,
        client_id: str,
        secret: str,
        *,
        base_url: str | None = None,
        timeout_seconds: float = 10.0,
        client_name: str = "Railbook",
    ) -> None:
        if environment == "simulator":
            if not base_url:
                raise ValueError("the simulator environment needs base_url")
            host = base_url.rstrip("/")
        elif environment in HOSTS:
            host = base_url.rstrip("/") if base_url else HOSTS[environment]
        else:
            raise ValueError(f"unknown Plaid environment {environment!r}")
        configuration = plaid.Configuration(host=host, api_key={"clientId": client_id, "secret": secret})
        # One connect retry is safe (nothing was sent); anything more is the caller's retry policy.
        configuration.retries = urllib3.util.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0)
        self._api_client = plaid.ApiClient(configuration)
        self._secrets = tuple(value for value in (secret,) if value)
        self._timeout = timeout_seconds
        self._client_name = client_name
        self.environment = environment

    @functools.cached_property
    def _api(self) -> plaid_api.PlaidApi:
        # Built on first use: plaid-python builds an object per Plaid endpoint (about 25 ms), and
        # most processes that hold a client (every app, every worker) call Plaid rarely or never.
        return plaid_api.PlaidApi(self._api_client)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, simulator_url: str | None = None, timeout_seconds: float = 10.0
    ) -> PlaidClient:
        """A client built from Railbook's settings (plaid_env, plaid_client_id, plaid_secret)."""
        return cls(
            settings.plaid_env,
            settings.plaid_client_id,
            settings.plaid_secret,
            base_url=simulator_url,
            timeout_seconds=timeout_seconds,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._api_client.close()

    def __enter__(self) -> PlaidClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def create_link_token(
        self,
        client_user_id: str,
        *,
        products: Iterable[str] = ("auth", "identity"),
        country_codes: Iterable[str] = ("US",),
        language: str = "en",
        webhook: str | None = None,
        redirect_uri: str | None = None,
    ) -> LinkToken:
        """A Link token for one end user (Plaid keeps it valid for 4 hours)."""
        fields: dict[str, Any] = {}
        if webhook:
            fields["webhook"] = webhook
        if redirect_uri:
            fields["redirect_uri"] = redirect_uri
        request = LinkTokenCreateRequest(
            client_name=self._client_name,
            language=language,
            country_codes=[CountryCode(code) for code in country_codes],
            user=LinkTokenCreateRequestUser(client_user_id=client_user_id),
            products=[Products(product) for product in products],
            **fields,
        )
        answer = self._call("/link/token/create", self._api.link_token_create, request, answers.LinkTokenCreated)
        return LinkToken(answer.link_token, answer.expiration)

    def create_sandbox_public_token(self, institution_id: str, products: Iterable[str] = ("auth", "identity")) -> str:
        """A public token for a new sandbox Item, skipping Link (sandbox and simulator only)."""
        request = SandboxPublicTokenCreateRequest(
            institution_id=institution_id, initial_products=[Products(product) for product in products]
        )
        answer = self._call(
            "/sandbox/public_token/create", self._api.sandbox_public_token_create, request, answers.SandboxPublicToken
        )
        return answer.public_token

    def link_public_tokens(self, link_token: str) -> frozenset[str]:
        """The public tokens the Link sessions of a link token handed out (`/link/token/get`)."""
        request = LinkTokenGetRequest(link_token=link_token)
        answer = self._call(
            "/link/token/get", self._api.link_token_get, request, answers.LinkTokenSessions, hide=(link_token,)
        )
        return _session_public_tokens(answer.link_sessions or [])

    def exchange_public_token(self, public_token: str) -> ExchangedItem:
        """Spend a public token (single use, 30 minutes) for a permanent access token and the Item id."""
        request = ItemPublicTokenExchangeRequest(public_token=public_token)
        answer = self._call(
            "/item/public_token/exchange",
            self._api.item_public_token_exchange,
            request,
            answers.PublicTokenExchanged,
            hide=(public_token,),
        )
        return ExchangedItem(answer.access_token, answer.item_id)

    def get_auth(self, access_token: str) -> ItemAccounts:
        """The Item's checking and savings accounts with their ACH numbers, and the institution."""
        request = AuthGetRequest(access_token=access_token)
        answer = self._call("/auth/get", self._api.auth_get, request, answers.AuthAnswer, hide=(access_token,))
        ach = {numbers.account_id: numbers for numbers in answer.numbers.ach}
        return _item_accounts(answer, ach)

    def get_accounts(self, access_token: str) -> ItemAccounts:
        """The Item's accounts (no numbers)."""
        request = AccountsGetRequest(access_token=access_token)
        answer = self._call(
            "/accounts/get", self._api.accounts_get, request, answers.ItemAccountsAnswer, hide=(access_token,)
        )
        return _item_accounts(answer, {})

    def get_identity(self, access_token: str) -> ItemIdentity:
        """The owners (names, addresses, emails, phones) of each account of the Item."""
        request = IdentityGetRequest(access_token=access_token)
        answer = self._call(
            "/identity/get", self._api.identity_get, request, answers.IdentityAnswer, hide=(access_token,)
        )
        item = answer.item
        accounts = tuple(
            IdentityAccount(_account(account, {}), tuple(_owner(owner) for owner in account.owners))
            for account in answer.accounts
        )
        return ItemIdentity(item.item_id, item.institution_id, item.institution_name, accounts)

    def remove_item(self, access_token: str) -> None:
        """Remove the Item; its access token stops working."""
        request = ItemRemoveRequest(access_token=access_token)
        self._call("/item/remove", self._api.item_remove, request, answers.PlaidAnswer, hide=(access_token,))

    def sandbox_reset_login(self, access_token: str) -> None:
        """Force the Item into ITEM_LOGIN_REQUIRED (sandbox and simulator only)."""
        request = SandboxItemResetLoginRequest(access_token=access_token)
        self._call(
            "/sandbox/item/reset_login",
            self._api.sandbox_item_reset_login,
            request,
            answers.PlaidAnswer,
            hide=(access_token,),
        )

    def _send(self, endpoint: str, operation: Callable[..., Any], request: Any) -> bytes:
        """The answer's body; a read whose kept-alive connection was closed under it is sent once more."""

        def send() -> bytes:
            return bytes(operation(request, _request_timeout=self._timeout, _preload_content=False).data)

        try:
            return send()
        except urllib3.exceptions.ProtocolError:
            # A server closes an idle kept-alive connection when it likes; a request sent on it as it
            # closes gets no answer. A read is safe to send again on a new connection; a write (the
            # exchange, a link token) is not, since the server may have acted on it before closing.
            if endpoint not in READS:
                raise
            return send()

    def _call(
        self,
        endpoint: str,
        operation: Callable[..., Any],
        request: Any,
        reading: type[Answer],
        *,
        hide: tuple[str, ...] = (),
    ) -> Answer:
        hidden = (*self._secrets, *hide)
        try:
            # The body is read by Railbook's own answer models, not plaid-python's: those check and
            # build every field of the answer (about 20 ms of CPU for one /identity/get).
            answer = reading.model_validate_json(self._send(endpoint, operation, request))
        except plaid.ApiException as exc:
            failure = _translate(endpoint, exc, hidden)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            failure = PlaidUnavailable(f"Plaid {endpoint}: could not reach Plaid ({type(exc).__name__})")
        except (ValidationError, plaid.OpenApiException) as exc:
            # The message names the type only: a validation error quotes the answer's values.
            failure = PlaidUnavailable(f"Plaid {endpoint}: unreadable answer ({type(exc).__name__})")
        else:
            logger.debug(
                "plaid call succeeded", extra={"plaid_endpoint": endpoint, "plaid_request_id": answer.request_id or ""}
            )
            return answer
        logger.warning(
            "plaid call failed",
            extra={
                "plaid_endpoint": endpoint,
                "detail": str(failure),
                "plaid_error_code": failure.error_code,
                "plaid_request_id": failure.request_id,
                "http_status": failure.http_status,
                "failure": type(failure).__name__,
            },
        )
        raise failure


def _session_public_tokens(sessions: list[Any]) -> frozenset[str]:
    """Every public token in `link_sessions`: the per-Item results and the older `on_success`."""
    found: set[str] = set()
    for session in sessions:
        if not isinstance(session, dict):
            continue
        results = session.get("results")
        added = results.get("item_add_results") if isinstance(results, dict) else None
        entries = [entry for entry in added if isinstance(entry, dict)] if isinstance(added, list) else []
        success = session.get("on_success")
        if isinstance(success, dict):
            entries.append(success)
        found.update(entry["public_token"] for entry in entries if isinstance(entry.get("public_token"), str))
    return frozenset(found)


def _scrub(text: str, hidden: tuple[str, ...]) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, "***")
    return _TOKEN_PATTERN.sub(lambda match: f"{match.group(1)}-***", text)


def _translate(endpoint: str, exc: plaid.ApiException, hidden: tuple[str, ...]) -> PlaidFailure:
    status = int(exc.status or 0)
    if status == 0:
        return PlaidUnavailable(f"Plaid {endpoint}: could not reach Plaid", http_status=None)
    try:
        raw = exc.body.decode() if isinstance(exc.body, bytes) else str(exc.body)
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError):
        kind: type[PlaidFailure] = PlaidUnavailable if status >= 500 or status == 429 else PlaidRequestRejected
        if status == 429:
            kind = PlaidRateLimited
        return kind(f"Plaid {endpoint}: HTTP {status} without a Plaid error body", http_status=status)
    error_type = str(body.get("error_type") or "")
    error_code = str(body.get("error_code") or "")
    request_id = body.get("request_id")
    kind = _classify(status, error_type, error_code)
    detail = _scrub(str(body.get("error_message") or ""), hidden)
    message = f"Plaid {endpoint}: {error_type}/{error_code} (HTTP {status}): {detail}"
    if request_id:
        message += f" [request_id {request_id}]"
    display = body.get("display_message")
    return kind(
        message,
        error_type=error_type or None,
        error_code=error_code or None,
        http_status=status,
        request_id=str(request_id) if request_id else None,
        display_message=_scrub(display, hidden) if isinstance(display, str) else None,
    )


def _classify(status: int, error_type: str, error_code: str) -> type[PlaidFailure]:
    if status == 429 or error_type == "RATE_LIMIT_EXCEEDED":
        return PlaidRateLimited
    if status >= 500 or error_type in ("API_ERROR", "INSTITUTION_ERROR") or error_code in _TRANSIENT_ITEM_CODES:
        return PlaidUnavailable
    if error_code in _TOKEN_CODES:
        return PlaidInvalidToken
    if error_type == "ITEM_ERROR":
        return PlaidItemLoginRequired
    return PlaidRequestRejected


def _account(account: answers.Account, ach: dict[str, answers.AchEntry]) -> PlaidAccount:
    numbers = ach.get(account.account_id)
    return PlaidAccount(
        account_id=account.account_id,
        name=account.name,
        official_name=account.official_name,
        mask=account.mask,
        type=account.type,
        subtype=account.subtype,
        ach=None
        if numbers is None
        else AchNumbers(
            account=numbers.account,
            routing=numbers.routing,
            wire_routing=numbers.wire_routing,
            is_tokenized=bool(numbers.is_tokenized_account_number),
        ),
    )


def _item_accounts(answer: answers.ItemAccountsAnswer, ach: dict[str, answers.AchEntry]) -> ItemAccounts:
    item = answer.item
    accounts = tuple(_account(account, ach) for account in answer.accounts)
    return ItemAccounts(item.item_id, item.institution_id, item.institution_name, accounts)


def _owner(owner: answers.Owner) -> AccountOwner:
    addresses = tuple(
        OwnerAddress(
            street=entry.data.street,
            city=entry.data.city,
            region=entry.data.region,
            postal_code=entry.data.postal_code,
            country=entry.data.country,
            primary=bool(entry.primary),
        )
        for entry in owner.addresses
    )
    return AccountOwner(
        names=tuple(owner.names),
        addresses=addresses,
        emails=tuple(entry.data for entry in owner.emails),
        phone_numbers=tuple(entry.data for entry in owner.phone_numbers),
    )
