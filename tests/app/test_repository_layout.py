"""The test tree mirrors the source tree, and no test file grows into a drawer."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SOURCE = TESTS.parent / "src" / "railbook"
MAX_TEST_FILE_LINES = 400


def test_every_test_file_is_under_400_lines() -> None:
    long = {
        str(path.relative_to(TESTS)): lines
        for path in TESTS.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_TEST_FILE_LINES
    }
    assert long == {}, "split these test files by use case"


def test_tests_live_in_a_folder_named_after_what_they_test() -> None:
    folders = {path.parent.relative_to(TESTS).parts[0] for path in TESTS.rglob("test_*.py")}
    # A package, a module (`app`: the app as a whole) or a folder (`contract`) of the source tree.
    named = {folder for folder in folders if (SOURCE / folder).is_dir() or (SOURCE / f"{folder}.py").is_file()}
    assert folders == named, f"test folders named after nothing in src/railbook: {folders - named}"
    assert not list(TESTS.glob("test_*.py")), "tests belong in the folder of the package they test"
