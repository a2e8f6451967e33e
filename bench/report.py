"""Targets (issues 7, 19 and 22) and the table printed at the end of a run."""

from __future__ import annotations

from typing import Any

# The create against the bare baseline on the same database: SQLite (issue 7), PostgreSQL (issue 22).
CREATE_RATIO = {"sqlite": 0.8, "postgres": 0.7}
CREATE_P99_MS = 50.0
# Issue 22 tightened issue 7's 1.5x: one customer's page at 1M accounts stored against at 1k.
LIST_GROWTH = 1.3
PLAID_P50_MS = 250.0
WEBHOOKS_PER_SECOND = 500.0
MEMORY_MB = 200.0
# Issue 19: requirements are served from memory; validate is a create without its writes.
REQUIREMENTS_RATIO = 0.8
# Issue 22: reads against the baseline's (at the first size, where both are measured), their tails,
# the whole platform's list as it grows, the keyed create against plain creates alternated with it,
# and two API processes against one (which needs cores that wrk and PostgreSQL do not use).
READ_RATIO = {"sqlite": 0.8, "postgres": 0.7}
GET_P99_MS = 30.0
POSTGRES_LIST_P99_MS = 50.0
LIST_ALL_GROWTH = 2.0
KEYED_RATIO = 0.7
TWO_PROCESSES_RATIO = 1.6
# The issue asks for 1.6x "when the machine has the cores" and otherwise for the ceiling measured: a
# two-process run that kept the machine this busy (Railbook, wrk and PostgreSQL together) had no
# idle core for the second process, so its shortfall is the machine's and is shown as such.
NO_IDLE_CORE_PERCENT = 90.0
TWO_PROCESSES_TARGET = "create, 2 processes vs 1"


def _get(tree: dict[str, Any], *path: str) -> Any:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if not isinstance(numerator, int | float) or not isinstance(denominator, int | float) or not denominator:
        return None
    return round(numerator / denominator, 2)


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    ours, base = results["railbook"], results["baseline"]
    sizes = sorted(ours.get("reads", {}), key=int)
    small, large = (sizes[0], sizes[-1]) if sizes else ("", "")
    database = results["meta"].get("database", "sqlite")
    checks: list[tuple[str, str, float | None, bool]] = []
    ratio = _ratio(_get(ours, "create", "rps"), _get(base, "create", "rps"))
    checks.append(_at_least("create req/s vs baseline", ratio, CREATE_RATIO[database], "x"))
    checks.append(_at_most("create p99 (ms)", _get(ours, "create", "p99_ms"), CREATE_P99_MS))
    growth = _ratio(_get(ours, "reads", large, "list", "p50_ms"), _get(ours, "reads", small, "list", "p50_ms"))
    checks.append(_at_most(f"list p50 at {_size(large)} / at {_size(small)}", growth, LIST_GROWTH, "x"))
    checks.append(_at_most("Plaid callback->webhook p50 (ms)", _get(ours, "plaid", "p50_ms"), PLAID_P50_MS))
    checks.append(_at_least("webhook deliveries/s", _get(ours, "webhooks", "per_second"), WEBHOOKS_PER_SECOND))
    ratio = _ratio(_get(ours, "requirements", "rps"), _get(base, "get", "rps"))
    checks.append(_at_least("requirements req/s vs baseline get", ratio, REQUIREMENTS_RATIO, "x"))
    validate_cpu = _get(ours, "validate", "cpu_ms_per_request")
    create_cpu = _get(ours, "create", "cpu_ms_per_request")
    checks.append(
        ("validate CPU ms/request (create's in goal)", f"<= {create_cpu}", validate_cpu,
         validate_cpu is not None and create_cpu is not None and validate_cpu <= create_cpu)
    )  # fmt: skip
    checks += _read_targets(ours, base, database, small, large)
    creates = _get(ours, "memory", "creates") or 0
    checks.append(_at_most(f"RSS after {_size(str(creates))} creates (MB)", _get(ours, "memory", "rss_mb"), MEMORY_MB))
    targets = [
        {"target": name, "goal": goal, "measured": value, "met": met, "verdict": "met" if met else "MISSED"}
        for name, goal, value, met in checks
    ]
    if "create_two_processes" in ours:
        _judge_two_processes(ours, targets)
    return targets


