"""Grid's error body `{status, code, message, details?}`, raised anywhere, rendered in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

from railbook.field_names import ANSWERED_ONLY, suggestion

# Grid's generated SDKs (Stainless) retry 408, 409, 429 and 5xx unless this header says otherwise:
# without it a duplicate's 409 surfaced only after three requests and 1.4 s.
SHOULD_RETRY_HEADER = "x-should-retry"


def is_final(status: int) -> bool:
    """Whether sending the same request again cannot change this answer: every 4xx but 408 and 429."""
    return 400 <= status < 500 and status not in (408, 429)


class GridError(Exception):
    """An error the client should see, carrying its Grid status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details) if details else None
        self.headers = dict(headers) if headers else None

    def body(self) -> dict[str, Any]:
        """The JSON body Grid sends for this error."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(GridError):
    """400 INVALID_INPUT, optionally naming each failing field."""

    def __init__(self, message: str, field_errors: Sequence[Mapping[str, Any]] | None = None) -> None:
        details = {"errors": list(field_errors)} if field_errors else None
        super().__init__(400, "INVALID_INPUT", message, details)


class NotFound(GridError):
    """404 with the code of the thing that is missing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(404, code, message)


class Conflict(GridError):
    """409, CONFLICT unless a more specific code applies."""

    def __init__(self, message: str, code: str = "CONFLICT", details: Mapping[str, Any] | None = None):
        super().__init__(409, code, message, details)


class Unauthorized(GridError):
    """401 UNAUTHORIZED with the Basic challenge."""

    def __init__(self, message: str = "Missing or invalid API credentials") -> None:
        super().__init__(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": 'Basic realm="railbook"'})


def error_response(error: GridError) -> Response:
    """Render a GridError as its JSON response."""
    return Response(
        content=orjson.dumps(error.body()),
        status_code=error.status,
        media_type="application/json",
        headers=error.headers,
    )


def _loc_to_field(loc: Sequence[int | str], body: Any) -> str:
    """Turn a Pydantic error location into the wire dot path (`address.postalCode`).

    Locations also hold union tags and validator names that are not wire fields; walking the
    submitted body alongside the location tells the two apart.
    """
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        if parts[0] != "body":
            body = None
        parts = parts[1:]
    path = ""
    current = body
    for index, part in enumerate(parts):
        is_last = index == len(parts) - 1
        if isinstance(part, int):
            path += f"[{part}]"
            current = current[part] if isinstance(current, list) and part < len(current) else None
        elif isinstance(current, dict) and part in current:
            path = f"{path}.{part}" if path else part
            current = current[part]
        elif is_last and (current is None or isinstance(current, dict)) and not _is_tag(part, current):
            path = f"{path}.{part}" if path else part
        # Anything else is a union tag or validator name: not part of the wire path.
    return path or "body"


def _is_tag(part: str, current: Any) -> bool:
    return isinstance(current, dict) and part in {str(value) for value in current.values()}


_CONSTRAINT_KEYS = {
    "pattern": "pattern",
    "min_length": "minLength",
    "max_length": "maxLength",
    "expected": "enum",
    "format": "format",
    "expected_tags": "enum",
}


def field_errors_from_pydantic(errors: Sequence[Mapping[str, Any]], body: Any = None) -> list[dict[str, Any]]:
    """One `{field, message, constraint?}` entry per failing field, in wire casing."""
    field_errors: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        field = _loc_to_field(error.get("loc", ()), body)
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            # The failing field is the discriminator itself, which the location does not name.
            # Pydantic names it as "'field_name' | 'alias'"; the last one is the wire name.
            tag = str((error.get("ctx") or {}).get("discriminator", "")).split("|")[-1].strip(" '\"")
            field = f"{field}.{tag}" if field != "body" else tag
            message = (
                f"{tag} is required"
                if error.get("type") == "union_tag_not_found"
                else f"{tag} is not one of the supported values"
            )
        if error.get("type") == "extra_forbidden":
            message = _unknown_field_message(field)
        if (field, message) in seen:
            continue
        seen.add((field, message))
        entry: dict[str, Any] = {"field": field, "message": message}
        constraint = _constraint(error)
        if constraint:
            entry["constraint"] = constraint
        field_errors.append(entry)
    return field_errors


def _unknown_field_message(field: str) -> str:
    name = field.rsplit(".", 1)[-1].split("[", 1)[0]
    if name in ANSWERED_ONLY:
        return f"{name} is answered by Railbook, not sent: leave it out of requests"
    better = suggestion(name)
    hint = f"; did you mean {better}?" if better else ""
    return f"{name} is not a field of this object{hint}"


def _constraint(error: Mapping[str, Any]) -> dict[str, Any]:
    ctx = error.get("ctx") or {}
    constraint: dict[str, Any] = {}
    for key, wire_key in _CONSTRAINT_KEYS.items():
        if key not in ctx:
            continue
        value = ctx[key]
        if wire_key == "enum":
            value = [part.strip().strip("'") for part in str(value).replace(" or ", ",").split(",")]
            value = [part for part in value if part]
        constraint[wire_key] = value
    return constraint
