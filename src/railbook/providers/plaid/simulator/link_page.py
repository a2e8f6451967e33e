"""Pages for people: Plaid Link (pick a bank and an account, get a public token) and a stand-in platform back end.

Plaid Link hands its public token to the platform's page (`onSuccess`); the platform's back end then
calls Railbook's callback with its own API credentials. The third page plays that back end: the
person types the platform's token id and secret, used for that one call and never kept or shown.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from railbook.providers.plaid.simulator.data import AUTH_SUBTYPES, INSTITUTIONS, USER_GOOD_ACCOUNTS
from railbook.providers.plaid.simulator.errors import PlaidFault
from railbook.providers.plaid.simulator.state import SimulatorState

# The callback must answer within Railbook's own bound (10 s) plus room for the page's round trip.
CALLBACK_TIMEOUT_SECONDS = 15.0
LINKABLE = tuple(account for account in USER_GOOD_ACCOUNTS if account.subtype in AUTH_SUBTYPES)

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.8rem}
label{display:block;margin:.3rem 0}code,pre{background:#f3f3f3;padding:.2rem .4rem;border-radius:4px;
word-break:break-all;white-space:pre-wrap}button{font-size:1rem;padding:.5rem 1.2rem;margin-top:.8rem}
.error{color:#a00}.muted{color:#666;font-size:.9rem}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}"
        '<p class="muted">Railbook\'s Plaid simulator: sandbox data only, no real bank is contacted.</p>'
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status)


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def _error(message: str, status: int = 400) -> HTMLResponse:
    return _page("Plaid Link (simulator)", f'<p class="error" id="error">{escape(message)}</p>', status)


def _callback_url(request: Request, given: str, link_token: str) -> str:
    """The callback to send the public token to: the one given, else the server's own (when mounted in Railbook)."""
    if given:
        return given
    template: str | None = request.app.state.callback_template
    return template.format(token=link_token) if template else ""


async def link_start(request: Request) -> Response:
    """Step 1: the institution and the account to link, for a live link token."""
    state: SimulatorState = request.app.state.simulator
    link_token = request.query_params.get("token", "")
    try:
        state.link_token(link_token)
    except PlaidFault:
        return _error("This link token is unknown or has expired. Ask Railbook for a new one.", 404)
    callback = _callback_url(request, request.query_params.get("callbackUrl", ""), link_token)
    institutions = "".join(
        f'<label><input type="radio" name="institution" value="{escape(ins_id)}"{" checked" if i == 0 else ""}>'
        f" {escape(name)}</label>"
        for i, (ins_id, name) in enumerate(INSTITUTIONS.items())
    )
    accounts = "".join(
        f'<label><input type="radio" name="mask" value="{account.mask}"{" checked" if i == 0 else ""}>'
        f" {escape(account.name)} ({account.subtype}, ••••{account.mask})</label>"
        for i, account in enumerate(LINKABLE)
    )
    body = (
        '<form method="post" action="link">'
        f"{_hidden('token', link_token)}{_hidden('callbackUrl', callback)}"
        f"<fieldset><legend>Institution</legend>{institutions}</fieldset>"
        "<p class=muted>Signed in as <code>user_good</code> / <code>pass_good</code>.</p>"
        f"<fieldset><legend>Account</legend>{accounts}</fieldset>"
        '<button type="submit" id="continue">Continue</button></form>'
    )
    return _page("Plaid Link (simulator)", body)


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


