"""The measured scenarios: creates, reads at a size, the Plaid flow, webhook throughput."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.load import Load, run_wrk, write_lines
from bench.pool import BodyFactory
from bench.servers import Server, machine_jiffies, postgres_cpu_seconds
from railbook import API_PREFIX
from railbook.config import Mode
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.external_accounts.service import render
from railbook.webhooks.events import EXTERNAL_ACCOUNT_STATUS_UPDATED, emit

ACCOUNTS_PATH = f"{API_PREFIX}/customers/external-accounts"
VALIDATE_PATH = f"{ACCOUNTS_PATH}/validate"
REQUIREMENTS_PATH = f"{API_PREFIX}/external-accounts/requirements"
# Corridors a form would ask for: one accountType, a few, and (no filter) every one of them.
REQUIREMENT_QUERIES = (
    "?currency=EUR&country=DE&beneficiaryType=INDIVIDUAL",
    "?currency=MXN&country=MX",
    "?currency=USDC",
    "?accountType=GBP_ACCOUNT&beneficiaryType=BUSINESS",
    "?currency=NGN&country=NG&beneficiaryType=BUSINESS",
)
CONNECTIONS = 32
LIST_ALL_CONNECTIONS = 4
# The Plaid simulator's sandbox credentials and institution, and a name its identity data matches.
PLAID_CLIENT = {"client_id": "railbook-sandbox", "secret": "railbook-sandbox-secret"}
PLAID_INSTITUTION = "ins_109508"
PLAID_HOLDER = "Alberta Bobbeth Charleson"


@dataclass(frozen=True)
class Timing:
    """Durations of one scenario."""

    warm_seconds: float
    seconds: float


class Bodies:
    """Writes pool files of create bodies for a set of customers, never repeating an identifier."""

    def __init__(self, workdir: Path, customers: Sequence[str], seed: int = 3) -> None:
        self.workdir = workdir
        self.customers = list(customers)
        self.factory = BodyFactory(seed=seed)
        self.issued = 0

    def pool(self, name: str, count: int) -> Path:
        """A file of `count` fresh bodies, customers taken round-robin."""
        lines = []
        for _ in range(count):
            body = {**self.factory.body(), "customerId": self.customers[self.issued % len(self.customers)]}
            self.issued += 1
            lines.append(orjson.dumps(body).decode())
        return write_lines(self.workdir / f"{name}.jsonl", lines)


def create_customers(client: httpx.Client, count: int, *, name: str = "Bench Customer") -> list[str]:
    """`count` individual customers created through the API (eight at a time)."""

    def one(index: int) -> str:
        body = {"customerType": "INDIVIDUAL", "fullName": name, "platformCustomerId": f"bench-{time.time_ns()}-{index}"}
        response = client.post("/customers", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def measure_creates(
    wrk: str,
    server: Server,
    authorization: str,
    warm: Path,
    measured: Path,
    timing: Timing,
    *,
    idempotency: bool = False,
) -> dict[str, Any]:
    """POST the pool files (warm-up, then measured) with 32 connections, CPU per request."""
    return warm_then_measure_cpu(
        wrk,
        server,
        Load("post", warm, authorization, ACCOUNTS_PATH, idempotency),
        Load("post", measured, authorization, ACCOUNTS_PATH, idempotency),
        timing,
        connections=CONNECTIONS,
    )


def warm_then_measure_cpu(
    wrk: str, server: Server, warm: Load, measured: Load, timing: Timing, *, connections: int
) -> dict[str, Any]:
    """A warm-up run, then the measured run with the server's CPU milliseconds per request."""
    run_wrk(wrk, server.url, warm, seconds=timing.warm_seconds, connections=connections)
    return with_cpu(server, lambda: run_wrk(wrk, server.url, measured, seconds=timing.seconds, connections=connections))


