"""Screenshots the browser tests save of the pages people use, for a person to look at after a run."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

# Beside the repository's other ignored output; RAILBOOK_TEST_ARTIFACTS moves it (a CI upload folder, say).
ARTIFACTS = Path(os.environ.get("RAILBOOK_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / ".artifacts"))


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `<artifacts>/screenshots/<name>.png` and return the path."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