async def link_finish(request: Request) -> Response:
    """Step 2: Plaid Link's success: the public token and the chosen account id, and a button to send them."""
    state: SimulatorState = request.app.state.simulator
    form = await _form(request)
    link_token, institution_id = form.get("token", ""), form.get("institution", "")
    chosen = next((account for account in LINKABLE if account.mask == form.get("mask")), None)
    if chosen is None:
        return _error("Choose one of the listed accounts.")
    try:
        public_token, item = state.public_token_for_link(link_token, institution_id)
    except PlaidFault as failure:
        return _error(f"Plaid Link failed: {failure.error_code}.")
    account_id = next(account.account_id for account in item.accounts if account.sandbox is chosen)
    callback = form.get("callbackUrl", "")
    # onSuccess: the public token goes to the platform's side, which makes the authenticated call.
    send = (
        '<form method="post" action="link/platform">'
        f"{_hidden('callbackUrl', callback)}{_hidden('publicToken', public_token)}{_hidden('accountId', account_id)}"
        '<button type="submit" id="to-platform">Hand the token to the platform</button></form>'
        if callback
        else "<p>No callback URL is known: pass <code>callbackUrl</code> to this page, or post the token yourself.</p>"
    )
    body = (
        f"<p>Linked <strong>{escape(chosen.name)}</strong> at <strong>{escape(item.institution_name)}</strong>.</p>"
        f'<p>Public token: <code id="public-token">{escape(public_token)}</code></p>'
        f'<p>Account id: <code id="account-id">{escape(account_id)}</code></p>{send}'
    )
    return _page("Account linked", body)


async def platform_page(request: Request) -> Response:
    """Step 3: the platform's side received the public token; its back end needs the platform's API credentials."""
    form = await _form(request)
    callback = form.get("callbackUrl", "")
    body = (
        "<p>Plaid Link handed this public token to the platform. The platform's back end now sends it to "
        "Railbook's callback with the platform's API credentials (HTTP Basic).</p>"
        '<form method="post" action="submit">'
        f"{_hidden('callbackUrl', callback)}{_hidden('publicToken', form.get('publicToken', ''))}"
        f"{_hidden('accountId', form.get('accountId', ''))}"
        f'<p>Callback: <code id="callback-url">{escape(callback)}</code></p>'
        '<label>API token id <input name="tokenId" id="token-id" autocomplete="off" required></label>'
        '<label>API token secret <input name="tokenSecret" id="token-secret" type="password" '
        'autocomplete="off" required></label>'
        '<button type="submit" id="send">Send to callback</button></form>'
        '<p class="muted">The credentials are used for this one call and are not kept.</p>'
    )
    return _page("Platform back end (simulated)", body)


def _own_callback(given: str, template: str) -> bool:
    """Whether `given` is the template's path for some link token (relative, no host, query or fragment)."""
    prefix = template.split("{token}", 1)[0]
    parts = urlsplit(given)
    token = parts.path.removeprefix(prefix)
    return (
        not (parts.scheme or parts.netloc or parts.query or parts.fragment)
        and parts.path.startswith(prefix)
        and bool(token)
        and "/" not in token
    )


async def link_submit(request: Request) -> Response:
    """Post `{publicToken, accountId}` to the callback with the platform's credentials, and show the answer."""
    form = await _form(request)
    given = form.get("callbackUrl", "")
    template: str | None = request.app.state.callback_template
    if template is not None and not _own_callback(given, template):
        # Mounted in Railbook, the page calls back only to Railbook's own callback path: a form
        # field must not make the server POST to any address (a private one, say).
        return _error("The callback URL must be this server's own Plaid callback path.")
    # Relative callbacks (the simulator mounted inside Railbook) resolve against this server.
    callback = urljoin(str(request.base_url), given)
    if urlsplit(callback).scheme not in ("http", "https"):
        return _error("The callback URL must be an http or https URL.")
    payload = {"publicToken": form.get("publicToken", ""), "accountId": form.get("accountId") or None}
    try:
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT_SECONDS) as client:
            auth = httpx.BasicAuth(form.get("tokenId", ""), form.get("tokenSecret", ""))
            answer = await client.post(callback, json=payload, auth=auth)
    except httpx.HTTPError as exc:
        return _error(f"The callback could not be reached: {type(exc).__name__}.", 502)
    try:
        shown = json.dumps(answer.json(), indent=2)
    except ValueError:
        shown = answer.text
    body = (
        f'<p>The callback answered <strong id="callback-status">{answer.status_code}</strong>.</p>'
        f'<pre id="callback-body">{escape(shown)}</pre>'
    )
    return _page("Sent to the callback", body)
