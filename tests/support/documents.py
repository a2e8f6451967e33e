"""The documents the tests read: Railbook's own copies in `contract/`, so a clone alone runs the suite."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "contract" / "reference"
# Pieces of Grid's contract published after the cut in REFERENCE, with their sources (Railbook's own).
LATER_PIECES = ROOT / "contract" / "later"
SEEDS = ROOT / "contract" / "seeds"


def seed(name: str) -> str:
    """The text of one seed document."""
    return (SEEDS / name).read_text(encoding="utf-8")
