"""Review pages and exports one at a time (by default), so that sampling keeps its pace.

The sampler, the live streams and every web request share one interpreter lock. A review
page or an export is tens of milliseconds of Python; when many run at once, each of the
sampler's several lock hand-overs per scan waits behind all of them and the sampling rate
collapses (11 frames/s instead of 100 at 50 review requests a second on two cores,
``python -m benchmarks.load``). The total work does not shrink by running it side by side
anyway, so requests under the heavy prefixes wait for a free slot before the app sees them;
the live page, the stream, status and set control never wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

HEAVY_PREFIXES = ("/review", "/api/sessions")
"""Review pages, their exports and the session API: reading whole sessions back."""
DEFAULT_SLOTS = 1
"""One: with two or more, the sampler waits behind each of them at every hand-over (on two
cores at 25 review requests a second: about 66 frames/s with one slot, 35 with two, 36
with no gate at all; the machine was busy, so the figures are rough). A long export
holds up the next review page, never the live page."""


class _ReleasingBody:
    """The app's response body; the slot is given back when the server closes it."""

    def __init__(self, body: Iterable[bytes], release: Callable[[], None]) -> None:
        self._body = body
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        """Close the app's body, then give the slot back (once)."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class RequestGate:
    """WSGI middleware: at most ``slots`` requests under ``prefixes`` inside ``app`` at once."""

    def __init__(
        self,
        app: WsgiApp,
        slots: int = DEFAULT_SLOTS,
        prefixes: tuple[str, ...] = HEAVY_PREFIXES,
    ) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots!r}")
        self.app = app
        self.prefixes = prefixes
        self._slots = threading.BoundedSemaphore(slots)

    def heavy(self, path: str) -> bool:
        """Whether a request path must wait for a slot."""
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Run the request, first waiting for a slot when its path is a heavy one."""
        if not self.heavy(str(environ.get("PATH_INFO", ""))):
            return self.app(environ, start_response)
        self._slots.acquire()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._slots.release()
            raise
        return _ReleasingBody(body, self._slots.release)
