"""The session-log writer thread: SQLite work never runs on the sampling thread.

The monitor hands it frames in small batches and finished holds; it keeps their order, so
a hold is written after the frames it spans. A full disk pauses logging (the monitor shows
a warning) while live view and counting carry on; the writer retries every second and
resumes by itself when space returns. Requests that need an answer (starting a session)
return a ``Future``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from insole.errors import InsoleError, StorageError
from insole.frames import Frame
from insole.records import Hold
from insole.store import SessionLog, StorageFullError

log = logging.getLogger(__name__)

RETRY_INTERVAL_S = 1.0
_STOP = object()


class LogWriter:
    """Owns all writes to a ``SessionLog`` from a thread of its own."""

    def __init__(
        self, store: SessionLog, on_state: Callable[[bool, str | None], None] | None = None
    ) -> None:
        self._store = store
        self._on_state = on_state
        self._queue: queue.Queue[Any] = queue.Queue()
        self._paused_reason: str | None = None
        self._thread = threading.Thread(target=self._run, name="insole-log-writer", daemon=False)
        self._closed = False
        self._thread.start()

    @property
    def paused_reason(self) -> str | None:
        """Why logging is paused (disk full, write error), or ``None`` when it is working."""
        return self._paused_reason

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(store, *args, **kwargs)`` on the writer thread, in order."""
        future: Future[Any] = Future()
        self._queue.put((fn, args, kwargs, future))
        return future

    def frames(self, session_id: int, frames: Sequence[Frame]) -> None:
        """Queue frames for a session (fire and forget)."""
        self._queue.put((SessionLog.append_frames, (session_id, list(frames)), {}, None))

    def hold(self, session_id: int, hold: Hold) -> None:
        """Queue a finished hold; it is committed as soon as the writer reaches it."""
        self._queue.put((SessionLog.add_hold, (session_id, hold), {}, None))

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, flush and stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.error("log writer did not finish within %.0f s", timeout_s)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=RETRY_INTERVAL_S)
            except queue.Empty:
                if self._paused_reason is not None:
                    self._apply(SessionLog.flush, (), {}, None)
                continue
            if item is _STOP:
                self._apply(SessionLog.flush, (), {}, None)
                return
            self._apply(*item)

    def _apply(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        future: Future[Any] | None,
    ) -> None:
        try:
            result = fn(self._store, *args, **kwargs)
        except StorageFullError as err:
            # The store keeps what it could not write and retries on the next flush.
            self._set_paused(f"disk full: logging paused ({err})")
            if future is not None:
                future.set_exception(err)
            return
        except (StorageError, OSError, ValueError) as err:
            log.exception("session log write failed")
            self._set_paused(f"logging error: {err}")
            if future is not None:
                future.set_exception(err)
            return
        except InsoleError as err:
            # A refused call (a runner or calibration deleted meanwhile), not a failing
            # log: the caller hears of it and the writer thread carries on.
            if future is not None:
                future.set_exception(err)
            else:
                log.error("session log call refused: %s", err)
            return
        if self._paused_reason is not None:
            self._set_paused(None)
        if future is not None:
            future.set_result(result)

    def _set_paused(self, reason: str | None) -> None:
        if reason == self._paused_reason:
            return
        self._paused_reason = reason
        if reason:
            log.warning("%s", reason)
        else:
            log.info("session logging resumed")
        if self._on_state is not None:
            self._on_state(reason is None, reason)
