"""Server processes freeze what start-up built and collect young objects less often."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from railbook.kit.heap import YOUNG_GENERATION_THRESHOLD

PROBE = """
import gc
from railbook.asgi import app_from_env
app_from_env()
print(gc.get_freeze_count(), gc.get_threshold()[0])
"""


@pytest.mark.subprocess
def test_the_server_entry_point_freezes_the_start_up_heap(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "RAILBOOK_DATA_DIR": str(tmp_path / "data"),
        "RAILBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'railbook.db'}",
        "RAILBOOK_EMBEDDED_WORKER": "false",
    }
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    frozen, young_threshold = (int(value) for value in done.stdout.split())
    # Everything built at start-up (models, schemas, the app) is in the permanent generation.
    assert frozen > 100_000
    assert young_threshold == YOUNG_GENERATION_THRESHOLD
