"""Per-installation keys kept in the database, so every process of one deployment shares them."""

from __future__ import annotations

import secrets

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, Database


class InstanceKey(Base):
    """A named random key created once per installation (e.g. the cursor signing key)."""

    __tablename__ = "instance_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


def load_or_create_key(database: Database, name: str) -> bytes:
    """The key called `name`, created on first use; concurrent first uses agree on one value."""
    with database.reading() as session:
        existing = session.scalar(select(InstanceKey.value).where(InstanceKey.name == name))
    if existing is not None:
        return bytes.fromhex(existing)
    try:
        with database.transaction() as session:
            session.add(InstanceKey(name=name, value=secrets.token_hex(32)))
    except IntegrityError:
        pass  # Another process created it first; use theirs.
    with database.reading() as session:
        value = session.scalar(select(InstanceKey.value).where(InstanceKey.name == name))
    if value is None:
        raise RuntimeError(f"instance key {name} could not be created")
    return bytes.fromhex(value)
