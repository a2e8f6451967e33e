"""`GET /vasps`: the VASP directory, from the operator's file (no maintained public list exists)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, TypeAdapter, ValidationError

from railbook.directory.names import name_key
from railbook.kit.wire import WireModel


class Vasp(WireModel):
    """A Virtual Asset Service Provider recognised for counterparty declarations (`Vasp`)."""

    vasp_name: str = Field(min_length=1, max_length=255)
    url: str | None = Field(default=None, pattern=r"^https?://", max_length=2048)


class Vasps:
    """The directory, sorted by name (the order pages are cut in)."""

    def __init__(self, vasps: list[Vasp]) -> None:
        self.vasps = sorted(
            {name_key(vasp.vasp_name): vasp for vasp in vasps}.values(), key=lambda vasp: vasp.vasp_name
        )
        self.keys = frozenset(name_key(vasp.vasp_name) for vasp in self.vasps)

    def page(self, after: str | None, limit: int) -> tuple[list[Vasp], bool]:
        """Up to `limit` VASPs named after `after`, and whether more follow."""
        rest = [vasp for vasp in self.vasps if after is None or vasp.vasp_name > after]
        return rest[:limit], len(rest) > limit

    def knows(self, vasp_name: str) -> bool:
        """Whether `vasp_name` is in the directory; an empty directory (none configured) knows every name."""
        return not self.vasps or name_key(vasp_name) in self.keys


def build_vasps(path: Path | None) -> Vasps:
    """The operator's VASP file (a JSON array of {vaspName, url?}); none: an empty directory."""
    if path is None:
        return Vasps([])
    try:
        return Vasps(TypeAdapter(list[Vasp]).validate_python(json.loads(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, ValidationError) as exc:
        raise ValueError(f"RAILBOOK_VASPS_FILE {path}: {exc}") from exc
