"""Per-token request rate limits: a token bucket per API token, kept in this process."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from railbook.errors import GridError


class RateLimited(GridError):
    """429 RATE_LIMITED with the seconds to wait in Retry-After."""

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            429,
            "RATE_LIMITED",
            f"Too many requests for this API token; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


class RateLimiter:
    """`per_second` requests per token on average, `burst` at once; disabled when `per_second` is 0."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = max(burst, 1)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one request of `key`'s allowance, or raise RateLimited."""
        if self.per_second <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.per_second)
            self._buckets[key] = (tokens - 1.0, now)
