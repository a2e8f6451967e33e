"""/_simulators/liveness/{token}: the sandbox's hosted liveness flow, a page with pass and fail buttons.

The link is the capability: whoever holds it completes the session, as with a liveness provider's
hosted page. The outcome is applied by a job, so the account changes asynchronously, as Grid's does.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.jobs.queue import enqueue
from railbook.kit.clock import rfc3339
from railbook.ownership import service
from railbook.ownership.models import OwnershipChallenge

# Nothing from elsewhere, no script at all: the form posts to this same page.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
_HEADERS = {"Content-Security-Policy": _POLICY, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}"
    "code{word-break:break-all}button{font-size:1rem;padding:.5rem 1.2rem;margin:.8rem .6rem 0 0}"
    ".error{color:#a00}.muted{color:#666;font-size:.9rem}"
)
_TITLE = "Liveness check (simulator)"


def _page(body: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_TITLE}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{_TITLE}</h1>{body}"
        '<p class="muted">Railbook\'s liveness simulator: sandbox only, no biometric data is taken.</p>'
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _message(text: str, status: int) -> HTMLResponse:
    return _page(f'<p class="error" id="message">{escape(text)}</p>', status)


def _submit(database: Database, token: str, passed: bool) -> OwnershipChallenge | tuple[int, str]:
    with database.transaction() as session:
        taken = service.submit_liveness(session, token, passed=passed)
        if isinstance(taken, OwnershipChallenge):
            enqueue(session, service.LIVENESS_RESULT_KIND, {"challengeId": taken.id})
    return taken


def create_liveness_simulator(database: Database) -> FastAPI:
    """The hosted liveness pages, mounted at `/_simulators/liveness` (their forms post urlencoded, not JSON)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/{token}")
    def liveness_page(token: str) -> HTMLResponse:
        """The session: the wallet it proves, and the two outcomes a test (or a person) can choose."""
        with database.reading() as session:
            challenge = service.liveness_session(session, token)
            account = session.get(ExternalAccount, challenge.external_account_id) if challenge is not None else None
        refusal = service.liveness_refusal(challenge if account is not None else None)
        if refusal is not None:
            return _message(refusal[1], refusal[0])
        assert challenge is not None and account is not None
        body = (
            "<p>Prove that you hold this wallet:</p>"
            f'<p><code id="address">{escape(str(account.account_info.get("address", "")))}</code></p>'
            f'<p class="muted">The link expires at {escape(rfc3339(challenge.expires_at))}.</p>'
            '<form method="post"><button name="outcome" value="pass" id="pass">Pass</button>'
            '<button name="outcome" value="fail" id="fail">Fail</button></form>'
        )
        return _page(body)

    @app.post("/{token}")
    async def liveness_submit(request: Request, token: str) -> HTMLResponse:
        """Take the outcome; a job moves the account to ACTIVE or UNVERIFIED with its webhook."""
        outcome = (await request.form()).get("outcome")
        if outcome not in ("pass", "fail"):
            return _message("Choose pass or fail.", 400)
        taken = await run_in_threadpool(_submit, database, token, outcome == "pass")
        if isinstance(taken, tuple):
            return _message(taken[1], taken[0])
        return _page('<p id="message">Thank you. The result is on its way; you can close this page.</p>')

    return app
