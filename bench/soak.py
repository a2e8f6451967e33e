"""`make soak`: mixed traffic at a fixed rate for a long while; errors must be 0 and memory must stay flat.

python -m bench.soak [--minutes 10] [--rate 100] [--db sqlite|postgres] [--output PATH]

Railbook runs as `railbook serve` (one process, embedded worker), with a webhook receiver. Requests
leave on a fixed schedule (an open loop: a slow answer does not slow the sender, so queueing shows
up as latency, not as a lower rate) and each kind of request has the statuses it may answer; any
other status, a transport error or a missed start counts as an error. The server's resident memory
is read every few seconds: "flat" means the last fifth of the run is within the allowance of the
fifth that follows the first minute (warm-up: caches and pools filling).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.pool import BodyFactory
from bench.scenarios import PLAID_CLIENT, PLAID_HOLDER, PLAID_INSTITUTION, percentile
from bench.servers import ROOT, Server, machine_jiffies, railbook_stack
from railbook import API_PREFIX

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "soak.json"
SAMPLE_SECONDS = 5.0
WARM_UP_SECONDS = 60.0
# At most this many operations in flight, each with a client of its own holding one connection:
# httpcore's pool walks all its connections (and, for idle ones, all of them again) whenever a
# request starts or ends, so one client with 64 connections cost the driver a CPU at 100
# operations/s once a slow moment had opened them all (docs/performance.md).
CLIENTS = 48
# Growth allowed between the early and the late window: the larger of these two.
MEMORY_ALLOWANCE_MB = 20.0
MEMORY_ALLOWANCE_RATIO = 0.10


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Tally:
    """What the run saw."""

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    latencies_by_operation: dict[str, list[float]] = field(default_factory=dict)

    def error(self, operation: str, what: str) -> None:
        """Count an error and keep the first few for the report."""
        self.errors[operation] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{operation}: {what}")


# The client of the operation running in this task.
_CLIENT: ContextVar[httpx.AsyncClient] = ContextVar("soak_client")


class Traffic:
    """The mix: each operation makes its requests, on the client it was given, and checks each answer's status."""

    def __init__(self, simulator: str, tally: Tally, seed: int = 11) -> None:
        self.simulator = simulator
        self.tally = tally
        self.random = random.Random(seed)
        self.bodies = BodyFactory(seed=seed)
        self.customers: list[str] = []
        self.accounts: list[str] = []
        self.keyed: list[tuple[str, dict[str, Any]]] = []
        self.mix: list[tuple[int, Callable[[], Awaitable[None]]]] = [
            (30, self.create_account),
            (25, self.get_account),
            (15, self.list_accounts),
            (5, self.create_customer),
            (5, self.get_customer),
            (4, self.replay_keyed_create),
            (4, self.delete_account),
            (4, self.bad_request),
            (4, self.test_webhook),
            (4, self.plaid_link),
        ]

    async def request(self, operation: str, method: str, url: str, expected: set[int], **kwargs: Any) -> Any:
        """One request; its answer when the status is one `operation` may give, else None (an error)."""
        started = time.monotonic()
        try:
            response = await _CLIENT.get().request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.tally.error(operation, f"{type(exc).__name__}: {exc}")
            return None
        milliseconds = (time.monotonic() - started) * 1000
        self.tally.latencies.append(milliseconds)
        self.tally.latencies_by_operation.setdefault(operation, []).append(milliseconds)
        self.tally.statuses[str(response.status_code)] += 1
        if response.status_code not in expected:
            self.tally.error(operation, f"{method} {url} -> {response.status_code} {response.text[:200]}")
            return None
        return response

    async def run_one(self, client: httpx.AsyncClient) -> None:
        """One operation drawn from the mix, on `client` (the first few build up customers and accounts)."""
        _CLIENT.set(client)  # a task runs in a copy of the context: this is the task's own
        operation: Callable[[], Awaitable[None]]
        if len(self.customers) < 5:
            operation = self.create_customer
        elif len(self.accounts) < 5:
            operation = self.create_account
        else:
            operation = self.random.choices([op for _, op in self.mix], [weight for weight, _ in self.mix])[0]
        self.tally.sent[operation.__name__] += 1
        await operation()

    async def create_customer(self) -> None:
        """POST /customers with an Idempotency-Key (kept for replays)."""
        body = {"customerType": "INDIVIDUAL", "fullName": PLAID_HOLDER, "platformCustomerId": f"soak-{uuid.uuid4()}"}
        key = str(uuid.uuid4())
        headers = {"Idempotency-Key": key}
        response = await self.request("create_customer", "POST", "/customers", {201}, json=body, headers=headers)
        if response is not None:
            self.customers.append(response.json()["id"])
            self.keyed.append((key, body))
            del self.keyed[:-200]

    async def replay_keyed_create(self) -> None:
        """The same POST /customers again: the stored answer, marked replayed."""
        if not self.keyed:
            return
        key, body = self.random.choice(self.keyed)
        response = await self.request(
            "replay_keyed_create", "POST", "/customers", {201}, json=body, headers={"Idempotency-Key": key}
        )
        if response is not None and response.headers.get("Idempotent-Replayed") != "true":
            self.tally.error("replay_keyed_create", "answer not marked Idempotent-Replayed")

    async def get_customer(self) -> None:
        """GET /customers/{id}."""
        await self.request("get_customer", "GET", f"/customers/{self.random.choice(self.customers)}", {200})

    async def create_account(self) -> None:
        """POST /customers/external-accounts with a body from the benchmark's rail mix."""
        body = {**self.bodies.body(), "customerId": self.random.choice(self.customers)}
        response = await self.request("create_account", "POST", "/customers/external-accounts", {201}, json=body)
        if response is not None:
            self.accounts.append(response.json()["id"])
            del self.accounts[:-5000]

    async def get_account(self) -> None:
        """GET /customers/external-accounts/{id} (deleted ones answer 404)."""
        account = self.random.choice(self.accounts)
        await self.request("get_account", "GET", f"/customers/external-accounts/{account}", {200, 404})

    async def list_accounts(self) -> None:
        """GET /customers/external-accounts?customerId=...&limit=20."""
        params = {"customerId": self.random.choice(self.customers), "limit": "20"}
        await self.request("list_accounts", "GET", "/customers/external-accounts", {200}, params=params)

    async def delete_account(self) -> None:
        """DELETE /customers/external-accounts/{id}."""
        if len(self.accounts) < 10:
            return
        account = self.accounts.pop(self.random.randrange(len(self.accounts)))
        await self.request("delete_account", "DELETE", f"/customers/external-accounts/{account}", {204})

    async def bad_request(self) -> None:
        """A create with a broken IBAN: a 400, never a 5xx."""
        body = {
            "customerId": self.random.choice(self.customers),
            "currency": "EUR",
            "accountInfo": {"accountType": "EUR_ACCOUNT", "iban": "DE00000000000000000000"},
        }
        await self.request("bad_request", "POST", "/customers/external-accounts", {400}, json=body)

    async def test_webhook(self) -> None:
        """POST /sandbox/webhooks/test: a signed TEST webhook delivered to the receiver."""
        await self.request("test_webhook", "POST", "/sandbox/webhooks/test", {200})

    async def plaid_link(self) -> None:
        """A new customer links the sandbox bank through Plaid: link token, public token, callback (202 PENDING)."""
        body = {"customerType": "INDIVIDUAL", "fullName": PLAID_HOLDER, "platformCustomerId": f"soak-{uuid.uuid4()}"}
        created = await self.request("plaid_link", "POST", "/customers", {201}, json=body)
        if created is None:
            return
        # A customer links one bank account once (a second link is a 409), so each flow has its own.
        customer = created.json()["id"]
        self.customers.append(customer)
        link = await self.request("plaid_link", "POST", "/plaid/link-tokens", {200}, json={"customerId": customer})
        if link is None:
            return
        public = await self.request(
            "plaid_link",
            "POST",
            f"{self.simulator}/sandbox/public_token/create",
            {200},
            json={**PLAID_CLIENT, "institution_id": PLAID_INSTITUTION, "initial_products": ["auth", "identity"]},
        )
        if public is None:
            return
        callback = await self.request(
            "plaid_link", "POST", link.json()["callbackUrl"], {202}, json={"publicToken": public.json()["public_token"]}
        )
        if callback is not None:
            self.accounts.append(callback.json()["id"])


