"""PostgreSQL LISTEN: wake a worker when any process commits a job (NOTIFY is sent by enqueue)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from railbook.jobs.queue import NOTIFY_CHANNEL

log = logging.getLogger("railbook.jobs")


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def listen_for_jobs(url: str, wake: Callable[[], None], stopping: threading.Event) -> threading.Thread:
    """Start a thread that calls `wake` on every notification until `stopping` is set."""

    def loop() -> None:
        while not stopping.is_set():
            try:
                with psycopg.connect(_conninfo(url), autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not stopping.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            wake()
            except psycopg.Error:
                log.warning("LISTEN connection lost; polling until it is back")
                stopping.wait(2.0)

    thread = threading.Thread(target=loop, name="railbook-listen", daemon=True)
    thread.start()
    return thread
