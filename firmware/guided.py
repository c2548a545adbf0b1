"""The guided session on the device: one programme walked stage by stage for every tablet.

The state lives here, in the monitor (``monitor.guided``), not in a browser: a tablet that
reloads, or a second tablet, shows the same stage, the same rest countdown and the same
results. The stages come from :class:`insole.programme.GuidedSession` (warm-up items,
sets with rests between them, cool-down items); this hub adds what needs the device:

* a set stage starts a real set on the monitor with the step's exercise and targets
  (``rep_target`` = the step's reps, ``hold_target_s`` = its hold time);
* the set ends when the monitor reports ``set_done`` for it (the hub stops it) or when
  it is stopped anywhere (the live page, the device button); then the rest runs;
* a rest counts down on the monitor's clock (the newest frame's time) and ends by itself;
* every change is published as a ``guided`` event (the state below) on the live stream.

Each action names the stage it was meant for (``stage`` = the position the tablet saw),
so two tablets tapping "done" at once tick one item, not two.

Threading: the monitor calls the listener on whatever thread published the event (the
sampling thread for ``set_done``, with the monitor's lock held), so the listener only
queues the event. A small worker thread, alive while a session runs, handles the queue
and the rest timer; every public method handles the queue first, so a request always
sees the current stage. Lock order: the hub's lock, then the monitor's, never the other
way round.

The state (``GuidedHub.state()``, also the ``guided`` event)::

    {"active": true, "revision": 7, "position": 4, "stage_count": 22,
     "stage": {"kind": "set", "index": 4, "step": {...}, "step_index": 1, "set_number": 1,
               "item": null, "rest_s": 0.0},
     "next": {...} | null,
     "stages": [{"kind", "step_index", "set_number", "item_key"}, ...],
     "programme": Programme.to_dict(),
     "set": {"running": true, "session_id": 12},
     "rest": {"left_s": 41.5, "ends_s": 1234.5} | null,
     "clock_s": 1193.0,
     "results": [{"stage": 0, "kind": "warm_up", "status": "ticked"},
                 {"stage": 3, "kind": "set", "mode": "arch_hold", "set_number": 1,
                  "session_id": 11, "correct": 10, "attempted": 11, "status": "done"}]}
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from insole.errors import InsoleError
from insole.programme import GuidedSession, Programme, Stage, step_settings
from insole.resources import Closeable
from insole.settings import Settings

log = logging.getLogger(__name__)

POLL_S = 0.25
"""How often the worker looks at the rest timer (a countdown shown in whole seconds)."""
JOIN_TIMEOUT_S = 5.0
MAX_QUEUED = 64
SET_EVENTS = ("set_done", "set_stopped")


class GuidedStateError(InsoleError, RuntimeError):
    """A guided action that does not fit the current stage (the dashboard answers 409)."""


class GuidedMonitor(Protocol):
    """What the hub needs of ``firmware.monitor.Monitor``."""

    @property
    def settings(self) -> Settings:
        """The settings in force."""

    def clock_s(self) -> float | None:
        """The newest frame's time."""

    def programme(self) -> Programme:
        """The programme to follow."""

    def start_set(
        self,
        exercise: str | None = None,
        foot: str | None = None,
        *,
        targets: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a set."""

    def stop_set(self, status: str = "completed") -> dict[str, Any]:
        """Stop the running set."""

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """Hear every event."""

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Send an event to the live stream."""

    def status(self) -> dict[str, Any]:
        """Source, health and set state (``set.session_ids`` with two insoles)."""


def set_targets(stage: Stage, settings: Settings) -> dict[str, Any]:
    """The monitor targets of a set stage: the step's reps (and hold time for hold modes)."""
    if stage.step is None:
        raise GuidedStateError(f"stage {stage.index} is a {stage.kind}, not a set")
    return step_settings(stage.step, settings)


class GuidedHub(Closeable):
    """The device's one guided session (see the module docstring)."""

    def __init__(
        self,
        monitor: GuidedMonitor,
        *,
        poll_s: float = POLL_S,
        keep: Callable[[dict[str, Any] | None], None] | None = None,
    ) -> None:
        self._monitor = monitor
        self._poll_s = poll_s
        # Called with ``snapshot()`` after every change, so that a restart can ``resume``.
        self._keep = keep
        self._lock = threading.RLock()
        # Bounded: sets of the live page queue their events here too until the next look.
        self._queue: deque[tuple[str, dict[str, Any]]] = deque(maxlen=MAX_QUEUED)
        self._wake = threading.Event()
        self._worker: tuple[threading.Thread, threading.Event] | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._session: GuidedSession | None = None
        self._set_session_id: int | None = None
        self._set_ids: frozenset[int] = frozenset()
        self._set_done = False
        self._results: list[dict[str, Any]] = []
        self._revision = 0
        self._now_s = 0.0
        self._closed = False

    # -- reading ------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether a guided session has been started (and not ended)."""
        return self._session is not None

    def state(self) -> dict[str, Any]:
        """The current stage, rest countdown and results (shape: module docstring)."""
        with self._lock:
            self._catch_up()
            return self._state()

    # -- actions ------------------------------------------------------------------------

    def begin(self) -> dict[str, Any]:
        """Start a guided session with ``monitor.programme()`` at its first stage."""
        with self._lock:
            self._catch_up()
            session = self._session
            if session is not None and not session.done:
                raise GuidedStateError(
                    "a guided session is already running; end it before starting another"
                )
            old = self._stop_worker()
            self._session = GuidedSession(self._monitor.programme())
            self._session.start(self._now())
            self._results = []
            self._set_session_id = None
            self._set_done = False
            if self._remove_listener is None:
                self._remove_listener = self._monitor.add_listener(self._on_event)
            self._start_worker()
            state = self._changed()
        _join(old)
        return state

    def advance(self, stage: int) -> dict[str, Any]:
        """Finish stage ``stage`` by hand: tick an item, end a rest early, skip a set."""
        with self._lock:
            session = self._current(stage)
            current = session.current
            if current.kind == "done":
                raise GuidedStateError("the programme is complete; start a new session")
            if current.kind == "set":
                if self._set_session_id is not None:
                    raise GuidedStateError(
                        "this set is running: stop it to finish it (or let it reach its target)"
                    )
                self._record(current, "skipped")
            elif current.kind in ("warm_up", "cool_down"):
                self._record(current, "ticked")
            else:
                self._record(current, "skipped")
            session.complete(self._now())
            return self._changed()

    def start_set(self, stage: int, foot: str | None = None) -> dict[str, Any]:
        """Start the set of stage ``stage`` on the monitor with the step's targets."""
        with self._lock:
            session = self._current(stage)
            current = session.current
            if current.kind != "set" or current.step is None:
                raise GuidedStateError(f"stage {stage} is a {current.kind}, not a set")
            if self._set_session_id is not None:
                raise GuidedStateError("this set is already running")
            targets = set_targets(current, self._monitor.settings)
            session_id = self._monitor.start_set(current.step.mode, foot, targets=targets)
            self._set_session_id = session_id
            # Two insoles: one session per foot; either foot's set_done ends the set.
            pair = self._monitor.status().get("set", {}).get("session_ids") or {}
            self._set_ids = frozenset({session_id, *pair.values()})
            self._set_done = False
            return self._changed()

    def end(self) -> dict[str, Any]:
        """End the guided session (a running guided set is stopped and kept)."""
        with self._lock:
            self._catch_up()
            if self._session is None:
                raise GuidedStateError("no guided session is running")
            if self._set_session_id is not None:
                self._stop_monitor_set()
                self._catch_up()
            self._session = None
            self._set_session_id = None
            worker = self._stop_worker()
            state = self._changed()
        _join(worker)
        return state

    def close(self) -> None:
        """Stop the worker and stop listening (the monitor's close calls this)."""
        with self._lock:
            self._closed = True
            remove, self._remove_listener = self._remove_listener, None
            worker = self._stop_worker()
        _join(worker)
        if remove is not None:
            remove()

    # -- internals ----------------------------------------------------------------------

    def _on_event(self, kind: str, data: dict[str, Any]) -> None:
        """Monitor listener: queue set events only (never block, never take the lock)."""
        if kind in SET_EVENTS:
            self._queue.append((kind, data))
            self._wake.set()

    def _now(self) -> float:
        """The monitor's clock, never going backwards (the last value before any frame)."""
        clock = self._monitor.clock_s()
        if clock is not None and clock > self._now_s:
            self._now_s = clock
        return self._now_s

    def _current(self, stage: int) -> GuidedSession:
        """The session, checked to be at ``stage`` (the stage the tablet showed)."""
        self._catch_up()
        session = self._session
        if session is None:
            raise GuidedStateError("no guided session is running; start one first")
        if stage != session.position:
            raise GuidedStateError(
                f"the session has moved on to stage {session.position} (asked for {stage})"
            )
        return session

    def _catch_up(self) -> None:
        """Handle queued set events and an elapsed rest (with the lock held)."""
        changed = False
        while self._queue:
            kind, data = self._queue.popleft()
            if self._set_session_id is None or data.get("session_id") not in self._set_ids:
                continue  # a set of the live page, not ours
            if kind == "set_done":
                self._set_done = True
                # Its set_stopped arrives in this same loop (or, if the stop failed, the
                # set has been ended here already).
                changed |= self._stop_monitor_set()
            elif kind == "set_stopped":
                changed |= self._set_ended(data)
        session = self._session
        if session is not None and session.current.kind == "rest":
            position = session.position
            session.tick(self._now())
            changed |= session.position != position
        if changed:
            self._changed()

    def _stop_monitor_set(self) -> bool:
        """Stop our set on the monitor; whether the stage moved on here already."""
        session_id = self._set_session_id
        try:
            self._monitor.stop_set()
        except (InsoleError, TimeoutError) as err:
            # Stopped elsewhere a moment ago, or the log could not end the session (the
            # monitor has closed the set either way): the guided set is over.
            log.warning("guided set %s: %s", session_id, err)
            return self._set_ended({"session_id": session_id})
        return False

    def _set_ended(self, data: Mapping[str, Any]) -> bool:
        session = self._session
        self._set_session_id = None
        if session is None or session.current.kind != "set":
            return False
        self._record(
            session.current,
            "done" if self._set_done else "stopped",
            session_id=data.get("session_id"),
            correct=data.get("correct"),
            attempted=data.get("attempted"),
        )
        self._set_done = False
        session.complete(self._now())
        return True

    def _record(self, stage: Stage, status: str, **extra: Any) -> None:
        entry: dict[str, Any] = {"stage": stage.index, "kind": stage.kind, "status": status}
        if stage.step is not None:
            entry.update(mode=stage.step.mode, set_number=stage.set_number)
        if stage.item is not None:
            entry["item_key"] = stage.item.key
        entry.update(extra)
        self._results.append(entry)

    def _changed(self) -> dict[str, Any]:
        """Count a change, tell every tablet and keep a snapshot; returns the new state."""
        self._revision += 1
        state = self._state()
        self._monitor.publish("guided", state)
        if self._keep is not None:
            self._keep(self._snapshot())
        return state

    # -- over a restart ---------------------------------------------------------------

    def snapshot(self) -> dict[str, Any] | None:
        """What ``resume`` needs after a restart: programme, stage, results (None: no session)."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any] | None:
        session = self._session
        if session is None:
            return None
        return {
            "programme": session.programme.to_dict(),
            "position": session.position,
            "results": [dict(r) for r in self._results],
        }

    def resume(self, snapshot: Mapping[str, Any]) -> dict[str, Any]:
        """Go on with a guided session from ``snapshot`` (at start, before any tablet acts).

        The session is at the stage it had reached: a set that was running when the device
        stopped is that set again, not running (its session is logged as interrupted); a
        rest starts its countdown afresh. ``GuidedStateError`` if a session already runs
        or the snapshot does not fit (then nothing changes).
        """
        try:
            programme = Programme.from_dict(snapshot.get("programme"))
            position = snapshot.get("position")
            results = [dict(r) for r in snapshot.get("results", [])]
            session = GuidedSession(programme)
            if not isinstance(position, int) or not 0 <= position < len(session.stages):
                raise GuidedStateError(f"stage {position!r} is not in the programme")
        except (InsoleError, TypeError, ValueError, AttributeError) as err:
            raise GuidedStateError(f"the kept guided session cannot be resumed: {err}") from err
        with self._lock:
            if self._session is not None:
                raise GuidedStateError("a guided session is already running")
            session.position = position
            session.start(self._now())
            self._session = session
            self._results = results
            self._set_session_id = None
            self._set_done = False
            if self._remove_listener is None:
                self._remove_listener = self._monitor.add_listener(self._on_event)
            self._start_worker()
            return self._changed()

    def _state(self) -> dict[str, Any]:
        session = self._session
        programme = session.programme if session is not None else self._monitor.programme()
        stages = session.stages if session is not None else GuidedSession(programme).stages
        now = self._now()
        state: dict[str, Any] = {
            "active": session is not None,
            "revision": self._revision,
            "position": None if session is None else session.position,
            "stage_count": len(stages),
            "stage": None if session is None else session.current.to_dict(),
            "next": None,
            "stages": [_outline(s) for s in stages],
            "programme": programme.to_dict(),
            "set": {"running": self._set_session_id is not None,
                    "session_id": self._set_session_id},
            "rest": None,
            "clock_s": round(now, 3),
            "results": [dict(r) for r in self._results],
        }
        if session is not None:
            following = session.position + 1
            if following < len(stages):
                state["next"] = stages[following].to_dict()
            if session.current.kind == "rest":
                left = session.rest_left_s(now)
                state["rest"] = {"left_s": round(left, 2), "ends_s": round(now + left, 3)}
        return state

    def _start_worker(self) -> None:
        if self._closed:
            return
        stop = threading.Event()
        worker = threading.Thread(target=self._run, args=(stop,), name="insole-guided", daemon=True)
        self._worker = (worker, stop)
        worker.start()

    def _stop_worker(self) -> threading.Thread | None:
        """Tell the worker to stop; the caller joins it after letting go of the lock."""
        entry, self._worker = self._worker, None
        if entry is None:
            return None
        worker, stop = entry
        stop.set()
        self._wake.set()
        return worker

    def _run(self, stop: threading.Event) -> None:
        """Worker: handle set events promptly and end rests on time."""
        while not stop.is_set():
            self._wake.wait(self._poll_s)
            self._wake.clear()
            if stop.is_set():
                return
            try:
                with self._lock:
                    self._catch_up()
            except Exception as err:
                # Never let the worker die silently: log, and look again at the next tick.
                log.error("guided session: %s", err, exc_info=err)


def _join(worker: threading.Thread | None) -> None:
    if worker is not None and worker is not threading.current_thread():
        worker.join(JOIN_TIMEOUT_S)


def _outline(stage: Stage) -> dict[str, Any]:
    """The short form of a stage for the programme overview."""
    return {
        "kind": stage.kind,
        "step_index": stage.step_index,
        "set_number": stage.set_number,
        "item_key": None if stage.item is None else stage.item.key,
    }