async def drive(
    traffic: Traffic, clients: list[httpx.AsyncClient], server: Server, rate: float, seconds: float, tally: Tally
) -> list[dict[str, Any]]:
    """Start one operation every 1/rate seconds for `seconds`, each on a free client; sample the server's memory."""
    memory: list[dict[str, Any]] = []
    started = time.monotonic()
    interval = 1.0 / rate
    in_flight: set[asyncio.Task[None]] = set()
    free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    for client in clients:
        free.put_nowait(client)
    next_sample = started
    sequence = 0
    # Where the previous sample ended in the latencies, the latest start since, and the server's and
    # the machine's CPU counters then: a timeline that shows whether a slow minute was the server's.
    seen_latencies, latest_start = 0, 0.0
    counters = (started, server.cpu_seconds(), *machine_jiffies())
    while True:
        now = time.monotonic()
        if now - started >= seconds:
            break
        if now >= next_sample:
            recent = tally.latencies[seen_latencies:]
            seen_latencies = len(tally.latencies)
            timeline = {"in_flight": len(in_flight), "latest_start_s": round(latest_start, 3),
                        "p50_ms": percentile(recent, 50), "p99_ms": percentile(recent, 99)}  # fmt: skip
            latest_start = 0.0
            previous, counters = counters, (now, server.cpu_seconds(), *machine_jiffies())
            if now > previous[0]:
                timeline["server_cpu_pct"] = round(100 * (counters[1] - previous[1]) / (now - previous[0]))
                timeline["machine_busy_pct"] = round(
                    100 * (counters[2] - previous[2]) / max(1, counters[3] - previous[3])
                )
                timeline["stolen_pct"] = round(100 * (counters[4] - previous[4]) / max(1, counters[3] - previous[3]), 1)
            memory.append({"t": round(now - started, 1), **server.rss_mb(), **timeline})
            next_sample += SAMPLE_SECONDS
            if len(memory) % 12 == 0:
                log(f"{now - started:5.0f} s: {sum(tally.sent.values())} sent, {sum(tally.errors.values())} errors, "
                    f"RSS {memory[-1]['VmRSS']} MB")  # fmt: skip
        # Never more operations at once than there are clients: waiting for one shows up as a late
        # schedule, not as a queue in a connection pool (docs/performance.md).
        client = await free.get()
        latest_start = max(latest_start, time.monotonic() - started - sequence * interval)
        task = asyncio.create_task(traffic.run_one(client))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        task.add_done_callback(partial(_give_back, free, client))
        sequence += 1
        # Absolute schedule: the n-th operation starts at started + n/rate, however long others take.
        delay = started + sequence * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1.0:
            tally.error("schedule", f"the sender fell {-delay:.1f} s behind its schedule")
    if in_flight:
        await asyncio.wait(in_flight, timeout=30)
    return memory


