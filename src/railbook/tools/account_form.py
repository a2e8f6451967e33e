"""GET /_tools/account-form: a create form built in the browser from the requirements endpoint."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from railbook import API_PREFIX
from railbook.routing import GridRoute

router = APIRouter(route_class=GridRoute)

_HERE = Path(__file__).parent
# Read once: the page is static; the token a person types never reaches the server's copy.
_PAGE = (_HERE / "account_form.html").read_text(encoding="utf-8").replace("__API_PREFIX__", API_PREFIX).encode()
_SCRIPT = (_HERE / "account_form.js").read_bytes()
# Nothing from elsewhere: scripts, fetches and images from this server only, and no framing.
_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HEADERS = {"Content-Security-Policy": _POLICY, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/_tools/account-form", include_in_schema=False)
def account_form() -> Response:
    """The form page."""
    return Response(_PAGE, media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/_tools/account-form.js", include_in_schema=False)
def account_form_script() -> Response:
    """The form's script."""
    return Response(_SCRIPT, media_type="text/javascript; charset=utf-8", headers=_HEADERS)
