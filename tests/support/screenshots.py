"""Screenshots the browser tests save of the pages people use, for a person to look at after a run."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Error, Page

# Beside the repository's other ignored output; RAILBOOK_TEST_ARTIFACTS moves it (a CI upload folder, say).
ARTIFACTS = Path(os.environ.get("RAILBOOK_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / ".artifacts"))

# Chromium's answer when the compositor has no frame to give yet (a form post's new page not painted).
_NO_FRAME_YET = "Unable to capture screenshot"
_ATTEMPTS = 3

# Resolves once the browser has produced a frame after this call: two animation frames apart.
_AFTER_A_PAINT = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `<artifacts>/screenshots/<name>.png` and return the path."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # An element of a new page can be read before that page is loaded and painted: capture after both.
    page.wait_for_load_state("load")
    for _ in range(_ATTEMPTS - 1):
        page.evaluate(_AFTER_A_PAINT)
        try:
            page.screenshot(path=str(path), full_page=True)
            return path
        except Error as refused:
            if _NO_FRAME_YET not in refused.message:
                raise
    page.evaluate(_AFTER_A_PAINT)
    page.screenshot(path=str(path), full_page=True)
    return path