def _give_back(free: asyncio.Queue[httpx.AsyncClient], client: httpx.AsyncClient, _: object) -> None:
    """Return a finished operation's client to the free ones."""
    free.put_nowait(client)


def verdict(memory: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Early and late median RSS and whether the growth between them is within the allowance."""
    after_warm_up = [sample for sample in memory if sample["t"] >= min(WARM_UP_SECONDS, seconds / 5)]
    window = max(1, len(after_warm_up) // 5)
    early = statistics.median(sample["VmRSS"] for sample in after_warm_up[:window])
    late = statistics.median(sample["VmRSS"] for sample in after_warm_up[-window:])
    allowance = max(MEMORY_ALLOWANCE_MB, early * MEMORY_ALLOWANCE_RATIO)
    return {
        "early_rss_mb": early,
        "late_rss_mb": late,
        "growth_mb": round(late - early, 1),
        "allowance_mb": round(allowance, 1),
        "flat": late - early <= allowance,
    }


def run(minutes: float, rate: float, db: str) -> dict[str, Any]:
    """The whole soak against a fresh database."""
    workdir = Path(tempfile.mkdtemp(prefix="railbook-soak-"))
    try:
        return _run_in(workdir, minutes, rate, db)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_in(workdir: Path, minutes: float, rate: float, db: str) -> dict[str, Any]:
    """The soak, with its databases and logs in `workdir`."""
    seconds = minutes * 60
    tally = Tally()
    with railbook_stack(db, workdir) as stack:
        token, server, receiver = stack.token, stack.server, stack.receiver

        async def main() -> list[dict[str, Any]]:
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            auth = (token.id, token.secret)
            async with AsyncExitStack() as opened:
                clients = [
                    await opened.enter_async_context(
                        httpx.AsyncClient(base_url=server.url + API_PREFIX, auth=auth, timeout=30, limits=limits)
                    )
                    for _ in range(CLIENTS)
                ]
                traffic = Traffic(f"{server.url}/_simulators/plaid", tally)
                return await drive(traffic, clients, server, rate, seconds, tally)

        log(f"{db}: {rate:g} operations/s for {minutes:g} min; working in {workdir}")
        memory = asyncio.run(main())
        delivered = httpx.get(f"{receiver.url}/_stats", timeout=5).json()["count"]
    latencies = tally.latencies
    return {
        "database": db,
        "minutes": minutes,
        "rate_per_second": rate,
        "operations": dict(tally.sent),
        "requests": sum(tally.statuses.values()),
        "statuses": dict(tally.statuses),
        "errors": sum(tally.errors.values()),
        "errors_by_operation": dict(tally.errors),
        "error_examples": tally.examples,
        "latency_ms": {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99)},
        "latency_ms_by_operation": {
            operation: {"p50": percentile(values, 50), "p99": percentile(values, 99)}
            for operation, values in sorted(tally.latencies_by_operation.items())
        },
        "webhooks_received": delivered,
        "memory": verdict(memory, seconds),
        "memory_samples": memory,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the summary, write the JSON; exit 1 on any error or memory growth."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="operations started per second")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--output", type=Path, default=None, help="default bench/results/soak[-postgres].json")
    args = parser.parse_args(argv)
    # A TERM (timeout, an operator) unwinds like an exception, so the server and database are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    output: Path = args.output or (
        DEFAULT_OUTPUT if args.db == "sqlite" else DEFAULT_OUTPUT.with_name(f"soak-{args.db}.json")
    )
    results = run(args.minutes, args.rate, args.db)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    memory = results["memory"]
    print(
        f"soak ({results['database']}, {results['minutes']:g} min at {results['rate_per_second']:g} ops/s): "
        f"{results['requests']} requests, {results['errors']} errors, "
        f"p50 {results['latency_ms']['p50']} ms, p99 {results['latency_ms']['p99']} ms, "
        f"{results['webhooks_received']} webhooks received; RSS {memory['early_rss_mb']} -> {memory['late_rss_mb']} MB "
        f"(allowance {memory['allowance_mb']} MB): {'flat' if memory['flat'] else 'GROWING'}"
    )
    for example in results["error_examples"]:
        print(f"  error: {example}")
    print(f"results written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0 if results["errors"] == 0 and memory["flat"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
