"""The simulators mounted in Railbook: their `/_control` switches need a platform's credentials off loopback."""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from railbook.auth.verifier import TokenVerifier
from railbook.errors import GridError, error_response

CONTROL_PREFIX = "/_control"


def is_loopback(host: str) -> bool:
    """Whether a bind address only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ControlGuard:
    """Lets a mounted simulator's `/_control/*` (faults, reset, clock) answer only a platform's valid credentials.

    On a loopback bind (`make serve`) anyone who can connect is on this machine and nothing is checked;
    bound to a network address, the switches that break or reset the simulator would answer anyone.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _route_path(scope).startswith(CONTROL_PREFIX):
            authorization = next((value.decode("latin-1") for name, value in scope.get("headers", [])
                                  if name == b"authorization"), None)  # fmt: skip
            try:
                await self.verifier.verify(authorization)
            except GridError as refused:
                await error_response(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
