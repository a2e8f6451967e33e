"""`make bench`: start Railbook as in production, load it with wrk, compare with the bare baseline.

python -m bench [--db sqlite|postgres] [--quick] [--output PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from bench import baseline, scenarios
from bench.report import evaluate_targets, print_table
from bench.scenarios import Bodies, Timing
from bench.seed import Seeder, sandbox_principal, stored_accounts
from bench.servers import (
    ROOT,
    Server,
    Token,
    baseline_server,
    database_url,
    ensure_wrk,
    free_port,
    railbook_server,
    railbook_stack,
)
from railbook import API_PREFIX
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    """Sizes and durations: the full run, or --quick for a smoke run."""

    sizes: tuple[int, int, int]
    create: Timing
    reads: Timing
    api_customers: int
    memory_creates: int
    plaid_flows: int
    webhook_events: int
    sample_ids: int = 20_000
    sample_customers: int = 2_000
    # Upper bound on creates/s, to size the pool files so a run never runs out of fresh bodies.
    max_create_rps: int = 4_000


FULL = Plan(
    sizes=(1_000, 100_000, 1_000_000),
    create=Timing(5, 20),
    reads=Timing(3, 10),
    api_customers=1_000,
    memory_creates=100_000,
    plaid_flows=50,
    webhook_events=3_000,
)
QUICK = Plan(
    sizes=(1_000, 10_000, 10_000),
    create=Timing(1, 4),
    reads=Timing(1, 3),
    api_customers=100,
    memory_creates=5_000,
    plaid_flows=10,
    webhook_events=500,
)


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="short durations and 1k/10k sizes (a smoke run)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="results JSON (default bench/results/latest.json, latest-postgres.json with --db postgres; "
        "a quick run writes to the temporary directory's parent instead: it is not a result to keep)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    output: Path = args.output or _default_output(args)
    wrk = ensure_wrk()
    # A TERM (timeout, CI) unwinds like an exception, so every server started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="railbook-bench-"))
    log(f"{args.db}{' (quick)' if args.quick else ''}; working in {workdir}")
    started = time.monotonic()
    try:
        results = run(plan, args.db, workdir, wrk)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["total_seconds"] = round(time.monotonic() - started, 1)
    results["meta"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    results["targets"] = evaluate_targets(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    print_table(results)
    print(f"\nresults written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def _default_output(args: argparse.Namespace) -> Path:
    if args.quick:
        return Path(tempfile.gettempdir()) / f"railbook-bench-quick-{args.db}.json"
    return DEFAULT_OUTPUT if args.db == "sqlite" else DEFAULT_OUTPUT.with_name(f"latest-{args.db}.json")


def run(plan: Plan, db: str, workdir: Path, wrk: str) -> dict[str, Any]:
    """Every scenario against one fresh database."""
    results: dict[str, Any] = {"meta": _meta(plan, db, wrk), "railbook": {}, "baseline": {}}
    ours: dict[str, Any] = results["railbook"]
    with railbook_stack(db, workdir) as stack:
        url, token, server, receiver = stack.database_url, stack.token, stack.server, stack.receiver
        client = httpx.Client(base_url=server.url + API_PREFIX, auth=(token.id, token.secret), timeout=30)
        database = Database(url)
        template = scenarios.create_customers(client, 1, name="Seeded Customer")[0]
        seeder = Seeder(database, sandbox_principal(token.id, token.platform_id), template)
        ours["memory"] = {"rss_at_start_mb": server.rss_mb()["VmRSS"]}
        ours["reads"] = {}

        log(f"seeding {plan.sizes[0]:,} accounts")
        seeder.grow_to(plan.sizes[0])
        # As after every later seeding: without statistics PostgreSQL planned the first reads for an
        # empty table until the autoanalyze pass caught up mid-run (docs/performance.md).
        seeder.analyze()

        log("creating customers for the create benchmark")
        bodies = Bodies(workdir, scenarios.create_customers(client, plan.api_customers))
        warm = bodies.pool("create-warm", round(plan.create.warm_seconds * plan.max_create_rps))
        turn_bodies = round(plan.create.seconds / scenarios.TURNS_PER_SIDE * plan.max_create_rps)
        turns = [bodies.pool(f"create-{index}", turn_bodies) for index in range(scenarios.TURNS_PER_SIDE)]
        results["baseline"] = _beside_baseline(plan, wrk, workdir, server, token, seeder, database, warm, turns, db,
                                               ours)  # fmt: skip

        log("railbook: validate (the create's checks, nothing stored)")
        warm_checked = bodies.pool("validate-warm", round(plan.create.warm_seconds * plan.max_create_rps))
        checked = bodies.pool("validate", round(plan.create.seconds * plan.max_create_rps))
        ours["validate"] = scenarios.measure_validate(
            wrk, server, token.authorization, warm_checked, checked, plan.create
        )
        log("railbook: requirements")
        ours["requirements"] = scenarios.measure_requirements(wrk, server, token.authorization, workdir, plan.reads)
        log("railbook: create with Idempotency-Key and without, in alternated turns")
        warm_keyed = bodies.pool("create-keyed-warm", round(plan.create.warm_seconds * plan.max_create_rps))
        keyed_turns = [bodies.pool(f"create-keyed-{index}", turn_bodies) for index in range(scenarios.TURNS_PER_SIDE)]
        plain_turns = [bodies.pool(f"create-plain-{index}", turn_bodies) for index in range(scenarios.TURNS_PER_SIDE)]
        ours["create_idempotent"], ours["create_beside_keyed"] = scenarios.keyed_beside_plain(
            wrk, server, token.authorization, warm_keyed, keyed_turns, plain_turns, plan.create
        )
        if db == "postgres":
            log("railbook: create, two API processes (--workers 2)")
            warm_two = bodies.pool("create-two-warm", round(plan.create.warm_seconds * plan.max_create_rps))
            two = bodies.pool("create-two", round(plan.create.seconds * plan.max_create_rps))
            two_env = {**stack.env, "RAILBOOK_PORT": str(free_port()), "RAILBOOK_WORKERS": "2"}
            with railbook_server(two_env, workdir / "railbook-two.log") as two_processes:
                ours["create_two_processes"] = scenarios.measure_creates(
                    wrk, two_processes, token.authorization, warm_two, two, plan.create
                )
        ours["memory"].update(_memory(plan, wrk, server, token, bodies, database, seeder))

        for size in sorted(set(plan.sizes[1:])):
            api_created = stored_accounts(database, token.platform_id) - seeder.accounts
            target = max(seeder.accounts, size - api_created)
            log(f"seeding up to {size:,} accounts stored ({target - seeder.accounts:,} more rows)")
            seeder.grow_to(target)
            seeder.analyze()
            _reads(plan, wrk, server, token, workdir, seeder, database, ours["reads"], str(size))
        ours["seeding"] = {"rows": seeder.accounts, "seconds": round(seeder.seconds, 1)}

        log(f"plaid: {plan.plaid_flows} flows")
        ours["plaid"] = scenarios.plaid_flows(client, server, receiver, plan.plaid_flows)
        log(f"webhooks: {scenarios.WEBHOOK_ROUNDS} bursts of {plan.webhook_events} deliveries")
        ours["webhooks"] = scenarios.webhook_rounds(
            database, token.platform_id, server, receiver, plan.webhook_events
        )
        ours["memory"]["rss_at_end_mb"] = server.rss_mb()["VmRSS"]
        ours["memory"]["peak_rss_at_end_mb"] = server.rss_mb()["VmHWM"]
        database.dispose()
        client.close()
    return results


def _reads(
    plan: Plan,
    wrk: str,
    server: Server,
    token: Token,
    workdir: Path,
    seeder: Seeder,
    database: Database,
    into: dict[str, Any],
    label: str,
) -> None:
    stored = stored_accounts(database, token.platform_id)
    log(f"railbook: reads with {stored:,} accounts stored")
    figures = scenarios.measure_reads(
        wrk,
        server,
        token.authorization,
        workdir,
        label,
        _spread(seeder.customers, plan.sample_customers),
        seeder.sample_account_ids(plan.sample_ids),
        plan.reads,
    )
    into[label] = {"stored": stored, **figures}


def _spread(items: list[str], count: int) -> list[str]:
    """Up to `count` items taken evenly across the list (old and new customers alike)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(index * step)] for index in range(count)]


