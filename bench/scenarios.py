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
from bench.servers import Server
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
    """The figures of a run plus the server's CPU milliseconds per request (warm-up included in neither)."""
    before = server.cpu_seconds()
    figures = figures_of()
    spent = server.cpu_seconds() - before
    if figures.get("requests"):
        figures["cpu_ms_per_request"] = round(spent * 1000 / figures["requests"], 3)
    return figures


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


def measure_reads(
    wrk: str,
    server: Server,
    authorization: str,
    workdir: Path,
    tag: str,
    customers: Sequence[str],
    account_ids: Sequence[str],
    timing: Timing,
    *,
    list_all: bool = True,
) -> dict[str, Any]:
    """List one customer's accounts (limit 20), get one account by id, and (optionally) list everything."""
    list_paths = write_lines(
        workdir / f"list-{tag}.txt", [f"{ACCOUNTS_PATH}?customerId={customer}&limit=20" for customer in customers]
    )
    get_paths = write_lines(workdir / f"get-{tag}.txt", [f"{ACCOUNTS_PATH}/{account}" for account in account_ids])
    figures: dict[str, Any] = {}
    for name, paths in (("list", list_paths), ("get", get_paths)):
        load = Load("get", paths, authorization)
        figures[name] = warm_then_measure_cpu(wrk, server, load, load, timing, connections=CONNECTIONS)
    if list_all:
        # No customerId: the whole platform's accounts, newest first. totalCount comes from the kept
        # counts and the page from an index in creation order (issue 22); 4 connections, 30 s timeout.
        all_paths = write_lines(workdir / f"list-all-{tag}.txt", [f"{ACCOUNTS_PATH}?limit=20"])
        load = Load("get", all_paths, authorization)
        figures["list_all"] = with_cpu(
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
    return figures


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
        "p50_ms": _percentile(latencies, 50),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "callback_p50_ms": _percentile(callbacks, 50),
    }


def webhook_throughput(database: Database, platform_id: str, receiver: Server, events: int) -> dict[str, Any]:
    """Emit `events` status webhooks in one transaction (as a burst of status changes would) and time delivery."""
    httpx.post(f"{receiver.url}/_reset", timeout=5)
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
    committed = time.monotonic()
    deadline = committed + max(60.0, events / 50)
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = httpx.get(f"{receiver.url}/_stats", params={"type": EXTERNAL_ACCOUNT_STATUS_UPDATED}, timeout=5).json()
        if stats["count"] >= events:
            break
        time.sleep(0.2)
    delivered = int(stats.get("count", 0))
    first, last = stats.get("first"), stats.get("last")
    span = (last - first) if first is not None and last is not None else 0.0
    return {
        "events": events,
        "delivered": delivered,
        "per_second": round((delivered - 1) / span, 1) if span > 0 else None,
        "first_after_commit_s": round(first - committed, 3) if first is not None else None,
        "drain_seconds": round(last - committed, 2) if last is not None else None,
    }


def _percentile(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 1)