def with_cpu(server: Server, figures_of: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The figures of a run plus the server's CPU milliseconds per request and how busy the machine was.

    The machine's share of busy CPU time (every process: Railbook, wrk, PostgreSQL) tells whether a
    run had a core to spare, which is what a second API process would need to go faster.
    """
    before, (busy_before, total_before, _) = server.cpu_seconds(), machine_jiffies()
    figures = figures_of()
    spent, (busy_after, total_after, _) = server.cpu_seconds() - before, machine_jiffies()
    if figures.get("requests"):
        figures["cpu_ms_per_request"] = round(spent * 1000 / figures["requests"], 3)
    if total_after > total_before:
        figures["machine_busy_percent"] = round(100 * (busy_after - busy_before) / (total_after - total_before), 1)
    return figures


# Each of two servers compared in a ratio is measured in this many turns, alternated A B B A: a
# machine that speeds up or slows down during the comparison moves both sides alike.
TURNS_PER_SIDE = 2
# Summed over turns; the latencies below are request-weighted means; p99 and max are the worst turn's.
_SUMMED = ("requests", "seconds", "socket_errors", "non_2xx", "threads_out_of_bodies")
_WEIGHTED = ("p50_ms", "p90_ms", "mean_ms")
_WORST = ("p99_ms", "max_ms")

Turn = Callable[[int, float], dict[str, Any]]


def alternate(first: Turn, second: Turn, seconds: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure two servers in TURNS_PER_SIDE turns each, alternated (A B B A), `seconds` in all per server.

    Each Turn is called with its turn's index and length and returns that turn's figures (with CPU).
    """
    turns: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    measures = (first, second)
    length = seconds / TURNS_PER_SIDE
    for index in range(TURNS_PER_SIDE):
        for side in (0, 1) if index % 2 == 0 else (1, 0):
            turns[side].append(measures[side](index, length))
    return merge_turns(turns[0]), merge_turns(turns[1])


def merge_turns(turns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One server's turns as one run: counts summed, the rate over the summed time, CPU per request
    over all requests, the machine's busy share weighted by time, p50/p90/mean weighted by requests,
    p99 and max the worst turn's; each turn kept."""
    requests = sum(turn["requests"] for turn in turns)
    merged: dict[str, Any] = {name: sum(turn[name] for turn in turns) for name in _SUMMED}
    merged["rps"] = round(requests / merged["seconds"], 1) if merged["seconds"] else 0.0
    for name in _WEIGHTED:
        merged[name] = round(sum(turn[name] * turn["requests"] for turn in turns) / requests, 3) if requests else None
    for name in _WORST:
        merged[name] = max(turn[name] for turn in turns)
    statuses: dict[str, int] = {}
    for turn in turns:
        for status, count in turn.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + count
    merged["statuses"] = statuses
    merged["connections"] = turns[0].get("connections")
    if requests and all("cpu_ms_per_request" in turn for turn in turns):
        spent = sum(turn["cpu_ms_per_request"] * turn["requests"] for turn in turns)
        merged["cpu_ms_per_request"] = round(spent / requests, 3)
    if merged["seconds"] and all("machine_busy_percent" in turn for turn in turns):
        busy = sum(turn["machine_busy_percent"] * turn["seconds"] for turn in turns)
        merged["machine_busy_percent"] = round(busy / merged["seconds"], 1)
    merged["turns"] = [
        {name: turn.get(name) for name in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request", "machine_busy_percent")}
        for turn in turns
    ]
    return merged


def measure_validate(
    wrk: str, server: Server, authorization: str, warm: Path, measured: Path, timing: Timing
) -> dict[str, Any]:
    """POST create bodies to validate (nothing is stored), warm-up then measured, CPU per request."""
    run_wrk(wrk, server.url, Load("post", warm, authorization, VALIDATE_PATH), seconds=timing.warm_seconds,
            connections=CONNECTIONS)  # fmt: skip
    load = Load("post", measured, authorization, VALIDATE_PATH)
    return with_cpu(server, lambda: run_wrk(wrk, server.url, load, seconds=timing.seconds, connections=CONNECTIONS))


def measure_requirements(wrk: str, server: Server, authorization: str, workdir: Path, timing: Timing) -> dict[str, Any]:
    """GET the requirements of a few corridors (random order), CPU per request."""
    paths = write_lines(workdir / "requirements.txt", [REQUIREMENTS_PATH + query for query in REQUIREMENT_QUERIES])
    load = Load("get", paths, authorization)
    run_wrk(wrk, server.url, load, seconds=timing.warm_seconds, connections=CONNECTIONS)
    return with_cpu(server, lambda: run_wrk(wrk, server.url, load, seconds=timing.seconds, connections=CONNECTIONS))


def create_until_exhausted(wrk: str, server: Server, authorization: str, pool: Path) -> dict[str, Any]:
    """POST every body of `pool` once (the driver stops each thread when its slice runs out)."""
    return run_wrk(
        wrk, server.url, Load("post", pool, authorization, ACCOUNTS_PATH), seconds=3600, connections=CONNECTIONS
    )


def read_loads(
    workdir: Path, authorization: str, tag: str, customers: Sequence[str], account_ids: Sequence[str]
) -> dict[str, Load]:
    """The read scenarios' loads: one customer's accounts (limit 20), and one account by id."""
    list_paths = write_lines(
        workdir / f"list-{tag}.txt", [f"{ACCOUNTS_PATH}?customerId={customer}&limit=20" for customer in customers]
    )
    get_paths = write_lines(workdir / f"get-{tag}.txt", [f"{ACCOUNTS_PATH}/{account}" for account in account_ids])
    return {"list": Load("get", list_paths, authorization), "get": Load("get", get_paths, authorization)}


def measure_reads(
    wrk: str,
    server: Server,
    authorization: str,
    workdir: Path,
    tag: str,
    customers: Sequence[str],
    account_ids: Sequence[str],
    timing: Timing,
) -> dict[str, Any]:
    """List one customer's accounts (limit 20), get one account by id, and list everything."""
    figures: dict[str, Any] = {}
    for name, load in read_loads(workdir, authorization, tag, customers, account_ids).items():
        figures[name] = warm_then_measure_cpu(wrk, server, load, load, timing, connections=CONNECTIONS)
    figures["list_all"] = measure_list_all(wrk, server, authorization, workdir, tag, timing)
    return figures


def measure_list_all(
    wrk: str, server: Server, authorization: str, workdir: Path, tag: str, timing: Timing
) -> dict[str, Any]:
    """List the whole platform's accounts, newest first (no customerId).

    totalCount comes from the kept counts and the page from an index in creation order (issue 22);
    4 connections, 30 s timeout.
    """
    load = Load("get", write_lines(workdir / f"list-all-{tag}.txt", [f"{ACCOUNTS_PATH}?limit=20"]), authorization)
    return with_cpu(
        server,
        lambda: run_wrk(
            wrk,
            server.url,
            load,
            seconds=max(3.0, timing.seconds / 2),
            connections=LIST_ALL_CONNECTIONS,
            timeout_seconds=30,
        ),
    )


def reads_alternated(
    wrk: str, ours: Server, theirs: Server, loads: dict[str, Load], timing: Timing
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each read load on both servers (each warmed first), in alternated turns: (ours, theirs)."""
    mine: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    for name, load in loads.items():
        for server in (ours, theirs):
            run_wrk(wrk, server.url, load, seconds=timing.warm_seconds, connections=CONNECTIONS)
        every_turn = _every_turn(load)
        mine[name], baseline[name] = alternate(
            _turn(wrk, ours, every_turn), _turn(wrk, theirs, every_turn), timing.seconds
        )
    return mine, baseline


def creates_alternated(
    wrk: str, ours: Server, theirs: Server, authorization: str, warm: Path, turns: Sequence[Path], timing: Timing
) -> tuple[dict[str, Any], dict[str, Any]]:
    """POST create bodies to both servers (each warmed first), in alternated turns: (ours, theirs).

    `turns` holds one pool file per turn; both servers are sent the same bodies (each stores them in
    its own database).
    """
    warm_load = Load("post", warm, authorization, ACCOUNTS_PATH)
    for server in (ours, theirs):
        run_wrk(wrk, server.url, warm_load, seconds=timing.warm_seconds, connections=CONNECTIONS)

    def load_of(index: int) -> Load:
        return Load("post", turns[index], authorization, ACCOUNTS_PATH)

    return alternate(_turn(wrk, ours, load_of), _turn(wrk, theirs, load_of), timing.seconds)


def keyed_beside_plain(
    wrk: str,
    server: Server,
    authorization: str,
    warm: Path,
    keyed_turns: Sequence[Path],
    plain_turns: Sequence[Path],
    timing: Timing,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Creates with and without Idempotency-Key on one server, in alternated turns: (keyed, plain).

    The keyed create's ratio is read against plain creates of the same minutes and the same table
    sizes, not against the create measured minutes earlier beside the baseline.
    """
    warm_load = Load("post", warm, authorization, ACCOUNTS_PATH, idempotency=True)
    run_wrk(wrk, server.url, warm_load, seconds=timing.warm_seconds, connections=CONNECTIONS)

    def keyed(index: int) -> Load:
        return Load("post", keyed_turns[index], authorization, ACCOUNTS_PATH, idempotency=True)

    def plain(index: int) -> Load:
        return Load("post", plain_turns[index], authorization, ACCOUNTS_PATH)

    return alternate(_turn(wrk, server, keyed), _turn(wrk, server, plain), timing.seconds)


def _every_turn(load: Load) -> Callable[[int], Load]:
    """The same load at every turn (reads: the same paths again)."""
    return lambda _: load


def _turn(wrk: str, server: Server, load_of: Callable[[int], Load]) -> Turn:
    """A Turn: the load of that turn's index on `server`, for the turn's length, with CPU."""

    def run(index: int, seconds: float) -> dict[str, Any]:
        load = load_of(index)
        return with_cpu(server, lambda: run_wrk(wrk, server.url, load, seconds=seconds, connections=CONNECTIONS))

    return run


def plaid_flows(client: httpx.Client, server: Server, receiver: Server, flows: int) -> dict[str, Any]:
    """Link token -> sandbox public token -> callback (202 PENDING) -> ACTIVE webhook at the receiver, in turn."""
    latencies: list[float] = []
    callbacks: list[float] = []
    failures: list[str] = []
    simulator = f"{server.url}/_simulators/plaid"
    for customer_id in create_customers(client, flows, name=PLAID_HOLDER):
        link = client.post("/plaid/link-tokens", json={"customerId": customer_id})
        link.raise_for_status()
        public = httpx.post(
            f"{simulator}/sandbox/public_token/create",
            json={
                **PLAID_CLIENT,
                "institution_id": PLAID_INSTITUTION,
                "initial_products": ["auth", "identity"],
            },
            timeout=10,
        )
        public.raise_for_status()
        started = time.monotonic()
        callback = client.post(link.json()["callbackUrl"], json={"publicToken": public.json()["public_token"]})
        answered = time.monotonic()
        if callback.status_code != 202:
            failures.append(f"callback {callback.status_code}: {callback.text[:200]}")
            continue
        account_id = callback.json()["id"]
        waited = httpx.get(
            f"{receiver.url}/_wait", params={"resource": account_id, "status": "ACTIVE", "timeout": "15"}, timeout=20
        )
        if waited.status_code != 200:
            failures.append(f"no ACTIVE webhook for {account_id}")
            continue
        latencies.append((waited.json()["arrived"] - started) * 1000)
        callbacks.append((answered - started) * 1000)
    return {
        "flows": flows,
        "completed": len(latencies),
        "failures": failures[:5],
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "callback_p50_ms": percentile(callbacks, 50),
    }


def webhook_throughput(
    database: Database, platform_id: str, server: Server, receiver: Server, events: int
) -> dict[str, Any]:
    """Emit `events` status webhooks in one transaction (as a burst of status changes would) and time delivery.

    The CPU milliseconds per delivery of Railbook's process (its embedded worker sends them), of the
    receiver and of PostgreSQL are kept beside the rate: the rate moves with the machine, the CPU a
    delivery costs less so, and the three share the machine's cores.
    """
    httpx.post(f"{receiver.url}/_reset", timeout=5)
    cpu_of = (server.cpu_seconds, receiver.cpu_seconds) + (() if database.is_sqlite else (postgres_cpu_seconds,))
    with database.transaction() as session:
        accounts = list(session.query(ExternalAccount).filter(ExternalAccount.platform_id == platform_id).limit(events))
        for index in range(events):
            account = accounts[index % len(accounts)]
            emit(
                session,
                platform_id,
                Mode.SANDBOX,
                EXTERNAL_ACCOUNT_STATUS_UPDATED,
                render(account),
                resource_key=account.id,
            )
        # From here: the emission's own INSERTs are the bench's work, not the deliveries'.
        session.flush()
        cpu_before = [cpu() for cpu in cpu_of]
    committed = time.monotonic()
    deadline = committed + max(60.0, events / 50)
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = httpx.get(f"{receiver.url}/_stats", params={"type": EXTERNAL_ACCOUNT_STATUS_UPDATED}, timeout=5).json()
        if stats["count"] >= events:
            break
        time.sleep(0.2)
    delivered = int(stats.get("count", 0))
    spent = [cpu() - before for cpu, before in zip(cpu_of, cpu_before, strict=True)]
    first, last = stats.get("first"), stats.get("last")
    span = (last - first) if first is not None and last is not None else 0.0
    return {
        "events": events,
        "delivered": delivered,
        "per_second": round((delivered - 1) / span, 1) if span > 0 else None,
        "first_after_commit_s": round(first - committed, 3) if first is not None else None,
        "drain_seconds": round(last - committed, 2) if last is not None else None,
        **{
            f"{name}cpu_ms_per_delivery": round(seconds * 1000 / delivered, 3) if delivered else None
            for name, seconds in zip(("", "receiver_", "postgres_"), spent, strict=False)
        },
    }


# A burst drains in 6-8 s on the machines measured, one sample of a noisy minute: the figure is the
# median of this many bursts, one after another (docs/decisions.md, Performance).
WEBHOOK_ROUNDS = 3


def webhook_rounds(
    database: Database, platform_id: str, server: Server, receiver: Server, events: int, rounds: int = WEBHOOK_ROUNDS
) -> dict[str, Any]:
    """`rounds` bursts of `events` webhooks one after another: the median burst's figures, every burst's rate kept."""
    bursts = [webhook_throughput(database, platform_id, server, receiver, events) for _ in range(rounds)]
    return median_round(bursts)


def median_round(measured: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The round of median delivery rate (a round that delivered nothing counts as 0/s), with each round's rate."""
    ordered = sorted(measured, key=lambda figures: figures["per_second"] or 0.0)
    return {**ordered[(len(ordered) - 1) // 2], "rounds_per_second": [figures["per_second"] for figures in measured]}


def percentile(values: list[float], percent: int) -> float | None:
    """The `percent`-th percentile of the values, to 0.1 (None when there are none)."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 1)
