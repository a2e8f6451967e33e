"""A webhook receiver for the benchmarks, run in its own process: records when each event arrived.

    python -m bench.receiver --port N

POST anything else than /_*: a webhook; answered 200 at once, its arrival (time.monotonic(), which is
system-wide on Linux, so the driver can compare it with its own clock) recorded with the event's id,
type, data.id and data.status.
GET /_stats[?type=T]: {"count", "first", "last"}: how many webhooks (of type T) arrived, first and last when.
GET /_wait?resource=ID&status=S&timeout=T: waits for a webhook about data.id == ID (with that status)
and answers its arrival time, or 408.
POST /_reset: forget everything.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson
import uvicorn

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Receiver:
    """The ASGI app and what it has seen."""

    def __init__(self) -> None:
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        # type -> [count, first arrival, last arrival]
        self.by_type: dict[str, list[float]] = {}
        # (data.id, data.status) -> arrival; data.id -> arrival of its latest event.
        self.arrivals: dict[tuple[str, str], float] = {}
        self.changed = asyncio.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        if scope["method"] == "POST" and not path.startswith("/_"):
            body = await _read_body(receive)
            await self._record(body, time.monotonic())
            await _answer(send, 200, b'{"ok":true}')
        elif path == "/_stats":
            query = {key: values[0] for key, values in parse_qs(scope["query_string"].decode()).items()}
            stats: dict[str, Any] = {"count": self.count, "first": self.first, "last": self.last}
            if "type" in query:
                count, first, last = self.by_type.get(query["type"], [0, None, None])
                stats = {"count": int(count or 0), "first": first, "last": last}
            await _answer(send, 200, orjson.dumps(stats))
        elif path == "/_wait":
            query = {key: values[0] for key, values in parse_qs(scope["query_string"].decode()).items()}
            arrived = await self._wait(query["resource"], query.get("status", ""), float(query.get("timeout", "10")))
            if arrived is None:
                await _answer(send, 408, b'{"arrived":null}')
            else:
                await _answer(send, 200, orjson.dumps({"arrived": arrived}))
        elif path == "/_reset":
            self.count, self.first, self.last = 0, None, None
            self.arrivals.clear()
            self.by_type.clear()
            await _answer(send, 200, b"{}")
        else:
            await _answer(send, 404, b"{}")

    async def _record(self, body: bytes, arrived: float) -> None:
        self.count += 1
        self.first = arrived if self.first is None else self.first
        self.last = arrived
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        seen = self.by_type.setdefault(str(event.get("type")), [0, arrived, arrived])
        seen[0] += 1
        seen[2] = arrived
        data = event.get("data") or {}
        resource = data.get("id")
        if isinstance(resource, str):
            self.arrivals[(resource, str(data.get("status", "")))] = arrived
            self.arrivals[(resource, "")] = arrived
            async with self.changed:
                self.changed.notify_all()

    async def _wait(self, resource: str, status: str, timeout: float) -> float | None:
        key = (resource, status)
        try:
            async with asyncio.timeout(timeout), self.changed:
                await self.changed.wait_for(lambda: key in self.arrivals)
        except TimeoutError:
            return None
        return self.arrivals[key]

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    """Serve the receiver on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(Receiver(), host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
