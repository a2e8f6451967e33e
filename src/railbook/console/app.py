"""The console as its own small app, mounted at /console: forms and redirects, no API token accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from starlette.responses import HTMLResponse, RedirectResponse, Response

from railbook.config import Mode
from railbook.console import operators, pages, sessions
from railbook.console.models import Operator
from railbook.db import Database
from railbook.external_accounts import operator as decisions
from railbook.external_accounts.models import ExternalAccount
from railbook.external_accounts.service import render
from railbook.instance import load_or_create_key
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys
from railbook.platforms import service as platforms
from railbook.platforms.models import Platform
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.schemas import LinkStatus
from railbook.stablecoin_links.service import set_status
from railbook.webhooks.event_log import redeliver
from railbook.webhooks.models import WebhookEvent

# A console post: the operator's session, the form, and the path's parameters.
FormHandler = Callable[..., Response]

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
# Pages, forms and their posts come from this server only; nothing is framed, nothing loads from elsewhere.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class Console:
    """The console's state: the database, the keys, the session key and the cookie's flags."""

    def __init__(self, database: Database, keys: MasterKeys, *, secure_cookie: bool, root: str) -> None:
        self.database = database
        self.keys = keys
        self.secure_cookie = secure_cookie
        self.root = root
        self._session_key: bytes | None = None

    @property
    def session_key(self) -> bytes:
        """The installation's console session key (created on first use)."""
        if self._session_key is None:
            self._session_key = load_or_create_key(self.database, "console_session_key")
        return self._session_key

    def page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A rendered page with the console's headers."""
        html = _TEMPLATES.get_template(template).render(root=self.root, **values)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    def refusal(self, session: sessions.ConsoleSession, status: int, title: str, message: str) -> HTMLResponse:
        """An error page for a signed-in operator."""
        return self.page("error.html", status, title=title, message=message, message_class="error",
                         operator=session.operator_name, csrf=session.csrf)  # fmt: skip

    def back_to(self, path: str) -> RedirectResponse:
        """After a post, the page to show (303: the browser follows with a GET)."""
        return RedirectResponse(f"{self.root}{path}", status_code=303, headers=_HEADERS)