def _beside_baseline(
    plan: Plan,
    wrk: str,
    workdir: Path,
    server: Server,
    token: Token,
    seeder: Seeder,
    database: Database,
    warm: Path,
    turns: list[Path],
    db: str,
    ours: dict[str, Any],
) -> dict[str, Any]:
    """Reads at the first size and creates, on Railbook and on the bare baseline in alternated turns.

    The baseline runs on its own database of the same kind holding the same seeded rows. Railbook's
    figures go into `ours`; the baseline's are returned. Turns alternate (A B B A) so that a machine
    whose speed drifts during the comparison moves both sides alike (docs/decisions.md, Performance).
    """
    (workdir / "baseline" / "data").mkdir(parents=True, exist_ok=True)
    with database_url(db, workdir / "baseline") as target:
        baseline.create_schema(target)
        with database.reading() as session:
            rows = session.execute(
                select(
                    ExternalAccount.id,
                    ExternalAccount.customer_id,
                    ExternalAccount.account_type,
                    ExternalAccount.currency,
                    ExternalAccount.account_info,
                    ExternalAccount.created_at,
                ).where(ExternalAccount.platform_id == token.platform_id)
            ).all()
        baseline.seed(
            target,
            [(row[0], row[1], row[2], row[3], orjson.dumps(row[4]).decode(), row[5].isoformat()) for row in rows],
        )
        figures: dict[str, Any] = {"database": db, "stored": len(rows)}
        label = str(plan.sizes[0])
        with baseline_server(target, workdir / "baseline.log") as theirs:
            stored = stored_accounts(database, token.platform_id)
            log(f"reads with {stored:,} accounts stored: railbook and the baseline in alternated turns")
            loads = scenarios.read_loads(
                workdir,
                token.authorization,
                label,
                _spread(seeder.customers, plan.sample_customers),
                seeder.sample_account_ids(plan.sample_ids),
            )
            mine, figures_of_theirs = scenarios.reads_alternated(wrk, server, theirs, loads, plan.reads)
            figures.update(figures_of_theirs)
            log("railbook: list everything")
            mine["list_all"] = scenarios.measure_list_all(wrk, server, token.authorization, workdir, label, plan.reads)
            ours["reads"][label] = {"stored": stored, **mine}
            log("create: railbook and the baseline in alternated turns")
            ours["create"], figures["create"] = scenarios.creates_alternated(
                wrk, server, theirs, token.authorization, warm, turns, plan.create
            )
            figures["rss_mb"] = theirs.rss_mb()["VmRSS"]
        figures["rows_after"] = baseline.count(target)
    return figures


