"""Server-Sent Events: wire format and the per-client live stream.

One stream per browser tab. It holds one server thread for as long as the tab is open, so
the service must run enough threads for every tablet plus ordinary requests. The stream

- sends a comment at once (proxies and browsers then know the response has started) and a
  ``retry`` hint so a dropped connection is retried after about a second;
- replays the current ``status`` and the latest ``frame`` so a (re)connecting page catches
  up without waiting for a change;
- forwards every non-frame event in order (they are rare and each one matters);
- throttles ``frame`` events to ``max_rate_hz``: only the newest frame is kept while waiting
  (the subscription conflates them), stale ones are dropped, so a slow client never builds
  a backlog;
- sends a keepalive comment when nothing was written for ``keepalive_s``, because a write is
  the only way a server notices that a client went away without closing;
- closes its subscription when the client goes away (the WSGI server closes the generator,
  raising ``GeneratorExit`` at the ``yield``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any, Protocol

FRAME = "frame"
RENAMED_KINDS = {"error": "device_error", "open": "device_open", "message": "device_message"}
"""Monitor event kinds that ``EventSource`` reserves for itself, and the names sent instead
(an ``error`` event would look like a broken connection to the page)."""
DEFAULT_MAX_RATE_HZ = 25.0
DEFAULT_KEEPALIVE_S = 15.0
RETRY_MS = 1000


class Subscription(Protocol):
    """What the stream needs from ``Monitor.subscribe()``."""

    def get(self, timeout_s: float) -> tuple[str, Any] | None:
        """The next ``(kind, data)`` event, or ``None`` after ``timeout_s`` without one."""

    def close(self) -> None:
        """Stop receiving events (idempotent)."""


def _json(data: Any) -> str:
    # Compact separators: a frame goes out 25 times a second to every tablet.
    # allow_nan=False: NaN is not JSON and would break the browser's parser.
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def format_event(kind: str, data: Any) -> str:
    """One SSE event: ``event: <kind>`` and the JSON ``data`` on one line."""
    kind = RENAMED_KINDS.get(kind, kind)
    if not kind or any(c in kind for c in "\r\n:"):
        raise ValueError(f"event kind must be a non-empty word without ':' or newlines: {kind!r}")
    return f"event: {kind}\ndata: {_json(sanitise(data))}\n\n"


def format_comment(text: str = "") -> str:
    """An SSE comment line (ignored by the browser; keeps the connection alive)."""
    return ": " + text.replace("\r", " ").replace("\n", " ") + "\n\n"


def format_retry(retry_ms: int) -> str:
    """The reconnection delay hint for ``EventSource``."""
    return f"retry: {int(retry_ms)}\n\n"


def sanitise(data: Any) -> Any:
    """Replace non-finite floats (not valid JSON) by ``None``, recursively."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: sanitise(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [sanitise(value) for value in data]
    return data


def live_stream(
    subscribe: Callable[[], Subscription],
    *,
    initial: Callable[[], Iterable[tuple[str, Any]]] = tuple,
    max_rate_hz: float = DEFAULT_MAX_RATE_HZ,
    keepalive_s: float = DEFAULT_KEEPALIVE_S,
    client_gone: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Generator[str, None, None]:
    """The text of one client's event stream (see the module docstring).

    ``subscribe`` is called when the first chunk is requested, not before: a WSGI server may
    close a response it never iterates (a HEAD request), and a subscription taken eagerly
    would then never be closed. ``initial()`` is called just after subscribing (so nothing
    falls between the two) and its events follow the opening comment. ``client_gone`` (when
    the server offers a way to ask) ends the stream as soon as the peer has disconnected; a
    subscription whose ``closed`` attribute turns true (service shutdown) ends it too.
    The subscription is closed however the stream ends.

    Throttling relies on the subscription conflating frames (``Monitor.subscribe`` keeps
    only the newest one): after a frame is sent the stream sleeps until the next one is
    due, so the frames that arrive meanwhile replace each other instead of being turned
    into JSON and thrown away, and the one sent is at most one sampling interval old.
    Other events wait at most that one interval.
    """
    if max_rate_hz <= 0 or keepalive_s <= 0:
        raise ValueError("max_rate_hz and keepalive_s must be positive")
    frame_interval_s = 1.0 / max_rate_hz
    # Wake at least this often to notice a gone client even when no event comes.
    poll_s = min(keepalive_s, 1.0)
    subscription = subscribe()
    try:
        yield format_comment("insole live stream") + format_retry(RETRY_MS)
        for kind, data in initial():
            yield format_event(kind, data)
        last_write = clock()
        next_frame_at = last_write
        while True:
            if getattr(subscription, "closed", False):
                return
            if client_gone is not None and client_gone():
                return
            now = clock()
            if now < next_frame_at:
                sleep(next_frame_at - now)
                continue
            idle_s = now - last_write
            if idle_s >= keepalive_s:
                last_write = now
                yield format_comment()
                continue
            item = subscription.get(min(keepalive_s - idle_s, poll_s))
            if item is None:
                continue
            kind, data = item
            chunk = format_event(kind, data)
            last_write = clock()
            if kind == FRAME:
                next_frame_at = last_write + frame_interval_s
            yield chunk
    finally:
        subscription.close()
