"""The names clients pick from: receiving institutions (`GET /discoveries`) and VASPs (`GET /vasps`)."""

from __future__ import annotations

from dataclasses import dataclass

from railbook.directory.institutions import Discoveries
from railbook.directory.vasps import Vasps


@dataclass(frozen=True)
class Directory:
    """The lists some fields must name a member of: `bankName` (discoveries), `vaspName` (VASPs)."""

    discoveries: Discoveries
    vasps: Vasps
