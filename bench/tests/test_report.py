"""The printed table: the keyed create's ratio is read against the plain creates alternated with it."""

from __future__ import annotations

from typing import Any

from bench.report import evaluate_targets, table_rows
from bench.tests.test_turns import turn


def test_the_keyed_create_is_compared_with_the_plain_creates_of_its_own_turns() -> None:
    results = {
        "railbook": {
            "create": turn(9000, 10.0, 4.0, 30.0, 0.8),
            "create_idempotent": turn(6000, 10.0, 6.0, 40.0, 1.2),
            "create_beside_keyed": turn(8000, 10.0, 5.0, 35.0, 0.9),
        },
        "baseline": {"create": turn(10000, 10.0, 3.0, 25.0, 0.7)},
    }

    rows = {row[0]: row for row in table_rows(results)}

    keyed = rows["create + Idempotency-Key (vs plain)"]
    assert keyed[1] == "600" and keyed[5] == "0.75x"  # 600 / 800 req/s, not 600 / 1,000 (the baseline's)
    assert rows["create, alternated with keyed"][1] == "800"
    assert rows["create, 32 conn"][5] == "0.90x"


def _reads(list_rps: float, get_rps: float, list_p50: float, get_p99: float, list_all_p50: float) -> dict[str, Any]:
    return {
        "list": {"rps": list_rps, "p50_ms": list_p50, "p99_ms": 40.0},
        "get": {"rps": get_rps, "p50_ms": 5.0, "p99_ms": get_p99},
        "list_all": {"rps": 900.0, "p50_ms": list_all_p50, "p99_ms": 9.0},
    }


def _run(database: str) -> dict[str, Any]:
    run: dict[str, Any] = {
        "meta": {"database": database},
        "railbook": {
            "create": {"rps": 750.0, "p99_ms": 45.0},
            "create_idempotent": {"rps": 520.0},
            "create_beside_keyed": {"rps": 800.0},
            "reads": {
                "1000": _reads(750.0, 800.0, 10.0, 20.0, 2.0),
                "1000000": _reads(700.0, 790.0, 13.5, 31.0, 3.9),
            },
        },
        "baseline": {"create": {"rps": 1000.0}, "list": {"rps": 1000.0}, "get": {"rps": 1000.0}},
    }
    if database == "postgres":  # as the runs do: two processes are measured on PostgreSQL only
        run["railbook"]["create_two_processes"] = {"rps": 1200.0}
    return run


def test_issue_22s_targets_are_judged_with_each_databases_goals() -> None:
    sqlite = {item["target"]: item for item in evaluate_targets(_run("sqlite"))}
    postgres = {item["target"]: item for item in evaluate_targets(_run("postgres"))}

    # Reads and creates at 0.75-0.8x of the baseline: enough on PostgreSQL (0.7x), not on SQLite (0.8x).
    assert not sqlite["create req/s vs baseline"]["met"] and postgres["create req/s vs baseline"]["met"]
    assert not sqlite["list ?customerId req/s vs baseline at 1k"]["met"]
    assert postgres["list ?customerId req/s vs baseline at 1k"]["met"]
    assert sqlite["get by id req/s vs baseline at 1k"]["met"]
    # One customer's page at 1M: 1.35x of its p50 at 1k, over the 1.3x allowed; the whole list at 1.95x, within 2x.
    assert sqlite["list p50 at 1M / at 1k"] == {"target": "list p50 at 1M / at 1k", "goal": "<= 1.3x",
                                                "measured": 1.35, "met": False, "verdict": "MISSED"}  # fmt: skip
    assert sqlite["unfiltered list p50 at 1M / at 1k"]["met"]
    assert sqlite["get p99 at 1k (ms)"]["met"] and not sqlite["get p99 at 1M (ms)"]["met"]
    # 520 keyed creates against 800 plain ones alternated with them: 0.65x, under 0.7x.
    assert sqlite["keyed create vs plain (alternated)"]["measured"] == 0.65
    assert not sqlite["keyed create vs plain (alternated)"]["met"]
    # PostgreSQL only: the list's tail and two API processes (1,200 against 750: 1.6x).
    assert postgres["list p99 at 1M (ms)"]["met"] and "list p99 at 1M (ms)" not in sqlite
    assert postgres["create, 2 processes vs 1"]["met"] and "create, 2 processes vs 1" not in sqlite
    assert postgres["create, 2 processes vs 1"]["verdict"] == "met"


def _two_processes(rps: float, busy: float) -> dict[str, Any]:
    """How a PostgreSQL run judges two API processes at `rps` (one: 750 req/s, machine 84% busy)."""
    run = _run("postgres")
    run["railbook"]["create"]["machine_busy_percent"] = 84.0
    run["railbook"]["create_two_processes"] = {"rps": rps, "machine_busy_percent": busy}
    return next(item for item in evaluate_targets(run) if item["target"] == "create, 2 processes vs 1")


def test_two_processes_short_of_1_6x_with_every_core_busy_are_named_the_machines_ceiling() -> None:
    ceiling = _two_processes(900.0, 96.5)
    idle = _two_processes(900.0, 70.0)

    # 1.2x either way: not met; with the machine 96.5% busy the second process had no core to run on.
    assert ceiling["measured"] == idle["measured"] == 1.2
    assert not ceiling["met"] and not idle["met"]
    assert ceiling["verdict"] == "no idle core: machine 96.5% busy (one process: 84%)"
    # With a core to spare the shortfall is Railbook's own; at its CPU per request every core busy gives 1.2 / 0.7.
    assert idle["verdict"] == "MISSED: machine 70% busy (one process: 84%), 1.71x with every core busy"
    assert idle["ceiling"] == 1.71
    assert _two_processes(1200.0, 99.0)["verdict"] == "met"
