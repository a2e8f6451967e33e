"""Resource ids of the form `<Type>:<uuid>` with time-ordered (v7) UUIDs."""

from __future__ import annotations

import uuid_utils


def new_id(type_name: str) -> str:
    """A fresh `<Type>:<uuid7>` id."""
    return f"{type_name}:{uuid_utils.uuid7()}"


def new_uuid() -> str:
    """A fresh time-ordered UUID as text, for ids that must not contain a colon."""
    return str(uuid_utils.uuid7())