def _memory(
    plan: Plan, wrk: str, server: Server, token: Token, bodies: Bodies, database: Database, seeder: Seeder
) -> dict[str, Any]:
    """Keep creating through the API until `memory_creates` were made in all, then read VmRSS."""
    created = stored_accounts(database, token.platform_id) - seeder.accounts
    remaining = plan.memory_creates - created
    figures: dict[str, Any] = {}
    if remaining > 0:
        log(f"railbook: {remaining:,} more creates (memory after {plan.memory_creates:,})")
        pool = bodies.pool("create-memory", remaining)
        figures["sustained_create"] = scenarios.create_until_exhausted(wrk, server, token.authorization, pool)
    figures["creates"] = stored_accounts(database, token.platform_id) - seeder.accounts
    return {**figures, **_rss(server)}


def _rss(server: Server) -> dict[str, float]:
    figures = server.rss_mb()
    return {"rss_mb": figures["VmRSS"], "peak_rss_mb": figures["VmHWM"]}


def _meta(plan: Plan, db: str, wrk: str) -> dict[str, Any]:
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    git = shutil.which("git")
    commit = ""
    if git is not None:
        found = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        commit = found.stdout.strip()
    return {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "database": db,
        "quick": plan is QUICK,
        # Other work on the machine skews every figure: look here before comparing runs.
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "commit": commit or None,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "wrk": version.stdout.split("\n")[0].strip(),
        },
        "plan": {
            "sizes": list(plan.sizes),
            "connections": scenarios.CONNECTIONS,
            "create_seconds": plan.create.seconds,
            "create_warmup_seconds": plan.create.warm_seconds,
            "read_seconds": plan.reads.seconds,
            "read_warmup_seconds": plan.reads.warm_seconds,
            "memory_creates": plan.memory_creates,
            "plaid_flows": plan.plaid_flows,
            "webhook_events": plan.webhook_events,
        },
    }
