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
- asks every ``access_check_s`` whether the browser is still allowed (a revoked tablet's
  open stream ends, not only its next request);
- closes its subscription when the client goes away (the WSGI server closes the generator,
  raising ``GeneratorExit`` at the ``yield``).

A write only fails once the peer's TCP stack says so. A tablet that vanished (Wi-Fi gone,
battery flat) never answers, and one that stops reading (a frozen tab) keeps acknowledging
until its receive buffer is full: without help the server would keep such a stream, its
thread and its output buffer for many minutes. :func:`abort_stalled_connections` makes the
kernel abort a connection whose data waited ``STALLED_CLIENT_TIMEOUT_S`` for the peer; the
next write then fails and the stream ends as above.
"""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any, Protocol

FRAME = "frame"
RENAMED_KINDS = {"error": "device_error", "open": "device_open", "message": "device_message"}
"""Monitor event kinds that ``EventSource`` reserves for itself, and the names sent instead
(an ``error`` event would look like a broken connection to the page)."""
DEFAULT_MAX_RATE_HZ = 25.0
DEFAULT_KEEPALIVE_S = 15.0
DEFAULT_ACCESS_CHECK_S = 5.0
"""How often an open stream asks whether its browser is still paired (one small SQLite
read per stream; a revoked tablet loses its live view within this time)."""
RETRY_MS = 1000
STALLED_CLIENT_TIMEOUT_S = 20.0
"""How long data sent on a connection may wait for the peer (unacknowledged, or held back
by a full receive window) before the kernel aborts the connection. Long enough for a
tablet to ride out a Wi-Fi hiccup, short enough to free a vanished tablet's thread soon."""


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
    still_allowed: Callable[[], bool] | None = None,
    access_check_s: float = DEFAULT_ACCESS_CHECK_S,
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
    ``still_allowed`` (from ``dashboard.access.still_allowed_checker()``) is asked every
    ``access_check_s``; when it says no, a last comment goes out and the stream ends (the
    browser's reconnection then gets the pairing answer). The subscription is closed however
    the stream ends.

    Throttling relies on the subscription conflating frames (``Monitor.subscribe`` keeps
    only the newest one): after a frame is sent the stream sleeps until the next one is
    due, so the frames that arrive meanwhile replace each other instead of being turned
    into JSON and thrown away, and the one sent is at most one sampling interval old.
    Other events wait at most that one interval.
    """
    if max_rate_hz <= 0 or keepalive_s <= 0 or access_check_s <= 0:
        raise ValueError("max_rate_hz, keepalive_s and access_check_s must be positive")
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
        next_access_check_at = last_write + access_check_s
        while True:
            if getattr(subscription, "closed", False):
                return
            if client_gone is not None and client_gone():
                return
            now = clock()
            if still_allowed is not None and now >= next_access_check_at:
                next_access_check_at = now + access_check_s
                if not still_allowed():
                    yield format_comment("access revoked")
                    return
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


def abort_stalled_connections(
    listener: socket.socket, timeout_s: float = STALLED_CLIENT_TIMEOUT_S
) -> bool:
    """Have the kernel abort connections accepted on ``listener`` that stall ``timeout_s``.

    Linux's ``TCP_USER_TIMEOUT``: a connection whose sent data stayed unacknowledged, or
    could not be sent because the peer's receive window stayed shut, for ``timeout_s`` is
    aborted (the next write fails with ETIMEDOUT). Set on the listening socket, it is
    inherited by every connection accepted from it. A tablet that vanished is then freed
    ``timeout_s`` after the first frame it did not acknowledge; one that stops reading,
    ``timeout_s`` after its receive buffer filled. Returns ``False`` (nothing set) where
    the system has no such option or the socket is not TCP.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    if option is None or listener.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    listener.setsockopt(socket.IPPROTO_TCP, option, round(timeout_s * 1000.0))
    return True
