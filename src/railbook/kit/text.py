"""Strings no value of this API takes: control characters, lone surrogates, and blanks in disguise."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

# PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 at all: either
# would fail deep inside a request; no field, parameter or id of the API takes any of these.
_UNACCEPTABLE = re.compile(r"[\x00-\x1f\ud800-\udfff]")
# A JSON string literal that might hold only spaces or invisible characters (literal or escaped):
# the trigger for the exact check, so bodies without one are not walked.
_MAYBE_BLANK = re.compile(
    r'"(?:[ \u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]|\\u[0-9a-fA-F]{4})+"'
)


def is_acceptable(text: str) -> bool:
    """Whether the text is free of control characters and lone surrogates."""
    return _UNACCEPTABLE.search(text) is None


def is_blank_in_disguise(text: str) -> bool:
    """Non-empty, yet only spaces or invisible format characters (zero-width space, BOM...): empty to a person."""
    return bool(text) and all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


def may_hold_blanks(json_text: str) -> bool:
    """Whether a JSON text may contain a string that is blank in disguise (cheap; exact check follows)."""
    return _MAYBE_BLANK.search(json_text) is not None


def first_string(value: Any, failing: Callable[[str], bool], path: str = "") -> str | None:
    """The wire path (`accountInfo.beneficiary.fullName`, `items[2]`) of the first string `failing` refuses."""
    if isinstance(value, str):
        return (path or "body") if failing(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if failing(str(key)):
                return here.encode("unicode_escape").decode()
            found = first_string(item, failing, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_string(item, failing, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def unacceptable(text: str) -> bool:
    """The negation of `is_acceptable`, for `first_string`."""
    return not is_acceptable(text)
