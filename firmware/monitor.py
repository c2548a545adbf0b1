"""The monitor: the hub between the sampler, the core pipeline, the log, feedback and views.

The sampler thread calls ``process`` for every frame (``on_frame`` is the same method, so
the monitor is a sampler listener); tests call it directly. Everything a user can do —
start and stop a set, tare, capture a personal target, change settings — is a method
here, used alike by the dashboard, the device button and the tests.

Threading: ``process`` runs on the sampling thread and must stay short. It converts,
runs the pipeline, hands frames to the log-writer thread in batches and publishes to
subscribers without waiting for any of them. User actions run on request or GPIO threads
and take the same lock briefly.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from firmware.broadcast import Broadcaster, Subscription
from firmware.device_state import DeviceState
from firmware.errors import HardwareError
from firmware.guided import GuidedHub, GuidedStateError
from firmware.log_writer import LogWriter
from insole.calibration import Calibration, check_drift
from insole.errors import InsoleError, SettingsError
from insole.exercises import ExerciseCounter, make_counter
from insole.exercises.arch_hold import ArchHold
from insole.exercises.base import LiveView
from insole.frames import SENSORS, Frame, VoltsFrame
from insole.holds import Event
from insole.programme import DEFAULT_PROGRAMME, Programme, step_settings
from insole.records import Hold
from insole.resources import Closeable
from insole.runners import Runner, Runners
from insole.settings import EXERCISES, FOOT_SIDES, Settings
from insole.store import RunnerNotFoundError, SessionLog
from insole.target import TargetCapture, TargetCaptureError

log = logging.getLogger(__name__)

LOG_BATCH_FRAMES = 10
"""Frames handed to the log writer at a time (fewer queue operations per second).

Small enough (0.1 s at 100 Hz) that a power cut loses at most the store's last chunk
window plus this: with 25 frames a SIGKILL lost up to 1.13 s of frames."""

TARE_WINDOW_S = 0.5
ADC_FAULT_AFTER_S = 0.3
"""An ADC that has delivered no frame this long after a read error is shown as lost.

