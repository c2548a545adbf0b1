"""Fan-out of live events to any number of subscribers (dashboard streams, benchmarks).

The sampling thread must never wait for a reader, so publishing only stores a reference
and wakes the reader. Frame events are conflated: a subscriber that falls behind gets the
newest frame, not a backlog (a tablet wants the current state, not history). Other events
(hold ended, set done, status) are queued in order, bounded; a subscriber that lets the
bound overflow loses its oldest events and is told how many (``dropped``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from insole.resources import Closeable

Event = tuple[str, dict[str, Any]]
MAX_QUEUED_EVENTS = 256


class Subscription(Closeable):
    """One reader's view of the live stream; close it when the reader goes away."""

    def __init__(self, owner: Broadcaster, frame_json: Callable[[Any], dict[str, Any]]) -> None:
        self._owner = owner
        self._frame_json = frame_json
        self._cond = threading.Condition(threading.Lock())
        self._events: deque[Event] = deque()
        self._frame: Any = None
        self.dropped = 0
        self.closed = False

    def get(self, timeout_s: float | None = None) -> Event | None:
        """Next event (queued events first, then the newest frame), or ``None`` on timeout."""
        with self._cond:
            if not self._events and self._frame is None and not self.closed:
                self._cond.wait(timeout_s)
            if self._events:
                return self._events.popleft()
            frame, self._frame = self._frame, None
        if frame is None:
            return None
        # JSON is built here, on the reader's thread, never on the sampling thread.
        return ("frame", self._frame_json(frame))

    def close(self) -> None:
        """Stop receiving; idempotent."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        self._owner.remove(self)

    def _put_frame(self, frame: Any) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify()

    def _put_event(self, event: Event) -> None:
        with self._cond:
            if len(self._events) >= MAX_QUEUED_EVENTS:
                self._events.popleft()
                self.dropped += 1
            self._events.append(event)
            self._cond.notify()


class Broadcaster:
    """Keeps the subscriber list; publishing is cheap and never blocks on a reader."""

    def __init__(self, frame_json: Callable[[Any], dict[str, Any]]) -> None:
        self._frame_json = frame_json
        self._lock = threading.Lock()
        self._subs: tuple[Subscription, ...] = ()

    def subscribe(self) -> Subscription:
        """A new subscription (the caller closes it)."""
        sub = Subscription(self, self._frame_json)
        with self._lock:
            self._subs = (*self._subs, sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        """Forget a subscription (called by ``Subscription.close``)."""
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)

    @property
    def count(self) -> int:
        """Number of open subscriptions."""
        return len(self._subs)

    def frame(self, frame: Any) -> None:
        """Publish a frame (conflated per subscriber)."""
        for sub in self._subs:  # a tuple snapshot: subscribe/remove never block this loop
            sub._put_frame(frame)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """Publish an ordered event."""
        for sub in self._subs:
            sub._put_event((kind, data))

    def close_all(self) -> None:
        """Close every subscription (service shutdown)."""
        for sub in self._subs:
            sub.close()