def _judge_two_processes(ours: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    """The two-process verdict with the machine's part in it: how busy it was and what every core busy would give."""
    target = next(item for item in targets if item["target"] == TWO_PROCESSES_TARGET)
    busy = _get(ours, "create_two_processes", "machine_busy_percent")
    if target["met"] or target["measured"] is None or not isinstance(busy, int | float) or not busy:
        return
    # At the CPU per request the two-process run cost the whole machine (Railbook, wrk, PostgreSQL),
    # every core busy would have given this ratio: the machine's ceiling for the target.
    target["ceiling"] = round(target["measured"] * 100 / busy, 2)
    one = _get(ours, "create", "machine_busy_percent")
    machine = f"machine {busy:g}% busy" + (f" (one process: {one:g}%)" if isinstance(one, int | float) else "")
    if busy >= NO_IDLE_CORE_PERCENT:
        target["verdict"] = f"no idle core: {machine}"
    else:
        target["verdict"] = f"MISSED: {machine}, {target['ceiling']:g}x with every core busy"


def _read_targets(
    ours: dict[str, Any], base: dict[str, Any], database: str, small: str, large: str
) -> list[tuple[str, str, float | None, bool]]:
    """Issue 22's targets: reads, the keyed create, and on PostgreSQL the list's tail and two processes."""
    checks = []
    for name, read in (("list ?customerId", "list"), ("get by id", "get")):
        ratio = _ratio(_get(ours, "reads", small, read, "rps"), _get(base, read, "rps"))
        checks.append(_at_least(f"{name} req/s vs baseline at {_size(small)}", ratio, READ_RATIO[database], "x"))
    for size in dict.fromkeys((small, large)):
        checks.append(
            _at_most(f"get p99 at {_size(size)} (ms)", _get(ours, "reads", size, "get", "p99_ms"), GET_P99_MS)
        )
        if database == "postgres":
            p99 = _get(ours, "reads", size, "list", "p99_ms")
            checks.append(_at_most(f"list p99 at {_size(size)} (ms)", p99, POSTGRES_LIST_P99_MS))
    growth = _ratio(_get(ours, "reads", large, "list_all", "p50_ms"), _get(ours, "reads", small, "list_all", "p50_ms"))
    checks.append(_at_most(f"unfiltered list p50 at {_size(large)} / at {_size(small)}", growth, LIST_ALL_GROWTH, "x"))
    keyed = _ratio(_get(ours, "create_idempotent", "rps"), _get(ours, "create_beside_keyed", "rps"))
    checks.append(_at_least("keyed create vs plain (alternated)", keyed, KEYED_RATIO, "x"))
    if "create_two_processes" in ours:
        two = _ratio(_get(ours, "create_two_processes", "rps"), _get(ours, "create", "rps"))
        checks.append(_at_least(TWO_PROCESSES_TARGET, two, TWO_PROCESSES_RATIO, "x"))
    return checks


def _at_least(name: str, measured: float | None, goal: float, unit: str = "") -> tuple[str, str, float | None, bool]:
    return name, f">= {goal:g}{unit}", measured, measured is not None and measured >= goal


def _at_most(name: str, measured: float | None, goal: float, unit: str = "") -> tuple[str, str, float | None, bool]:
    return name, f"<= {goal:g}{unit}", measured, measured is not None and measured <= goal


def _size(count: str) -> str:
    if not count:
        return "?"
    number = int(count)
    if number >= 1_000_000 and number % 1_000_000 == 0:
        return f"{number // 1_000_000}M"
    if number >= 1_000:
        return f"{round(number / 1_000)}k"
    return str(number)


def _row(label: str, figures: dict[str, Any] | None, versus: dict[str, Any] | None = None) -> list[str]:
    if not figures:
        return [label, "-", "-", "-", "-", "-", ""]
    errors = int(figures.get("non_2xx", 0)) + int(figures.get("socket_errors", 0))
    ratio = _ratio(figures.get("rps"), (versus or {}).get("rps"))
    return [
        label,
        f"{figures['rps']:,.0f}",
        f"{figures['p50_ms']:.1f}",
        f"{figures['p99_ms']:.1f}",
        f"{figures['cpu_ms_per_request']:.2f}" if "cpu_ms_per_request" in figures else "",
        f"{ratio:.2f}x" if ratio is not None else "",
        str(errors) if errors else "",
    ]


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """The load-test rows: scenario, req/s, p50, p99, server CPU ms per request, req/s vs baseline, errors."""
    ours, base = results["railbook"], results["baseline"]
    rows = [
        _row("create, 32 conn", ours.get("create"), base.get("create")),
        # The keyed create's ratio is against plain creates alternated with it on Railbook.
        _row("create + Idempotency-Key (vs plain)", ours.get("create_idempotent"), ours.get("create_beside_keyed")),
        _row("create, alternated with keyed", ours.get("create_beside_keyed")),
        _row("validate (nothing stored)", ours.get("validate"), base.get("create")),
        _row("requirements (5 corridors)", ours.get("requirements"), base.get("get")),
        _row(
            f"create, sustained to {_size(str(_get(ours, 'memory', 'creates') or 0))}",
            _get(ours, "memory", "sustained_create"),
        ),
    ]
    if "create_two_processes" in ours:  # PostgreSQL runs; the ratio is against one process's create
        rows.append(_row("create, 2 processes (vs 1)", ours["create_two_processes"], ours.get("create")))
    for size in sorted(ours.get("reads", {}), key=int):
        reads = ours["reads"][size]
        stored = _size(str(reads["stored"]))
        first = size == min(ours["reads"], key=int)
        rows.append(_row(f"list ?customerId, {stored} stored", reads.get("list"), base.get("list") if first else None))
        rows.append(_row(f"get by id, {stored} stored", reads.get("get"), base.get("get") if first else None))
        rows.append(_row(f"list (no filter, 4 conn), {stored} stored", reads.get("list_all")))
    rows.append(_row(f"baseline create ({base.get('database', 'sqlite')})", base.get("create")))
    rows.append(_row(f"baseline list, {_size(str(base.get('stored', 0)))} stored", base.get("list")))
    rows.append(_row(f"baseline get, {_size(str(base.get('stored', 0)))} stored", base.get("get")))
    return rows


def _create_runs(results: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    return [
        ("railbook create", results["railbook"].get("create")),
        ("railbook create + Idempotency-Key", results["railbook"].get("create_idempotent")),
        ("railbook create, alternated with keyed", results["railbook"].get("create_beside_keyed")),
        ("baseline create", results["baseline"].get("create")),
    ]


def _format(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * width for width in widths))
    for row in rows:
        lines.append(
            " | ".join(
                cell.ljust(width) if index == 0 else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(lines)


def print_table(results: dict[str, Any]) -> None:
    """Print the load-test table, the other figures and the targets."""
    meta = results["meta"]
    print(
        f"\nRailbook benchmarks: {meta['database']}{' (quick)' if meta['quick'] else ''}, "
        f"{meta['machine']['cpus']} CPUs, {meta['total_seconds']} s, commit {meta['commit']}, load average "
        f"{meta['load_average_at_start'][0]} at start and {meta['load_average_at_end'][0]} at the end\n"
    )
    header = ["scenario", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "vs baseline", "errors"]
    print(_format(table_rows(results), header))
    short = [name for name, figures in _create_runs(results) if figures and figures.get("threads_out_of_bodies")]
    if short:
        print(f"warning: {', '.join(short)} ran out of fresh bodies before the end (raise Plan.max_create_rps)")
    ours = results["railbook"]
    plaid, hooks, memory = ours.get("plaid", {}), ours.get("webhooks", {}), ours.get("memory", {})
    print()
    print(
        f"Plaid callback -> ACTIVE webhook: p50 {plaid.get('p50_ms')} ms, p99 {plaid.get('p99_ms')} ms, "
        f"max {plaid.get('max_ms')} ms over {plaid.get('completed')}/{plaid.get('flows')} flows "
        f"(callback answered in {plaid.get('callback_p50_ms')} ms p50)"
    )
    print(
        f"Webhooks: {hooks.get('per_second')} deliveries/s ({hooks.get('delivered')}/{hooks.get('events')} "
        f"delivered, first {hooks.get('first_after_commit_s')} s and last {hooks.get('drain_seconds')} s "
        f"after commit; CPU ms per delivery: Railbook {hooks.get('cpu_ms_per_delivery')}, "
        f"receiver {hooks.get('receiver_cpu_ms_per_delivery')}"
        + (f", PostgreSQL {hooks['postgres_cpu_ms_per_delivery']}" if "postgres_cpu_ms_per_delivery" in hooks else "")
        + ")"
    )
    print(
        f"Memory (VmRSS): {memory.get('rss_at_start_mb')} MB at start, {memory.get('rss_mb')} MB after "
        f"{memory.get('creates')} creates, {memory.get('rss_at_end_mb')} MB at the end, "
        f"peak {memory.get('peak_rss_at_end_mb', memory.get('peak_rss_mb'))} MB"
    )
    seeding = ours.get("seeding", {})
    print(f"Seeding: {seeding.get('rows')} rows by bulk insert in {seeding.get('seconds')} s\n")
    target_rows = [
        [
            item["target"],
            item["goal"],
            "-" if item["measured"] is None else f"{item['measured']:g}",
            item["verdict"],
        ]
        for item in results.get("targets", [])
    ]
    print(_format(target_rows, ["target", "goal", "measured", ""]))
