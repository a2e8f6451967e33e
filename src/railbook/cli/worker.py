"""`railbook worker`: run background jobs in this process until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from railbook.cli.common import database as open_database
from railbook.cli.common import master_keys
from railbook.cli.common import settings as load_settings


def worker() -> None:
    """Run jobs (any number of these may run against PostgreSQL)."""
    from railbook.kit.heap import settle_for_serving
    from railbook.logs import configure_logging
    from railbook.providers.http import build_sender
    from railbook.tasks import build_worker

    settings = load_settings()
    configure_logging(settings.log_level)
    database = open_database()
    sender = build_sender()
    runner = build_worker(settings, database, master_keys(), sender)
    settle_for_serving()
    stop = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    runner.start()
    typer.echo(f"worker {runner.worker_id} running", err=True)
    stop.wait()
    runner.stop()
    sender.close()
    database.dispose()
