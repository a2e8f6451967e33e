"""URLs a platform gives Railbook (webhook endpoints, logos): one parser, one set of rules."""

from __future__ import annotations

import httpx

MAX_PORT = 65535


def url_problem(url: str, *, allow_http: bool) -> str | None:
    """What is wrong with `url` as an absolute https URL (http too when `allow_http`), or None."""
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        # httpx would percent-encode a space and drop nothing, storing a URL the platform did not mean.
        return "must not contain whitespace or control characters"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"does not parse as a URL ({exc})"
    schemes = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in schemes:
        return "must be an absolute https URL" + (" (or http in sandbox)" if allow_http else "")
    if not parsed.host:
        return "must include a host"
    if "%" in parsed.raw_host.decode("ascii", "replace"):
        return "must not percent-encode characters in the host"
    if parsed.port is not None and not 1 <= parsed.port <= MAX_PORT:
        return f"port must be between 1 and {MAX_PORT}"
    if parsed.userinfo:
        return "must not carry credentials"
    return None
