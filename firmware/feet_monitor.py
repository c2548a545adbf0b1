"""The monitor for two insoles: one counter per foot, one live event with both feet.

``FeetMonitor`` is a ``Monitor`` (same store, log writer, feedback, subscribers and user
actions) that listens to a two-insole sampler (``on_feet``, ``on_foot_gap``,
``on_foot_health``). Each foot has its own calibration converter, its own counter
(``insole.bilateral.Bilateral``), its own health and its own "no readings" watch; a
failed chip stops only that foot.

A set is two linked sessions, one per foot (the store's ``foot`` column), started and
ended together: each session's ``meta["pair"]`` is ``{"session_id": <other>, "foot":
<other foot>}`` and at the end both get ``meta["symmetry"]`` (``Symmetry.to_dict()``).
Review, export and trends stay per foot; the review pairs the two for the symmetry
figures. Both sessions' frames share one time origin (the set's first scan), so they pair
exactly.

The live ``frame`` event carries both feet (docs/ARCHITECTURE.md)::

    {"t_s": 12.34,
     "feet": {"left": <one-foot frame JSON or null>, "right": <... or null>},
     "symmetry": {"left_share_now": 0.52, "left_load_share": 0.49,
                  "load_asymmetry_pct": -3.1}}

Other events of a foot (``hold_started``, ``hold_ended``, ``rep_ended``, ``set_done``,
``gap``) carry ``"foot": "left"|"right"``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from firmware.feet_adc import FeetFrame, FootAdcError
from firmware.monitor import (
    LOG_BATCH_FRAMES,
    WRITER_TIMEOUT_S,
    Monitor,
    SetStateError,
    _ended_at,
    _OpenSet,
    check_set_targets,
    merge_health,
    start_watch,
    tare_on,
)
from insole.bilateral import MIN_PAIR_N, Bilateral, BilateralFrame
from insole.calibration import Calibration
from insole.exercises.base import LiveView
from insole.frames import SENSORS, Frame, VoltsFrame
from insole.holds import Event
from insole.records import Hold
from insole.runners import Runner
from insole.settings import EXERCISES, Settings
from insole.store import RunnerNotFoundError, SessionLog

log = logging.getLogger(__name__)

T = TypeVar("T")

SIDES = ("left", "right")


@dataclass(frozen=True)
class FeetView:
    """One published instant of both feet (``None``: no reading of that foot)."""

    t_s: float
    left: LiveView | None
    right: LiveView | None
    left_share_now: float | None
    left_load_share: float | None
    load_asymmetry_pct: float | None

    def to_json(self, set_running: bool) -> dict[str, Any]:
        """The two-foot ``frame`` event (see the module docstring)."""
        return {
            "t_s": round(self.t_s, 4),
            "feet": {
                side: None if view is None else view.to_json(set_running=set_running)
                for side, view in (("left", self.left), ("right", self.right))
            },
            "symmetry": {
                "left_share_now": self.left_share_now,
                "left_load_share": self.left_load_share,
                "load_asymmetry_pct": self.load_asymmetry_pct,
            },
        }


@dataclass
class _Foot:
    """What the monitor keeps per insole."""

    calibration: Calibration
    convert: Callable[[tuple[float, float, float]], tuple[float, float, float]]
    health: dict[str, dict[str, str]]
    recent: deque[VoltsFrame]
    last: LiveView | None = None
    fault: str | None = None
    timer: threading.Timer | None = None
    serial: int = 0
    open_set: _OpenSet | None = None


def _healthy() -> dict[str, dict[str, str]]:
    return {name: {"state": "ok", "message": ""} for name in SENSORS}


class FeetMonitor(Monitor):
    """Pipeline, session log, feedback and live subscribers for two insoles."""

    def __init__(self, store: SessionLog, *args: Any, **kwargs: Any) -> None:
        super().__init__(store, *args, **kwargs)
        cal = self._calibration
        self._feet: dict[str, _Foot] = {
            side: _Foot(cal, cal.converter(), _healthy(), deque(maxlen=1000)) for side in SIDES
        }
        self._both = self._new_bilateral(self._settings.exercise)
        self._last_feet: FeetView | None = None
        self._t0_s: float | None = None

    # -- read side ------------------------------------------------------------------

    def latest(self) -> dict[str, Any] | None:
        """The last two-foot frame event, or ``None`` before the first scan."""
        last = self._last_feet
        return None if last is None else last.to_json(self._set is not None)

    def clock_s(self) -> float | None:
        """The newest scan's time (the monitor's clock, as for one insole)."""
        last = self._last_feet
        return None if last is None else last.t_s

    def calibration_of(self, side: str) -> Calibration:
        """The calibration in force for ``side`` (each foot is tared on its own)."""
        return self._feet[side].calibration

    def status(self) -> dict[str, Any]:
        """``Monitor.status()`` with both feet: per-foot health, faults and sessions."""
        data = super().status()
        feet: dict[str, Any] = {}
        banners: list[dict[str, str]] = data["banners"]
        for side in SIDES:
            foot = self._feet[side]
            if foot.fault is None:
                sensors = {name: dict(foot.health[name]) for name in SENSORS}
            else:
                sensors = {name: {"state": "no_signal", "message": foot.fault} for name in SENSORS}
                banners.append(
                    {
                        "level": "error",
                        "key": f"adc_fault.{side}",
                        "text": f"No readings from the {side} insole: {foot.fault}",
                        "detail": foot.fault,
                    }
                )
            for name in SENSORS:
                if foot.fault is None and sensors[name]["state"] != "ok":
                    banners.append(
                        {
                            "level": "error",
                            "key": f"foot_sensor_fault.{side}.{name}",
                            "text": f"Sensor fault on the {side} insole: {name} — "
                            f"{sensors[name]['message'] or sensors[name]['state']}",
                        }
                    )
            open_set = foot.open_set
            feet[side] = {
                "ok": foot.fault is None and all(s["state"] == "ok" for s in sensors.values()),
                "sensors": sensors,
                "session_id": None if open_set is None else open_set.session_id,
            }
        data["feet"] = feet
        data["health"]["ok"] = data["health"]["ok"] and all(f["ok"] for f in feet.values())
        data["set"]["foot"] = "both"
        data["set"]["session_ids"] = {side: feet[side]["session_id"] for side in SIDES}
        return data

    # -- the sampling thread ----------------------------------------------------------

    def on_feet(self, frame: FeetFrame) -> None:
        """Handle one scan of both insoles: convert, count per foot, log, publish."""
        for side in SIDES:
            if frame.side(side) is not None and self._feet[side].timer is not None:
                self._foot_back(side)
        with self._lock:
            self._frame_serial += 1
            t = frame.t_s
            forces: dict[str, tuple[float, float, float]] = {}
            for side in SIDES:
                volts = frame.side(side)
                if volts is None:
                    continue
                foot = self._feet[side]
                foot.serial += 1
                foot.recent.append(volts)
                if side == "left" or frame.left is None:
                    self._last_volts = volts  # the calibration wizard's raw view: left first
                forces[side] = foot.convert((volts[1], volts[2], volts[3]))
            views: dict[str, LiveView] = {}
            if len(forces) == 2:
                left, right = self._both.step(BilateralFrame(t, forces["left"], forces["right"]))
                views = {"left": left, "right": right}
            else:
                for side, force in forces.items():
                    views[side] = self._both.step_one(side, Frame(t, *force))
            self._log_frames(t, forces)
            for side, view in views.items():
                self._feet[side].last = view
                if view.events:
                    self._handle_foot_events(side, view.events)
            self._count_rate(t)
            share, asym = self._both.split.figures()
            now = None
            if len(views) == 2:
                both_n = views["left"].total_n + views["right"].total_n
                if both_n >= MIN_PAIR_N:
                    now = round(views["left"].total_n / both_n, 4)
            published = FeetView(
                t, views.get("left"), views.get("right"), now, share, asym
            )
            self._last_feet = published
        self._broadcast.frame(published)
        self._feedback_frame(views)

    def on_foot_gap(self, foot: str, start_s: float, end_s: float, reason: str) -> None:
        """One insole lost data: no hold of that foot may span the gap."""
        with self._lock:
            counter = self._both.left if foot == "left" else self._both.right
            self._handle_foot_events(foot, counter.gap())
        self._publish(
            "gap", {"start_s": start_s, "end_s": end_s, "reason": reason, "foot": foot}
        )

    def on_foot_health(self, foot: str, report: Mapping[str, Any] | Any) -> None:
        """Per-sensor health of one insole."""
        data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
        with self._lock:
            changed = merge_health(self._feet[foot].health, data)
        if changed:
            self._publish("status", self.status())

    def on_error(self, exc: BaseException) -> None:
        """A read error of one insole starts that foot's "no readings" watch."""
        if not isinstance(exc, FootAdcError) or exc.foot not in SIDES:
            super().on_error(exc)
            return
        log.error("sampler error: %s", exc, exc_info=exc)
        self._publish("error", {"message": str(exc), "foot": exc.foot})
        with self._lock:
            foot = self._feet[exc.foot]
            if foot.timer is None and not self._closed:
                foot.timer = start_watch(
                    f"insole-adc-watch-{exc.foot}",
                    self._foot_lost,
                    exc.foot,
                    foot.serial,
                    str(exc),
                )

    def _foot_lost(self, side: str, serial: int, message: str) -> None:
        with self._lock:
            foot = self._feet[side]
            if foot.serial != serial or foot.timer is None or self._closed:
                return
            foot.fault = f"the {side} ADC is not answering ({message})"
        log.warning("no readings from the %s insole: %s", side, message)
        self._publish("status", self.status())

    def _foot_back(self, side: str) -> None:
        with self._lock:
            foot = self._feet[side]
            timer, foot.timer = foot.timer, None
            was_lost, foot.fault = foot.fault is not None, None
        if timer is not None:
            timer.cancel()
        if was_lost:
            log.info("readings from the %s insole are back", side)
            self._publish("status", self.status())

    # -- user actions -----------------------------------------------------------------

    def start_set(
        self,
        exercise: str | None = None,
        foot: str | None = None,
        *,
        targets: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a set on both feet: two linked sessions; returns the left one's id.

        ``foot`` is ignored (both feet are measured); the right session's id is in
        ``status()["set"]["session_ids"]`` and in the ``set_started`` event. ``targets``
        as for one insole (a guided step's reps and hold, this set only).
        """
        exercise = exercise or self._settings.exercise
        if exercise not in EXERCISES:
            raise SetStateError(f"exercise must be one of {', '.join(EXERCISES)}, got {exercise!r}")
        runner_settings = self._runner_settings(self._settings, exercise)
        set_targets = check_set_targets(runner_settings, targets or {})
        with self._lock:
            started_at = self._claim_start()
            runner_id = None if self._runner is None else self._runner.id
            futures = {
                side: self._open_session(
                    started_at,
                    exercise,
                    side,
                    runner_settings.replace(foot=side, **set_targets),
                )
                for side in SIDES
            }
        try:
            try:
                ids = {side: int(f.result(WRITER_TIMEOUT_S)) for side, f in futures.items()}
            except RunnerNotFoundError as err:
                raise self._runner_gone() from err
            for side, other in (("left", "right"), ("right", "left")):
                self._writer.call(
                    SessionLog.set_session_meta,
                    ids[side],
                    "pair",
                    {"session_id": ids[other], "foot": other},
                ).result(WRITER_TIMEOUT_S)
        finally:
            with self._lock:
                self._starting = False
        with self._lock:
            self._both = self._new_bilateral(exercise, set_targets)
            self._t0_s = None
            for side in SIDES:
                self._feet[side].open_set = _OpenSet(
                    ids[side], exercise, side, None, [], started_at=started_at, targets=set_targets
                )
            self._set = self._feet["left"].open_set
        self._publish(
            "set_started",
            {
                "session_id": ids["left"],
                "session_ids": ids,
                "exercise": exercise,
                "foot": "both",
                "runner_id": runner_id,
            },
        )
        self._publish("status", self.status())
        return ids["left"]

    def stop_set(self, status: str = "completed") -> dict[str, Any]:
        """Stop both feet's sessions: close open holds, write everything, store symmetry."""
        with self._lock:
            if self._set is None:
                raise SetStateError("no set is running")
            left_records, right_records = self._both.finish()
            for side, records in (("left", left_records), ("right", right_records)):
                open_set = self._feet[side].open_set
                assert open_set is not None
                self._write_out(open_set, records)
            symmetry = self._both.symmetry().to_dict()
            per_foot: dict[str, Any] = {}
            done = []
            for side in SIDES:
                open_set = self._feet[side].open_set
                assert open_set is not None
                counts = symmetry[side]
                per_foot[side] = {
                    "session_id": open_set.session_id,
                    "correct": counts["correct"],
                    "attempted": counts["attempted"],
                }
                self._writer.call(
                    SessionLog.set_session_meta, open_set.session_id, "symmetry", symmetry
                )
                done.append(
                    self._writer.call(
                        SessionLog.end_session, open_set.session_id, _ended_at(open_set), status
                    )
                )
                self._feet[side].open_set = None
            left_set = self._set
            self._set = None
        for future in done:
            future.result(WRITER_TIMEOUT_S)
        summary = {
            "session_id": left_set.session_id,
            "exercise": left_set.exercise,
            "foot": "both",
            "correct": per_foot["left"]["correct"] + per_foot["right"]["correct"],
            "attempted": per_foot["left"]["attempted"] + per_foot["right"]["attempted"],
            "feet": per_foot,
            "symmetry": {k: symmetry[k] for k in ("left_load_share", "load_asymmetry_pct")},
        }
        self._publish("set_stopped", summary)
        self._publish("status", self.status())
        return summary

    def tare(self) -> dict[str, Any]:
        """Zero each insole on its own last half second (both feet must be lifted)."""
        with self._lock:
            if any(not self._feet[side].recent for side in SIDES):
                raise SetStateError("no readings of both insoles yet: are both connected?")
            result: dict[str, Any] = {"feet": {}}
            for side in SIDES:
                foot = self._feet[side]
                tared, warning = tare_on(foot.recent, foot.calibration)
                future = self._writer.call(
                    SessionLog.save_calibration, tared.to_dict(), f"tare {side}",
                    self._wall_clock(),
                )
                calibration_id = int(future.result(WRITER_TIMEOUT_S))
                foot.calibration, foot.convert = tared, tared.converter()
                if warning and foot.open_set is not None:
                    self._writer.call(
                        SessionLog.set_session_meta, foot.open_set.session_id, "drift_warning",
                        warning,
                    )
                result["feet"][side] = {
                    "tare_n": dict(zip(SENSORS, tared.tare_n, strict=True)),
                    "drift_warning": warning,
                    "calibration_id": calibration_id,
                }
            if self._set is None:
                self._both = self._new_bilateral(self._both.mode)
            self._calibration = self._feet["left"].calibration
            self._calibration_id = result["feet"]["left"]["calibration_id"]
            self._convert = self._calibration.converter()
            # The left foot's tare becomes the runner's (or the device's) calibration.
            self._own_calibration()
        left = result["feet"]["left"]
        result.update(left)
        warnings = [result["feet"][s]["drift_warning"] for s in SIDES]
        joined = "; ".join(f"{s}: {w}" for s, w in zip(SIDES, warnings, strict=True) if w)
        result["drift_warning"] = joined or None
        self._publish("tared", result)
        return result

    def select_runner(self, runner_id: int | None) -> Runner | None:
        """As with one insole; the runner's calibration serves both feet until they are tared."""
        runner = super().select_runner(runner_id)
        self._feet_follow_calibration()
        return runner

    def replace_stored_data(self, action: Callable[[SessionLog], T]) -> T:
        """As with one insole; the reloaded calibration serves both feet until they are tared."""
        try:
            return super().replace_stored_data(action)
        finally:
            self._feet_follow_calibration()

    def _feet_follow_calibration(self) -> None:
        """Give both feet the calibration in force (after a runner switch or a restore)."""
        with self._lock:
            for foot in self._feet.values():
                foot.calibration, foot.convert = self._calibration, self._calibration.converter()
            if self._set is None:
                self._both = self._new_bilateral(self._both.mode)

    def capture_target(self, duration_s: float = 3.0) -> None:
        """Not with two insoles: a personal target is one foot's (announced, not silent)."""
        raise SetStateError(
            "a personal target is captured with one insole; start the service with one foot"
        )

    def close(self) -> None:
        """Cancel both feet's watches, then close as one insole does."""
        for foot in self._feet.values():
            if foot.timer is not None:
                foot.timer.cancel()
        super().close()

    # -- internals --------------------------------------------------------------------

    def _new_bilateral(
        self, mode: str | None, targets: Mapping[str, Any] | None = None
    ) -> Bilateral:
        return Bilateral(
            mode,
            self._runner_settings(self._settings, mode).replace(**(targets or {})),
            left_calibration=self._feet["left"].calibration,
            right_calibration=self._feet["right"].calibration,
        )

    def _apply(self, settings: Settings, calibration: Calibration) -> None:
        changed = settings != self._settings
        super()._apply(settings, calibration)
        for foot in self._feet.values():
            if foot.calibration.divider != calibration.divider:
                data = foot.calibration.to_dict()
                data.update(supply_v=settings.supply_v, r_fixed_ohm=settings.r_fixed_ohm)
                foot.calibration = Calibration.from_dict(data)
                foot.convert = foot.calibration.converter()
        if changed and self._set is None:
            # A running set keeps its counters (and their count); the next set uses the
            # new settings.
            self._both = self._new_bilateral(self._both.mode)

    def _log_frames(self, t: float, forces: Mapping[str, tuple[float, float, float]]) -> None:
        if self._set is None:
            return
        if self._t0_s is None:
            self._t0_s = t
        t0 = self._t0_s
        for side, force in forces.items():
            open_set = self._feet[side].open_set
            if open_set is None:
                continue
            if open_set.t0_s is None:
                open_set.t0_s = t0  # one origin for both feet: their frames pair exactly
            open_set.frames.append(Frame(t - t0, *force))
            open_set.last_t_s = t
            if len(open_set.frames) >= LOG_BATCH_FRAMES:
                self._flush_frames(open_set)

    def _handle_foot_events(self, side: str, events: tuple[Event, ...] | list[Event]) -> None:
        open_set = self._feet[side].open_set
        for kind, data in events:
            published = {**data, "foot": side}
            if kind == "hold_ended" and open_set is not None:
                shifted = self._log_hold(open_set, Hold.from_dict(data))
                published.update(start_s=shifted.start_s, end_s=shifted.end_s)
            if kind == "rep_ended" and open_set is not None:
                record = {k: v for k, v in data.items() if k not in ("correct", "attempted")}
                published.update(self._log_rep(open_set, record))
            if open_set is not None and kind == "set_done":
                published["session_id"] = open_set.session_id
            self._publish(kind, published)

    def _feedback_frame(self, views: Mapping[str, LiveView]) -> None:
        """The LED shows the pair: balanced only when every foot read is balanced."""
        if self._feedback is None or not views:
            return
        balanced = all(v.balanced for v in views.values())
        loaded = any(
            v.off_point is not None or v.total_n >= self._settings.load_floor_n
            for v in views.values()
        )
        states = {getattr(v, "hold_state", None) or "idle" for v in views.values()}
        hold_state = "holding" if "holding" in states else sorted(states)[0]
        key = (balanced, hold_state, loaded)
        if key != self._fb_key:
            self._fb_key = key
            off = next((v.off_point for v in views.values() if v.off_point), None)
            self._feedback.handle(
                "frame",
                {"balanced": balanced, "loaded": loaded, "off_point": off,
                 "hold": {"state": hold_state}},
            )

    def _frame_json(self, state: Any) -> dict[str, Any]:
        if isinstance(state, FeetView):
            return state.to_json(self._set is not None)
        return super()._frame_json(state)
