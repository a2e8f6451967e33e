"""`python -m bench.console`: console page times with 100k accounts stored (issue 20: under 50 ms).

Seeds accounts as the API stores them, puts about one in eight in review, signs an operator in and times the
review queue, an account page and the delivery log, sequentially (a person's clicks, not a load test).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.scenarios import create_customers
from bench.seed import Seeder, sandbox_principal
from bench.servers import BIN, railbook_stack
from railbook import API_PREFIX
from railbook.db import Database

PASSWORD = "bench console password"  # noqa: S105 - a throwaway operator of a throwaway database


def main() -> None:
    """Seed, sign in, time the pages, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, railbook_stack(args.db, Path(folder)) as stack:
        api = httpx.Client(base_url=stack.server.url + API_PREFIX, auth=(stack.token.id, stack.token.secret))
        database = Database(stack.database_url)
        seeder = Seeder(
            database, sandbox_principal(stack.token.id, stack.token.platform_id), create_customers(api, 1)[0]
        )
        seeder.grow_to(args.accounts)
        with database.writing() as connection:
            connection.execute(
                text("UPDATE external_accounts SET status = 'UNDER_REVIEW' WHERE id LIKE '%0' OR id LIKE '%5'")
            )
        seeder.analyze()
        env = {"RAILBOOK_DATABASE_URL": stack.database_url, "RAILBOOK_DATA_DIR": str(Path(folder) / "data")}
        subprocess.run(  # noqa: S603 - our own command
            [str(BIN / "railbook"), "operators", "create", "bench", "--password-stdin"],
            input=PASSWORD + "\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        console = httpx.Client(base_url=stack.server.url + "/console")
        signed = console.post("/sign-in", data={"name": "bench", "password": PASSWORD})
        assert signed.status_code == 303, signed.status_code
        account = seeder.sample_account_ids(1)[0]
        for page in ("/", f"/accounts/{account}", "/deliveries", "/deliveries?failed=true", "/tokens"):
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = console.get(page)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.status_code
            times.sort()
            p99 = times[int(len(times) * 0.99) - 1]
            print(f"{page:32} p50 {statistics.median(times):6.1f} ms  p99 {p99:6.1f} ms  ({args.accounts:,} accounts)")
        database.dispose()


if __name__ == "__main__":
    main()
