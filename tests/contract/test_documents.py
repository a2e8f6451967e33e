"""The repository's copies of the contract and seed documents are the ones they were taken from."""

from __future__ import annotations

import pytest

from tests.support.documents import REFERENCE, ROOT, SEEDS

# Where the copies come from, beside the repository on the maintainers' machines and in CI (absent in a clone).
SHARED = ROOT.parent / "shared"


def test_repository_copies_are_the_shared_documents() -> None:
    """When `../shared` is beside the repository, `contract/` holds exactly its reference and seeds."""
    if not SHARED.is_dir():
        pytest.skip("no ../shared beside this clone: the repository's copies are all there is")
    for ours, theirs in ((REFERENCE, SHARED / "reference"), (SEEDS, SHARED / "seeds")):
        names = sorted(path.name for path in theirs.iterdir() if path.is_file())
        assert sorted(path.name for path in ours.iterdir() if path.is_file()) == names, ours
        stale = [name for name in names if (ours / name).read_bytes() != (theirs / name).read_bytes()]
        assert not stale, (
            f"{', '.join(stale)} changed in {theirs}: copy them with `cp {theirs}/* {ours}/`, "
            "then regenerate the packaged contract (see test_packaged_contract_is_the_repositorys_reference)"
        )
