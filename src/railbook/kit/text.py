"""Characters no value of this API takes: C0 control characters and unpaired UTF-16 surrogates."""

from __future__ import annotations

import re
from typing import Any

# PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 at all: either
# would fail deep inside a request; no field, parameter or id of the API takes any of these.
_UNACCEPTABLE = re.compile(r"[\x00-\x1f\ud800-\udfff]")


def is_acceptable(text: str) -> bool:
    """Whether the text is free of control characters and lone surrogates."""
    return _UNACCEPTABLE.search(text) is None


def first_unacceptable(value: Any, path: str = "") -> str | None:
    """The wire path (`accountInfo.beneficiary.fullName`, `items[2]`) of the first string that is not acceptable."""
    if isinstance(value, str):
        return None if is_acceptable(value) else (path or "body")
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not is_acceptable(str(key)):
                return here.encode("unicode_escape").decode()
            found = first_unacceptable(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_unacceptable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
