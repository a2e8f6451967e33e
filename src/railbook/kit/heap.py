"""Garbage-collector settings for long-running server and worker processes."""

from __future__ import annotations

import gc

# CPython collects the young generation every 700 net allocations of container objects; under
# load that was ~100 collections a second, and every tenth of a tenth walked the whole heap.
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_for_serving() -> None:
    """Keep what start-up built out of later collections, and collect young objects less often."""
    # Full collections walked every module, model and compiled schema built at start-up: 130-150 ms
    # each, a stall for every request in flight and the whole p99 of creates (docs/decisions.md, Performance).
    # Frozen objects are never collected, so this runs once, in the process's own entry point only.
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