The sampler reports a failed scan once per gap and then stays silent until frames return,
so the monitor times the loss itself. A lone failed scan (a transient bus error, 10 ms)
must not flash the fault LED or sound the fault tone; a chip that is gone must show
within a second."""
WRITER_TIMEOUT_S = 10.0
SET_TARGET_FIELDS = ("rep_target", "set_done_at", "hold_target_s")
"""Settings a set may override for itself (a guided set takes its step's reps and hold)."""

Listener = Callable[[str, dict[str, Any]], None]

REPLACE_TIMEOUT_S = 600.0
"""Longest wait for a restore or "delete all" (a large backup on an SD card takes a while)."""

T = TypeVar("T")


class SetStateError(InsoleError, RuntimeError):
    """A set action that does not fit the current state (start while running, ...)."""


class Feedback(Protocol):
    """What the monitor needs of the device feedback (``firmware.feedback``)."""

    def handle(self, kind: str, data: dict[str, Any]) -> None:
        """React to a monitor event."""

    def bind_button(
        self, on_short: Callable[[], None], on_long: Callable[[], None]
    ) -> None:
        """Call ``on_short`` on a short press and ``on_long`` on a long one."""

    def bind_pairing(
        self, on_pair: Callable[[], float], still_open: Callable[[], bool] | None = None
    ) -> None:
        """Call ``on_pair`` (opens pairing, returns its window in s) on a very long press."""

    def close(self) -> None:
        """Release the devices."""


@dataclass(frozen=True)
class SourceInfo:
    """Where the frames come from, shown on every page."""

    kind: str  # "hardware", "emulated" or "replay"
    simulated: bool
    description: str
    feet: str = "one"  # "both": two insoles (``firmware.feet_monitor.FeetMonitor``)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``feet`` only with two insoles: one insole's status is as it was)."""
        data = dataclasses.asdict(self)
        if self.feet == "one":
            del data["feet"]
        return data


@dataclass
class _OpenSet:
    session_id: int
    exercise: str
    foot: str
    t0_s: float | None  # monitor time of the set's first frame
    frames: list[Frame]
    started_at: datetime
    last_t_s: float | None = None  # monitor time of the set's latest frame
    targets: dict[str, Any] = dataclasses.field(default_factory=dict)  # per-set settings


class Monitor(Closeable):
    """Pipeline, session log, feedback and live subscribers for one insole."""

    def __init__(
        self,
        store: SessionLog,
        source: SourceInfo,
        *,
        settings: Settings | None = None,
        calibration: Calibration | None = None,
        feedback: Feedback | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        state: DeviceState | None = None,
    ) -> None:
        self.log = store
        self._state = state
        self.source = source
        self._wall_clock = wall_clock
        self._lock = threading.RLock()
        self._settings = settings or stored_settings(store)
        if calibration is None:
            self._calibration_id, self._calibration = stored_calibration(store, self._settings)
        else:
            self._calibration_id, self._calibration = None, calibration
        self._convert = self._calibration.converter()
        # The runner whose targets and calibration are in force (None: nobody chosen, the
        # device settings and calibration apply); the device calibration is kept aside
        # while a runner's own one is in force.
        self._runner: Runner | None = None
        self._device_cal: tuple[int | None, Calibration] = (
            self._calibration_id,
            self._calibration,
        )
        self._counter: ExerciseCounter = make_counter(None, self._settings, self._calibration)
        self._feedback = feedback
        self._set: _OpenSet | None = None
        self._starting = False
        self._replacing = False  # a restore or "delete all" is running: no set may start
        self._last: LiveView | None = None
        self._last_volts: VoltsFrame | None = None
        self._recent: deque[VoltsFrame] = deque(maxlen=1000)
        self._capture: TargetCapture | None = None
        self._fb_key: tuple[bool, str, bool] | None = None
        self._health: dict[str, Any] = {name: {"state": "ok", "message": ""} for name in SENSORS}
        self._rate_hz = 0.0
        self._rate_count = 0
        self._rate_t0: float | None = None
        self._logging_ok = True
        self._logging_message: str | None = None
        # ADC loss: frames counted so a timer can tell whether any arrived since an error.
        self._frame_serial = 0
        self._adc_fault: str | None = None
        self._adc_timer: threading.Timer | None = None
        self._broadcast = Broadcaster(self._frame_json)
        self._writer = LogWriter(store, on_state=self._on_logging_state)
        self._listeners: tuple[Listener, ...] = ()
        self._closed = False
        self.guided = GuidedHub(self, keep=self._keep_guided)
        """The guided session (``firmware.guided``): its state lives here, not in a tablet."""

    def restore_runner(self) -> Runner | None:
        """Choose again the runner remembered in ``state`` (at start, before sampling).

        Returns the runner, or ``None`` when nobody was remembered or they are gone (then
        nobody is remembered any more, and the reason is logged).
        """
        runner_id = None if self._state is None else self._state.get_runner_id()
        if runner_id is None:
            return None
        try:
            runner = self.select_runner(runner_id)
        except (KeyError, InsoleError) as err:  # RunnerNotFoundError is a KeyError
            log.warning("the runner chosen before the restart (%s) is not available: %s",
                        runner_id, err)
            self._remember_runner(None)
            return None
        log.info("current runner after the restart: %s", runner_id)
        return runner

    def restore_guided(self) -> dict[str, Any] | None:
        """Go on with the guided session kept in ``state`` (at start, after the runner).

        Returns the hub's state, or ``None`` when none was kept or it cannot be resumed
        (logged; then it is forgotten).
        """
        kept = None if self._state is None else self._state.load().get("guided")
        if not isinstance(kept, dict):
            return None
        try:
            state = self.guided.resume(kept)
        except GuidedStateError as err:
            log.warning("the guided session kept over the restart is dropped: %s", err)
            self._keep_guided(None)
            return None
        log.info("guided session resumed at stage %s", state["position"])
        return state

    def _keep_guided(self, snapshot: dict[str, Any] | None) -> None:
        if self._state is not None:
            self._state.remember(guided=snapshot)

    def _remember_runner(self, runner_id: int | None) -> None:
        if self._state is not None:
            self._state.remember(runner_id=runner_id)

    # -- read side ------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._settings

    @property
    def calibration(self) -> Calibration:
        """The calibration in force."""
        return self._calibration

    def subscribe(self) -> Subscription:
        """A live subscription; the first event is the current status."""
        sub = self._broadcast.subscribe()
        sub._put_event(("status", self.status()))
        return sub

    @property
    def subscriber_count(self) -> int:
        """Open live subscriptions."""
        return self._broadcast.count

    def latest(self) -> dict[str, Any] | None:
        """The last frame event, or ``None`` before the first frame."""
        last = self._last
        return None if last is None else self._frame_json(last)

    def clock_s(self) -> float | None:
        """The monitor's clock: the time of the newest frame (``None`` before the first).

        Frame times come from the sampler's monotonic clock, so timers driven by it (the
        guided session's rests) run with the measurements and tests can drive them with
        frames.
        """
        last = self._last
        return None if last is None else last.t_s

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(kind, data)`` for every event (not frames); returns the remover.

        It may be called on the sampling thread with the monitor's lock held: it must
        return at once and must not call back into the monitor (queue the work instead).
        """
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def remove() -> None:
            with self._lock:
                self._listeners = tuple(x for x in self._listeners if x is not listener)

        return remove

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Send an event to every subscriber (used by the guided session for ``guided``)."""
        self._publish(kind, data)

    def latest_raw(self) -> dict[str, Any] | None:
        """The last raw reading: volts and untared forces (for the calibration wizard)."""
        frame = self._last_volts
        if frame is None:
            return None
        cal = self._calibration
        untared = Calibration(cal.divider, cal.curves)
        volts = frame.volts
        return {
            "t_s": frame.t_s,
            "volts": {n: round(v, 5) for n, v in zip(SENSORS, volts, strict=True)},
            "forces_n": {n: round(untared.force_n(i, volts[i]), 3) for i, n in enumerate(SENSORS)},
        }

    def status(self) -> dict[str, Any]:
        """Source, health, rate, logging and set state, with the banners to show."""
        banners: list[dict[str, str]] = []
        if self.source.simulated:
            banners.append({"level": "info", "key": "simulated", "text": "Simulated insole"})
        for name in SENSORS:
            health = self._health.get(name, {})
            if health.get("state", "ok") != "ok":
                banners.append(
                    {
                        "level": "error",
                        "key": f"sensor_fault.{name}",
                        "text": f"Sensor fault: {name} — "
                        f"{health.get('message') or health['state']}",
                    }
                )
        adc_fault = self._adc_fault
        if adc_fault is not None:
            banners.append(
                {
                    "level": "error",
                    "key": "adc_fault",
                    "text": f"No readings: {adc_fault}",
                    "detail": adc_fault,
                }
            )
        if not self._logging_ok:
            banners.append(
                {"level": "warning", "key": "logging_paused", "text": self._logging_message or ""}
            )
        open_set = self._set
        if adc_fault is None:
            sensors = {name: dict(self._health[name]) for name in SENSORS}
        else:
            # No reading at all: every sensor is without signal (the LED shows a fault).
            sensors = {name: {"state": "no_signal", "message": adc_fault} for name in SENSORS}
        return {
            "source": self.source.to_dict(),
            "health": {
                "ok": all(sensors[n]["state"] == "ok" for n in SENSORS),
                "sensors": sensors,
            },
            "frame_rate_hz": round(self._rate_hz, 1),
            "logging": {"ok": self._logging_ok, "message": self._logging_message},
            "set": {
                "running": open_set is not None,
                "session_id": None if open_set is None else open_set.session_id,
                "exercise": self._settings.exercise if open_set is None else open_set.exercise,
                "foot": self._default_foot() if open_set is None else open_set.foot,
            },
            "calibration_id": self._calibration_id,
            "runner": self._runner_status(),
            "subscribers": self._broadcast.count,
            "banners": banners,
        }

    # -- the sampling thread ----------------------------------------------------------

    def process(self, frame: VoltsFrame) -> None:
        """Handle one sampled frame: convert, count, log, publish."""
        if self._adc_timer is not None:
            self._adc_back()
        with self._lock:
            self._frame_serial += 1
            t = frame[0]
            h, lt, bt = self._convert((frame[1], frame[2], frame[3]))
            state = self._counter.step(Frame(t, h, lt, bt))
            self._last = state
            self._last_volts = frame
            self._recent.append(frame)
            open_set = self._set
            if open_set is not None:
                if open_set.t0_s is None:
                    open_set.t0_s = t
                open_set.frames.append(Frame(t - open_set.t0_s, h, lt, bt))
                open_set.last_t_s = t
                if len(open_set.frames) >= LOG_BATCH_FRAMES:
                    self._flush_frames(open_set)
            if state.events:
                self._handle_events(state.events)
            if self._capture is not None:
                self._feed_capture(t, state.forces_n)
            self._count_rate(t)
        self._broadcast.frame(state)
        if self._feedback is not None:
            # Only changes reach the LED: touching pins at every frame would cost the
            # sampling thread time for nothing.
            loaded = state.off_point is not None or state.total_n >= self._settings.load_floor_n
            # Rep modes have no hold state; a rep in progress with the tripod intact shows
            # as holding.
            hold_state = getattr(state, "hold_state", None) or (
                "holding" if getattr(state, "rep_tripod_ok", False) and state.balanced else "idle"
            )
            key = (state.balanced, hold_state, loaded)
            if key != self._fb_key:
                self._fb_key = key
                self._feedback.handle(
                    "frame",
                    {
                        "balanced": state.balanced,
                        "loaded": loaded,
                        "off_point": state.off_point,
                        "hold": {"state": hold_state},
                    },
                )

    on_frame = process

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        """The sampler lost data: no hold may span the gap."""
        with self._lock:
            events = self._counter.gap()
            self._handle_events(events)
        self._publish("gap", {"start_s": start_s, "end_s": end_s, "reason": reason})

    def on_health(self, report: Mapping[str, Any] | Any) -> None:
        """Per-sensor health from the sampler (a mapping of sensor -> state/message)."""
        data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
        with self._lock:
            changed = merge_health(self._health, data)
            if "frame_rate_hz" in data:
                self._rate_hz = float(data["frame_rate_hz"])
        if changed:
            self._publish("status", self.status())

    def on_error(self, exc: BaseException) -> None:
        """An error inside the sampler or a listener: logged and shown, never swallowed."""
        log.error("sampler error: %s", exc, exc_info=exc)
        self._publish("error", {"message": str(exc)})
        if isinstance(exc, HardwareError):
            with self._lock:
                if self._adc_timer is None and not self._closed:
                    self._adc_timer = start_watch(
                        "insole-adc-watch", self._adc_lost, self._frame_serial, str(exc)
                    )

    def _adc_lost(self, serial: int, message: str) -> None:
        """Timer: still no frame since the read error, so the ADC is shown as lost."""
        with self._lock:
            if self._frame_serial != serial or self._adc_timer is None or self._closed:
                return
            self._adc_fault = f"the ADC is not answering ({message})"
        log.warning("no readings from the ADC: %s", message)
        self._publish("status", self.status())

    def _adc_back(self) -> None:
        """Frames arrive again: end the watch and clear a shown ADC loss."""
        with self._lock:
            timer, self._adc_timer = self._adc_timer, None
            was_lost, self._adc_fault = self._adc_fault is not None, None
        if timer is not None:
            timer.cancel()
        if was_lost:
            log.info("readings from the ADC are back")
            self._publish("status", self.status())

    # -- user actions -----------------------------------------------------------------

    def start_set(
        self,
        exercise: str | None = None,
        foot: str | None = None,
        *,
        targets: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a set (a logged session); returns its id.

        ``targets`` overrides ``rep_target``, ``set_done_at`` and ``hold_target_s`` for
        this set only (a guided set's step); nothing is saved. ``set_done_at`` follows a
        smaller ``rep_target`` down. Bad targets raise ``SettingsError`` naming the field.
        """
        exercise = exercise or self._settings.exercise
        foot = foot or self._default_foot()
        if exercise not in EXERCISES:
            raise SetStateError(f"exercise must be one of {', '.join(EXERCISES)}, got {exercise!r}")
        if foot not in FOOT_SIDES:
            raise SetStateError(f"foot must be one of {', '.join(FOOT_SIDES)}, got {foot!r}")
        # The runner's programme targets for the exercise, then the set's own (a guided
        # step, which already carries the runner's targets).
        effective = self._runner_settings(self._settings, exercise)
        set_targets = check_set_targets(effective, targets or {})
        effective = effective.replace(**set_targets)
        with self._lock:
            started_at = self._claim_start()
            future = self._open_session(started_at, exercise, foot, effective)
        try:
            # Waited for outside the lock: the commit's fsync must not stall sampling.
            session_id = int(future.result(WRITER_TIMEOUT_S))
        except RunnerNotFoundError as err:
            raise self._runner_gone() from err
        finally:
            with self._lock:
                self._starting = False
        with self._lock:
            # A fresh counter for the set's exercise (the mode may differ from the last set).
            self._counter = make_counter(
                exercise, effective, self._calibration
            )
            self._set = _OpenSet(
                session_id, exercise, foot, None, [], started_at=started_at, targets=set_targets
            )
            runner_id = None if self._runner is None else self._runner.id
        self._publish(
            "set_started",
            {"session_id": session_id, "exercise": exercise, "foot": foot, "runner_id": runner_id},
        )
        self._publish("status", self.status())
        return session_id

    def stop_set(self, status: str = "completed") -> dict[str, Any]:
        """Stop the running set: close any open hold, write everything, end the session."""
        with self._lock:
            open_set = self._set
            if open_set is None:
                raise SetStateError("no set is running")
            self._write_out(open_set, self._counter.finish())
            counts = self._counter.summary()
            summary = {
                "session_id": open_set.session_id,
                "exercise": open_set.exercise,
                "foot": open_set.foot,
                "correct": counts["correct"],
                "attempted": counts["attempted"],
            }
            self._set = None
            done = self._writer.call(
                SessionLog.end_session, open_set.session_id, _ended_at(open_set), status
            )
        done.result(WRITER_TIMEOUT_S)
        self._publish("set_stopped", summary)
        self._publish("status", self.status())
        return summary

    def toggle_set(self) -> None:
        """Start a set, or stop the running one (the device button's short press)."""
        if self._set is None:
            self.start_set()
        else:
            self.stop_set()

    def tare(self) -> dict[str, Any]:
        """Zero the sensors on the last half second of readings (the foot must be lifted)."""
        with self._lock:
            if not self._recent:
                raise SetStateError("no readings yet: is the insole connected?")
            tared, warning = tare_on(self._recent, self._calibration)
            created = self._wall_clock()
            future = self._writer.call(
                SessionLog.save_calibration, tared.to_dict(), "tare", created
            )
            self._calibration_id = int(future.result(WRITER_TIMEOUT_S))
            self._apply(self._settings, tared)
            self._own_calibration()
            if warning and self._set is not None:
                self._writer.call(
                    SessionLog.set_session_meta, self._set.session_id, "drift_warning", warning
                )
        result = {
            "tare_n": dict(zip(SENSORS, tared.tare_n, strict=True)),
            "drift_warning": warning,
            "calibration_id": self._calibration_id,
        }
        self._publish("tared", result)
        return result

    def tare_quietly(self) -> None:
        """Tare from the device button: a failure is announced, not raised into gpiozero."""
        try:
            self.tare()
        except InsoleError as err:
            self._publish("error", {"message": str(err)})

    def capture_target(self, duration_s: float = 3.0) -> None:
        """Start capturing a personal target; the result arrives as ``target_captured``."""
        capture = TargetCapture(duration_s, self._settings.load_floor_n)
        with self._lock:
            self._capture = capture

    def update_settings(self, changes: Mapping[str, Any]) -> Settings:
        """Validate and apply settings (all or nothing) and save them."""
        new = Settings.from_dict(changes, base=self._settings)
        with self._lock:
            cal = self._calibration
            if (new.supply_v, new.r_fixed_ohm) != (cal.divider.supply_v, cal.divider.r_fixed_ohm):
                data = cal.to_dict()
                data.update(supply_v=new.supply_v, r_fixed_ohm=new.r_fixed_ohm)
                cal = Calibration.from_dict(data)
            self._apply(new, cal)
            self._writer.call(SessionLog.save_settings, new.to_dict()).result(WRITER_TIMEOUT_S)
        self._publish("status", self.status())
        return new

    def save_calibration(self, calibration: Calibration, label: str) -> int:
        """Store and apply a calibration (from the calibration wizard)."""
        with self._lock:
            future = self._writer.call(
                SessionLog.save_calibration, calibration.to_dict(), label, self._wall_clock()
            )
            self._calibration_id = int(future.result(WRITER_TIMEOUT_S))
            self._apply(self._settings, calibration)
            self._own_calibration()
        self._publish("status", self.status())
        return self._calibration_id

    # -- runners (several people on one device) -------------------------------------

    @property
    def runner(self) -> Runner | None:
        """The runner whose targets and calibration are in force (``None``: nobody chosen)."""
        return self._runner

    def programme(self) -> Programme:
        """The current runner's programme: the article's default with their targets.

        With nobody chosen it is the default programme; the live counter then follows
        the device settings (hold target, holds per set) instead.
        """
        runner = self._runner
        return DEFAULT_PROGRAMME if runner is None else runner.programme()

    def select_runner(self, runner_id: int | None) -> Runner | None:
        """Make ``runner_id`` the current runner (``None``: nobody); returns the runner.

        New sets are logged with the runner's id, counted with the targets of their
        programme and, unless given another foot, for their foot; their own calibration
        is put in force (the device calibration while they have none). Switching is
        refused with :class:`SetStateError` while a set runs: the set's frames must stay
        under one calibration. Selecting the current runner again only re-reads their
        profile after an edit (allowed during a set; the running set keeps its targets).
        """
        runner = None if runner_id is None else Runners(self.log).get(runner_id)
        own_cal: tuple[int, Calibration] | None = None
        if runner is not None and runner.calibration_id is not None:
            own_cal = (
                runner.calibration_id,
                Calibration.from_dict(self.log.calibration(runner.calibration_id)),
            )
        with self._lock:
            current_id = None if self._runner is None else self._runner.id
            if runner_id != current_id:
                if self._set is not None or self._starting:
                    raise SetStateError(
                        "stop the running set before switching runner: a set is counted "
                        "with one runner's targets and calibration"
                    )
                if self._runner is None:
                    # Leaving the device's own calibration: keep it for when nobody is chosen.
                    self._device_cal = (self._calibration_id, self._calibration)
                cal_id, cal = own_cal or self._device_cal
                self._calibration_id = cal_id
                self._calibration = cal
                self._convert = cal.converter()
            self._runner = runner
            if self._set is None:
                mode = self._counter.mode
                self._counter = make_counter(
                    mode, self._runner_settings(self._settings, mode), self._calibration
                )
        if runner_id != current_id:
            self._remember_runner(runner_id)
        self._publish("status", self.status())
        return runner

    def replace_stored_data(self, action: Callable[[SessionLog], T]) -> T:
        """Run a whole-log operation (restore a backup, delete everything) safely.

        Refused with :class:`SetStateError` while a set runs; no set can start meanwhile.
        ``action(log)`` runs on the log-writer thread after every write already queued, so
        nothing of the old data is written after it. Afterwards the settings and the
        calibration in force are reloaded from the log (the defaults when it has none), so
        the device never refers to a calibration or runner that is gone: nobody is chosen
        as the runner afterwards. Sampling carries on: the monitor's lock is not held while
        the action runs.
        """
        with self._lock:
            if self._replacing:
                raise SetStateError("the stored data is already being replaced")
            if self._set is not None or self._starting:
                raise SetStateError("stop the running set first")
            self._replacing = True
        try:
            future = self._writer.call(action)
            result: T = future.result(REPLACE_TIMEOUT_S)
        finally:
            try:
                settings = stored_settings(self.log)
                calibration_id, calibration = stored_calibration(self.log, settings)
                with self._lock:
                    # The runner may not exist in the new data (or have another id there).
                    self._runner = None
                    self._device_cal = (calibration_id, calibration)
                    self._apply(settings, calibration)
                    self._calibration_id = calibration_id
                    self._counter = make_counter(self._counter.mode, settings, calibration)
                self._remember_runner(None)
            finally:
                with self._lock:
                    self._replacing = False
            self._publish("status", self.status())
        return result

    def close_streams(self) -> None:
        """End every live subscription (shutdown): their readers return at once."""
        self._broadcast.close_all()

    def close(self) -> None:
        """Stop a running set (its session stays complete), flush the log, end streams."""
        if self._closed:
            return
        self._closed = True
        timer = self._adc_timer
        if timer is not None:
            timer.cancel()
        if self._set is not None:
            try:
                self.stop_set()
            except (InsoleError, TimeoutError) as err:
                # A full disk must not stop the shutdown half-way (the writer thread
                # would keep the process alive): what was written stays, and the session
                # is marked interrupted at the next start.
                log.error("could not end the running set cleanly: %s", err)
        self.guided.close()
        self._writer.close()
        self._broadcast.close_all()
        if self._feedback is not None:
            self._feedback.close()


    # -- internals --------------------------------------------------------------------

    def _apply(self, settings: Settings, calibration: Calibration) -> None:
        """Swap in new settings/calibration, keeping the running set's count."""
        if settings != self._settings:
            mode = self._counter.mode
            open_set = self._set
            # A running set keeps its own targets (a guided step's reps and hold).
            targets = {} if open_set is None else open_set.targets
            effective = self._runner_settings(settings, mode).replace(**targets)
            counter = make_counter(mode, effective, calibration)
            old, new = self._counter, counter
            if isinstance(old, ArchHold) and isinstance(new, ArchHold):
                # The arch hold's count carries over, so a change of (say) the hold target
                # mid-set does not lose the holds already made.
                new.pipeline.tally = old.pipeline.tally
                new.pipeline.tally.rep_target = effective.rep_target
                new.pipeline.tally.done_at = effective.set_done_at
                new.pipeline.last_hold = old.pipeline.last_hold
            self._counter = counter
        self._settings = settings
        self._calibration = calibration
        self._convert = calibration.converter()

    def _runner_settings(self, settings: Settings, mode: str | None) -> Settings:
        """``settings`` with the current runner's programme targets for ``mode`` applied."""
        runner = self._runner
        step = None if runner is None else runner.programme().step_for(mode or "arch_hold")
        if step is None:
            return settings
        return settings.replace(**step_settings(step, settings))

    def _forget_runner(self) -> None:
        """Drop a runner that is gone from the log: the device calibration comes back."""
        with self._lock:
            if self._runner is None:
                return
            self._runner = None
            self._calibration_id, self._calibration = self._device_cal
            self._convert = self._calibration.converter()
        self._publish("status", self.status())

    def _default_foot(self) -> str:
        runner = self._runner
        return self._settings.foot if runner is None else runner.foot

    def _runner_status(self) -> dict[str, Any] | None:
        runner = self._runner
        if runner is None:
            return None
        return {
            "id": runner.id,
            "name": runner.name,
            "foot": runner.foot,
            "calibration_id": runner.calibration_id,
        }

    def _own_calibration(self) -> None:
        """The calibration just put in force becomes the current runner's, or the device's."""
        runner = self._runner
        if runner is not None and runner.id is not None:
            future = self._writer.call(
                SessionLog.update_runner, runner.id, calibration_id=self._calibration_id
            )
            try:
                future.result(WRITER_TIMEOUT_S)
            except RunnerNotFoundError:
                # Deleted meanwhile: the calibration stays the device's.
                log.warning(
                    "runner %s is gone; calibration %s kept for the device",
                    runner.id,
                    self._calibration_id,
                )
                self._runner = None
            else:
                self._runner = dataclasses.replace(runner, calibration_id=self._calibration_id)
                return
        self._device_cal = (self._calibration_id, self._calibration)

    def _handle_events(self, events: tuple[Event, ...] | list[Event]) -> None:
        open_set = self._set
        for kind, data in events:
            published = data
            if kind == "hold_ended" and open_set is not None:
                shifted = self._log_hold(open_set, Hold.from_dict(data))
                published = {**data, "start_s": shifted.start_s, "end_s": shifted.end_s}
            if kind == "rep_ended" and open_set is not None:
                record = {k: v for k, v in data.items() if k not in ("correct", "attempted")}
                published = {**data, **self._log_rep(open_set, record)}
            if open_set is not None and kind == "set_done":
                published = {**data, "session_id": open_set.session_id}
            self._publish(kind, published)

    def _claim_start(self) -> datetime:
        """Under the lock: refuse a second set or one during a restore; mark one starting.

        Returns the set's start time.
        """
        if self._replacing:
            raise SetStateError("the stored data is being replaced: try again in a moment")
        if self._set is not None or self._starting:
            running = "starting" if self._set is None else f"session {self._set.session_id}"
            raise SetStateError(f"a set is already running ({running})")
        self._starting = True
        return self._wall_clock()

    def _open_session(
        self, started_at: datetime, exercise: str, foot: str, settings: Settings
    ) -> Future[Any]:
        """Queue the session's creation for the current runner; the future gives its id."""
        return self._writer.call(
            SessionLog.start_session,
            started_at=started_at,
            exercise=exercise,
            foot=foot,
            source=self.source.kind,
            settings=settings.to_dict(),
            calibration_id=self._calibration_id,
            runner_id=None if self._runner is None else self._runner.id,
        )

    def _runner_gone(self) -> SetStateError:
        """The chosen runner was deleted behind the monitor's back (e.g. all data deleted).

        Fall back to nobody and say so, so that the user starts again knowingly.
        """
        self._forget_runner()
        return SetStateError(
            "the chosen runner no longer exists; the device is back to no runner: "
            "choose a runner or start the set again"
        )

    def _write_out(self, open_set: _OpenSet, records: list[Any]) -> None:
        """Log a finished set's last records (holds or reps), then its buffered frames."""
        for record in records:
            if isinstance(record, Hold):
                self._log_hold(open_set, record)
            else:
                self._log_rep(open_set, record.to_dict())
        self._flush_frames(open_set)

    def _flush_frames(self, open_set: _OpenSet) -> None:
        """Hand the set's buffered frames to the writer."""
        if open_set.frames:
            self._writer.frames(open_set.session_id, open_set.frames)
            open_set.frames = []

    def _log_hold(self, open_set: _OpenSet, hold: Hold) -> Hold:
        t0 = open_set.t0_s or 0.0
        shifted = dataclasses.replace(hold, start_s=hold.start_s - t0, end_s=hold.end_s - t0)
        # Frames first, so the hold's frames are in the log before the hold itself.
        self._flush_frames(open_set)
        self._writer.hold(open_set.session_id, shifted)
        return shifted

    def _log_rep(self, open_set: _OpenSet, rep: dict[str, Any]) -> dict[str, Any]:
        t0 = open_set.t0_s or 0.0
        shifted = dict(rep)
        for key in ("start_s", "end_s", "lost_at_s"):
            if isinstance(shifted.get(key), int | float):
                shifted[key] = shifted[key] - t0
        self._flush_frames(open_set)
        self._writer.call(SessionLog.add_rep, open_set.session_id, shifted)
        return shifted

    def _feed_capture(self, t: float, forces: tuple[float, float, float]) -> None:
        capture = self._capture
        if capture is None or not capture.add(t, forces):
            return
        self._capture = None
        try:
            target = capture.result()
        except TargetCaptureError as err:
            self._publish("target_failed", {"message": str(err)})
            return
        tolerance = self._settings.target_tolerance
        threading.Thread(
            target=self._store_target, args=(target, tolerance), name="insole-target", daemon=True
        ).start()

    def _store_target(self, target: tuple[float, float, float], tolerance: float) -> None:
        # Runs off the sampling thread: saving settings waits for the log writer.
        self.update_settings({"personal_target": list(target)})
        self._publish(
            "target_captured",
            {
                "personal_target": dict(zip(SENSORS, target, strict=True)),
                "tolerance": tolerance,
            },
        )

    def _count_rate(self, t: float) -> None:
        if self._rate_t0 is None:
            self._rate_t0 = t
            return
        self._rate_count += 1
        elapsed = t - self._rate_t0
        if elapsed >= 1.0:
            self._rate_hz = self._rate_count / elapsed
            self._rate_count = 0
            self._rate_t0 = t

    def _on_logging_state(self, ok: bool, message: str | None) -> None:
        self._logging_ok = ok
        self._logging_message = message
        self._publish("status", self.status())

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        self._broadcast.event(kind, data)
        if self._feedback is not None:
            self._feedback.handle(kind, data)
        for listener in self._listeners:
            listener(kind, data)

    def _frame_json(self, state: LiveView) -> dict[str, Any]:
        return state.to_json(set_running=self._set is not None)


def stored_settings(store: SessionLog) -> Settings:
    """The settings saved in the log, or the defaults (announced) when absent or invalid."""
    data = store.load_settings()
    if not data:
        return Settings()
    try:
        return Settings.from_dict(data)
    except InsoleError as err:
        log.warning("stored settings are not valid any more (%s): using defaults", err)
        return Settings()


def check_set_targets(settings: Settings, targets: Mapping[str, Any]) -> dict[str, Any]:
    """Checked per-set overrides (``SET_TARGET_FIELDS``) over ``settings``.

    ``set_done_at`` follows a smaller ``rep_target`` down; ``SettingsError`` names a field
    that is not a set target or out of range.
    """
    unknown = sorted(set(targets) - set(SET_TARGET_FIELDS))
    if unknown:
        raise SettingsError(
            unknown[0], f"is not a set target; allowed: {', '.join(SET_TARGET_FIELDS)}"
        )
    chosen = dict(targets)
    if "rep_target" in chosen and "set_done_at" not in chosen:
        rep_target = chosen["rep_target"]
        if isinstance(rep_target, int) and not isinstance(rep_target, bool):
            chosen["set_done_at"] = min(settings.set_done_at, rep_target)
    settings.replace(**chosen)  # validates: SettingsError names the field and the range
    return chosen


def merge_health(health: dict[str, dict[str, str]], data: Mapping[str, Any]) -> bool:
    """Merge a health report into ``health``; whether any sensor's entry changed.

    ``data`` is ``{"sensors": {name: state or {state, message}}}`` or that sensors mapping.
    """
    sensors = data.get("sensors", data)
    changed = False
    for name in SENSORS:
        entry = sensors.get(name)
        if entry is None:
            continue
        if isinstance(entry, str):
            entry = {"state": entry, "message": ""}
        new = {"state": str(entry.get("state", "ok")), "message": str(entry.get("message", ""))}
        if new != health[name]:
            health[name] = new
            changed = True
    return changed


def start_watch(name: str, on_timeout: Callable[..., None], *args: Any) -> threading.Timer:
    """Start the "no readings" watch: ``on_timeout(*args)`` after ``ADC_FAULT_AFTER_S``.

    A daemon timer, started by a read error and cancelled by the next frame.
    """
    timer = threading.Timer(ADC_FAULT_AFTER_S, on_timeout, args=args)
    timer.daemon = True
    timer.name = name
    timer.start()
    return timer


def stored_calibration(store: SessionLog, settings: Settings) -> tuple[int | None, Calibration]:
    """The latest calibration in the log with its id, or the default one (id ``None``)."""
    stored = store.latest_calibration()
    if stored is not None:
        return stored[0], Calibration.from_dict(stored[1])
    default = Calibration.from_dict(
        {
            "supply_v": settings.supply_v,
            "r_fixed_ohm": settings.r_fixed_ohm,
            "sensors": Calibration().to_dict()["sensors"],
        }
    )
    return None, default


def tare_on(
    recent: Sequence[VoltsFrame], calibration: Calibration
) -> tuple[Calibration, str | None]:
    """``calibration`` tared on the last ``TARE_WINDOW_S`` of ``recent`` (not empty).

    Returns it with the drift warning against the previous tare (``None`` on the first tare
    or without drift).
    """
    newest = recent[-1].t_s
    window = [f for f in recent if f.t_s >= newest - TARE_WINDOW_S]
    mean = [sum(f[i + 1] for f in window) / len(window) for i in range(3)]
    tared = calibration.with_tare(mean)
    drift = check_drift(calibration.tare_n, tared.tare_n)
    return tared, drift.warning if any(calibration.tare_n) else None


def _ended_at(open_set: _OpenSet) -> datetime:
    """The set's end as its start plus its span on the monotonic clock.

    The Pi has no real-time clock and sets its wall clock from the network once it can, so
    reading the wall clock again at the end could make a set last decades or end before it
    began; the frames' monotonic times cannot jump.
    """
    if open_set.t0_s is None or open_set.last_t_s is None:
        return open_set.started_at
    return open_set.started_at + timedelta(seconds=open_set.last_t_s - open_set.t0_s)
