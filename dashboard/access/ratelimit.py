"""Failed pairing attempts per client address and in total, over a sliding window.

Only failures count: a tablet that types the right code first time is never slowed. While a
limit is reached every attempt is refused before the code is even looked at, so guessing
stays capped: with the defaults (5 per address, 20 in total per minute) at most 100 guesses
reach one five-minute code, a 1 in 10 000 chance against six digits.

The limiter lives in the service process (the one place attempts arrive) and uses the
monotonic clock passed in, so a wall-clock jump neither locks users out nor lifts a limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_TRACKED_ADDRESSES = 4096  # bounded memory under a flood from many addresses


class FailureLimiter:
    """Sliding-window count of failures per key and overall."""

    def __init__(
        self,
        *,
        per_client: int = 5,
        overall: int = 20,
        window_s: float = 60.0,
        now_s: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_client < 1 or overall < 1 or window_s <= 0:
            raise ValueError(
                "per_client and overall must be at least 1 and window_s positive, got "
                f"{per_client}, {overall}, {window_s}"
            )
        self.per_client = per_client
        self.overall = overall
        self.window_s = window_s
        self._now_s = now_s
        self._lock = threading.Lock()
        self._by_client: OrderedDict[str, deque[float]] = OrderedDict()
        self._all: deque[float] = deque()

    def _prune(self, times: deque[float], now_s: float) -> None:
        while times and now_s - times[0] >= self.window_s:
            times.popleft()

    def _wait_s(self, times: deque[float], limit: int, now_s: float) -> float:
        if len(times) < limit:
            return 0.0
        # The window frees a slot when the oldest failure that keeps it full ages out.
        return times[len(times) - limit] + self.window_s - now_s

    def retry_after_s(self, client: str) -> int | None:
        """Whole seconds to wait before ``client`` may try again, or None if it may now."""
        with self._lock:
            now_s = self._now_s()
            self._prune(self._all, now_s)
            mine = self._by_client.get(client)
            if mine is not None:
                self._prune(mine, now_s)
                if not mine:
                    del self._by_client[client]
                    mine = None
            wait_s = max(
                self._wait_s(self._all, self.overall, now_s),
                self._wait_s(mine, self.per_client, now_s) if mine is not None else 0.0,
            )
        return max(1, math.ceil(wait_s)) if wait_s > 0 else None

    def record_failure(self, client: str) -> None:
        """Count one failed attempt by ``client``."""
        with self._lock:
            now_s = self._now_s()
            self._all.append(now_s)
            mine = self._by_client.pop(client, None)
            if mine is None:
                mine = deque()
            mine.append(now_s)
            while len(mine) > self.per_client:
                mine.popleft()
            self._by_client[client] = mine  # most recent last: the oldest is dropped first
            while len(self._by_client) > MAX_TRACKED_ADDRESSES:
                self._by_client.popitem(last=False)
            # A window never needs more entries than its limit to decide.
            while len(self._all) > self.overall:
                self._all.popleft()