def create_console(database: Database, keys: MasterKeys, *, secure_cookie: bool, root: str = "/console") -> FastAPI:
    """The console app (mount it at `root`)."""
    console = Console(database, keys, secure_cookie=secure_cookie, root=root)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def signed_in(request: Request) -> sessions.ConsoleSession | None:
        session = sessions.read(console.session_key, request.cookies.get(sessions.COOKIE))
        if session is None:
            return None
        with database.reading() as db:
            # The operator still exists and has not signed out since: a copied cookie dies with the sign-out.
            epoch = db.scalar(select(Operator.session_epoch).where(Operator.id == session.operator_id))
        return session if epoch == session.epoch else None

    async def checked_form(request: Request) -> tuple[sessions.ConsoleSession, dict[str, str]] | Response:
        """The signed-in operator and the form, or the answer that refuses the post."""
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        if not sessions.csrf_matches(session, form.get("csrf")):
            return console.refusal(session, 403, "Refused", "The form's CSRF token is missing or wrong.")
        return session, form

    def form_post(path: str) -> Callable[[FormHandler], FormHandler]:
        """Register a post that needs a signed-in operator and the form's CSRF token (else it is refused)."""

        def register(handler: FormHandler) -> FormHandler:
            async def endpoint(request: Request) -> Response:
                checked = await checked_form(request)
                if isinstance(checked, Response):
                    return checked
                session, form = checked
                return handler(session, form, **request.path_params)

            app.add_api_route(path, endpoint, methods=["POST"])
            return handler

        return register

    @app.get("/sign-in")
    def sign_in_page() -> HTMLResponse:
        return console.page("sign_in.html", title="Sign in")

    @app.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        with database.transaction() as session:
            outcome = operators.sign_in(session, name, password)
            if outcome.operator is not None:
                operators.record(session, outcome.operator.name, "sign-in", outcome.operator.id)
            elif outcome.known:
                operators.record(session, name, "sign-in.failed", name)
        if outcome.operator is None:
            message = "Wrong operator name or password."
            status = 401
            if outcome.retry_after_seconds:
                message = f"Too many failed sign-ins: try again in {outcome.retry_after_seconds} s."
                status = 429
            refused = console.page("sign_in.html", status, title="Sign in", message=message, message_class="error")
            if outcome.retry_after_seconds:
                refused.headers["Retry-After"] = str(outcome.retry_after_seconds)
            return refused
        operator = outcome.operator
        cookie, _ = sessions.issue(console.session_key, operator.id, operator.name, operator.session_epoch)
        response = console.back_to("/")
        response.set_cookie(
            sessions.COOKIE, cookie, max_age=sessions.LIFETIME_SECONDS, path=root, httponly=True,
            samesite="strict", secure=console.secure_cookie,
        )  # fmt: skip
        return response

    @form_post("/sign-out")
    def sign_out(session: sessions.ConsoleSession, form: dict[str, str]) -> Response:
        with database.transaction() as db:
            db.execute(
                update(Operator)
                .where(Operator.id == session.operator_id)
                .values(session_epoch=Operator.session_epoch + 1)
            )
            operators.record(db, session.operator_name, "sign-out", session.operator_id)
        response = console.back_to("/sign-in")
        response.delete_cookie(sessions.COOKIE, path=root)
        return response

    @app.get("/")
    def queue(request: Request, after: str | None = None) -> Response:
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        start = _position(after)
        with database.reading() as db:
            rows, following = pages.review_queue(db, start)
        next_after = f"{following[0].isoformat()}|{following[1]}" if following else None
        return console.page("queue.html", title="Review queue", rows=rows, next_after=next_after,
                            operator=session.operator_name, csrf=session.csrf)  # fmt: skip

    @app.get("/accounts/{account_id}")
    def account_page(request: Request, account_id: str, message: str | None = None) -> Response:
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        with database.reading() as db:
            account = db.get(ExternalAccount, account_id)
            if account is None or account.deleted_at is not None:
                return console.refusal(session, 404, "Not found", f"No live account {account_id}.")
            platform = db.get(Platform, account.platform_id)
            values: dict[str, Any] = {
                "account": account,
                "platform": platform.name if platform else account.platform_id,
                "rendered": orjson.dumps(render(account), option=orjson.OPT_INDENT_2).decode(),
                "history": decisions.history(db, account_id),
                "events": pages.account_events(db, account_id),
            }
        choices = [decision.value for decision in decisions.Decision]
        return console.page("account.html", title=f"Account {account_id}", decisions=choices, message=message,
                            operator=session.operator_name, csrf=session.csrf, **values)  # fmt: skip

    @form_post("/accounts/{account_id}/decision")
    def decide(session: sessions.ConsoleSession, form: dict[str, str], account_id: str) -> Response:
        reason = form.get("reason", "").strip()
        try:
            decision = decisions.Decision(form.get("decision", ""))
        except ValueError:
            return console.back_to(f"/accounts/{account_id}?message={quote('Choose a decision.')}")
        if not reason:
            return console.back_to(f"/accounts/{account_id}?message={quote('A reason is required.')}")
        actor = f"operator:{session.operator_name}"
        try:
            with database.transaction() as db:
                decisions.decide(db, account_id, decision, reason=reason, actor=actor)
                operators.record(db, session.operator_name, f"account.{decision.value}", account_id, reason)
        except decisions.DecisionRefused as refused:
            return console.back_to(f"/accounts/{account_id}?message={quote(str(refused))}")
        return console.back_to(f"/accounts/{account_id}?message={quote(decision.value + ' applied')}")

    @form_post("/events/{event_id}/redeliver")
    def redeliver_event(session: sessions.ConsoleSession, form: dict[str, str], event_id: str) -> Response:
        with database.transaction() as db:
            event = db.get(WebhookEvent, event_id)
            if event is None:
                return console.refusal(session, 404, "Not found", f"No event {event_id}.")
            redeliver(db, event)
            operators.record(db, session.operator_name, "event.redeliver", event_id)
        back = form.get("back")
        done = f"?message={quote('redelivery queued')}"
        return console.back_to(f"/accounts/{back}{done}" if back else "/deliveries")

    @app.get("/deliveries")
    def deliveries_page(request: Request, failed: bool = False) -> Response:
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        with database.reading() as db:
            rows = pages.deliveries(db, failed_only=failed)
        return console.page("deliveries.html", title="Webhook deliveries", rows=rows, failed=failed,
                            operator=session.operator_name, csrf=session.csrf)  # fmt: skip

    @app.get("/stablecoin-links")
    def links_page(request: Request, message: str | None = None) -> Response:
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        with database.reading() as db:
            links = pages.stablecoin_links(db)
        return console.page("links.html", title="Stablecoin provider links", links=links, message=message,
                            operator=session.operator_name, csrf=session.csrf)  # fmt: skip

    @form_post("/stablecoin-links/{link_id}/revoke")
    def revoke_link(session: sessions.ConsoleSession, form: dict[str, str], link_id: str) -> Response:
        reason = form.get("reason", "").strip()
        if not reason:
            return console.back_to(f"/stablecoin-links?message={quote('A reason is required.')}")
        with database.transaction() as db:
            link = db.get(StablecoinProviderAccount, link_id)
            if link is None:
                return console.refusal(session, 404, "Not found", f"No link {link_id}.")
            # REVOKED erases the stored credentials: there is no way back but linking again.
            set_status(link, LinkStatus.REVOKED, reason, utcnow())
            operators.record(db, session.operator_name, "stablecoin_link.revoke", link_id, reason)
        return console.back_to(f"/stablecoin-links?message={quote(link_id + ' revoked')}")

    @app.get("/tokens")
    def tokens_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return console.back_to("/sign-in")
        return _tokens(console, session)

    @form_post("/tokens")
    def create_token(session: sessions.ConsoleSession, form: dict[str, str]) -> Response:
        name = form.get("platform", "").strip()
        try:
            mode = Mode(form.get("mode", ""))
        except ValueError:
            return _tokens(console, session, message="Choose SANDBOX or PRODUCTION.", status=400)
        if not name:
            return _tokens(console, session, message="A platform name is required.", status=400)
        with database.transaction() as db:
            # Existing platforms only: a typo must not create a platform (`railbook tokens create` does that).
            platform = platforms.find_platform(db, name)
            if platform is None:
                return _tokens(console, session, message=f"No platform called {name}.", status=400)
            minted = platforms.mint_token(db, platform, mode)
            operators.record(db, session.operator_name, "token.create", minted.id)
        # Shown in this one answer, never stored or shown again.
        return _tokens(console, session, minted=minted)

    @form_post("/tokens/{token_id}/revoke")
    def revoke_token(session: sessions.ConsoleSession, form: dict[str, str], token_id: str) -> Response:
        with database.transaction() as db:
            revoked = platforms.revoke_token(db, token_id)
            if revoked is not None:
                operators.record(db, session.operator_name, "token.revoke", token_id)
        return console.back_to("/tokens")

    return app


def _tokens(console: Console, session: sessions.ConsoleSession, *, status: int = 200, **values: Any) -> HTMLResponse:
    with console.database.reading() as db:
        tokens = platforms.list_tokens(db)
    return console.page("tokens.html", status, title="API tokens", tokens=tokens, operator=session.operator_name,
                        csrf=session.csrf, message_class="error" if status >= 400 else "ok", **values)  # fmt: skip


def _position(after: str | None) -> tuple[datetime, str] | None:
    if not after or "|" not in after:
        return None
    moment, _, last_id = after.partition("|")
    try:
        return datetime.fromisoformat(moment), last_id
    except ValueError:
        return None
