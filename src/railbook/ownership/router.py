"""HTTP routes: start an ownership challenge and verify a wallet signature, on both sides of external accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Path, Request

from railbook.errors import InvalidInput
from railbook.external_accounts.service import render
from railbook.kit.wire import JSONBody
from railbook.ownership import service
from railbook.ownership.models import ChallengeMethod
from railbook.ownership.schemas import ChallengeRequest, VerifyRequest
from railbook.principal import Principal
from railbook.routing import api_router
from railbook.web import DB, AppSettings, Caller, Keys

router = api_router("External Accounts")
AccountId = Annotated[str, Path(alias="externalAccountId")]


def _terms(settings: AppSettings, request: Request) -> service.ChallengeTerms:
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return service.ChallengeTerms(settings.ownership_challenge_seconds, base)


def _challenge(caller: Principal, database: DB, keys: Keys, terms: service.ChallengeTerms, account_id: str,
               body: ChallengeRequest, *, platform_owned: bool) -> JSONBody:  # fmt: skip
    with database.transaction() as session:
        challenge = service.start(
            session, caller, keys, account_id, ChallengeMethod(body.method), platform_owned=platform_owned, terms=terms
        )
    return JSONBody(challenge, status_code=201)


def _verify(caller: Principal, database: DB, account_id: str, body: VerifyRequest, *, platform_owned: bool) -> JSONBody:
    with database.transaction() as session:
        outcome = service.verify(session, caller, account_id, body.signature, platform_owned=platform_owned)
        answer = None if isinstance(outcome, service.VerifyFailure) else render(outcome)
    # Raised after the commit: a failed proof leaves the account UNVERIFIED and its challenge used.
    if isinstance(outcome, service.VerifyFailure):
        raise InvalidInput("Ownership verification failed", [{"field": "signature", "message": outcome.reason}])
    return JSONBody(answer)


@router.post("/customers/external-accounts/{externalAccountId}/challenge", status_code=201)
def challenge_customer_account(
    caller: Caller, database: DB, keys: Keys, settings: AppSettings, request: Request,
    account_id: AccountId,
    body: Annotated[ChallengeRequest, Body()],
) -> JSONBody:  # fmt: skip
    """Start (or get again) an ownership challenge of a customer's self-custody wallet."""
    terms = _terms(settings, request)
    return _challenge(caller, database, keys, terms, account_id, body, platform_owned=False)


@router.post("/customers/external-accounts/{externalAccountId}/verify")
def verify_customer_account(
    caller: Caller,
    database: DB,
    account_id: AccountId,
    body: Annotated[VerifyRequest, Body()],
) -> JSONBody:
    """Complete a WALLET_SIGNATURE challenge of a customer's wallet."""
    return _verify(caller, database, account_id, body, platform_owned=False)


@router.post("/platform/external-accounts/{externalAccountId}/challenge", status_code=201)
def challenge_platform_account(
    caller: Caller, database: DB, keys: Keys, settings: AppSettings, request: Request,
    account_id: AccountId,
    body: Annotated[ChallengeRequest, Body()],
) -> JSONBody:  # fmt: skip
    """Start (or get again) an ownership challenge of the platform's own self-custody wallet."""
    terms = _terms(settings, request)
    return _challenge(caller, database, keys, terms, account_id, body, platform_owned=True)


@router.post("/platform/external-accounts/{externalAccountId}/verify")
def verify_platform_account(
    caller: Caller,
    database: DB,
    account_id: AccountId,
    body: Annotated[VerifyRequest, Body()],
) -> JSONBody:
    """Complete a WALLET_SIGNATURE challenge of the platform's wallet."""
    return _verify(caller, database, account_id, body, platform_owned=True)
