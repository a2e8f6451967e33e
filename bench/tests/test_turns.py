"""The benchmark's alternated turns: who runs when, how one server's turns become one figure, what a run records."""

from __future__ import annotations

import os
import time
from typing import Any, cast

import pytest

from bench.scenarios import TURNS_PER_SIDE, alternate, merge_turns, with_cpu
from bench.servers import Server


def turn(requests: int, seconds: float, p50: float, p99: float, cpu: float, **extra: Any) -> dict[str, Any]:
    return {
        "requests": requests, "seconds": seconds, "rps": requests / seconds, "p50_ms": p50, "p90_ms": p50 * 2,
        "p99_ms": p99, "max_ms": p99 * 2, "mean_ms": p50, "socket_errors": 0, "non_2xx": 0,
        "threads_out_of_bodies": 0, "statuses": {"201": requests}, "connections": 32, "cpu_ms_per_request": cpu,
        **extra,
    }  # fmt: skip


def test_turns_alternate_so_each_server_has_an_early_and_a_late_turn() -> None:
    calls: list[tuple[str, int, float]] = []

    def measured(name: str) -> Any:
        def run(index: int, seconds: float) -> dict[str, Any]:
            calls.append((name, index, seconds))
            return turn(100, seconds, 1.0, 5.0, 0.5)

        return run

    alternate(measured("railbook"), measured("baseline"), 20.0)

    assert TURNS_PER_SIDE == 2
    assert calls == [("railbook", 0, 10.0), ("baseline", 0, 10.0), ("baseline", 1, 10.0), ("railbook", 1, 10.0)]


def test_a_servers_turns_merge_into_one_run_of_their_summed_requests_and_time() -> None:
    merged = merge_turns([turn(3000, 10.0, 4.0, 30.0, 0.8), turn(1000, 10.0, 8.0, 50.0, 1.2)])

    assert merged["requests"] == 4000
    assert merged["seconds"] == 20.0
    assert merged["rps"] == 200.0
    # Weighted by requests: the busier turn counts for more.
    assert merged["p50_ms"] == pytest.approx((4.0 * 3000 + 8.0 * 1000) / 4000)
    assert merged["cpu_ms_per_request"] == pytest.approx((0.8 * 3000 + 1.2 * 1000) / 4000)
    # Percentiles of separate runs cannot be merged exactly: the worst turn's is reported.
    assert merged["p99_ms"] == 50.0
    assert merged["max_ms"] == 100.0
    assert merged["statuses"] == {"201": 4000}
    assert [entry["rps"] for entry in merged["turns"]] == [300.0, 100.0]


def test_turns_without_cpu_figures_merge_without_a_cpu_figure() -> None:
    plain = turn(100, 1.0, 1.0, 2.0, 0.5)
    del plain["cpu_ms_per_request"]

    merged = merge_turns([plain, turn(100, 1.0, 1.0, 2.0, 0.5)])

    assert "cpu_ms_per_request" not in merged
    assert merged["requests"] == 200


def test_the_machines_busy_share_merges_weighted_by_each_turns_time() -> None:
    merged = merge_turns(
        [
            turn(3000, 30.0, 4.0, 30.0, 0.8, machine_busy_percent=90.0),
            turn(1000, 10.0, 8.0, 50.0, 1.2, machine_busy_percent=50.0),
        ]
    )

    assert merged["machine_busy_percent"] == 80.0  # (90 x 30 s + 50 x 10 s) / 40 s
    assert [entry["machine_busy_percent"] for entry in merged["turns"]] == [90.0, 50.0]


class _ProcessAsServer:
    """This test process in the place of a server: its own CPU time is the server's."""

    def cpu_seconds(self) -> float:
        return time.process_time()


def test_a_run_records_how_busy_the_whole_machine_was() -> None:
    def burn_one_core() -> dict[str, Any]:
        until = time.process_time() + 0.5
        while time.process_time() < until:
            pass
        return {"requests": 100}

    figures = with_cpu(cast(Server, _ProcessAsServer()), burn_one_core)

    # One core busy throughout: at least its share of the machine's time, whatever else runs.
    assert 0.8 * 100 / (os.cpu_count() or 1) <= figures["machine_busy_percent"] <= 100
    assert figures["cpu_ms_per_request"] == pytest.approx(5.0, rel=0.1)  # 0.5 s of CPU over 100 requests
