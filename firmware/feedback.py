"""Feedback on the device: a status LED, a buzzer and a push button, through gpiozero.

:class:`Feedback` listens to the Monitor's events (``handle(kind, data)``, the kinds and
data of ``docs/ARCHITECTURE.md``) and shows them; the button drives the Monitor through
the two callbacks given to :meth:`Feedback.bind_button`.

What the runner sees and hears (RGB LED; a single LED shows the column "single"):

============== ======================================= ================= ===================
state          when                                    RGB LED           single LED
============== ======================================= ================= ===================
off            foot unloaded, nothing to show          off               off
simulated      foot unloaded, source is simulated      dim blue          off
off_balance    loaded but not balanced                 red               off
balanced       balanced, inside the entry debounce     green             on
holding        a hold is running                       green, pulsing    on
grace          balance lost, inside the grace time     amber             fast blink
hold_complete  a correct hold just ended (one-shot)    3 green blinks    3 blinks
set_done       the rep target was reached (one-shot)   5 green/blue      5 blinks
pairing        the pairing window is open              blue, blinking    short flash each s
fault          a sensor's health is not ``ok``         red, blinking     slow blink
============== ======================================= ================= ===================

Sounds (:data:`TUNES`): a short high beep when a hold starts, two beeps when a hold ends
correct, one low beep when it ends short, a rising tune when the set is done, a click
when a set starts or stops, a low tone when a sensor fault appears, a confirmation
chirp when the button has been held long enough to tare and a rising call when the
pairing window opens.

The button (see :meth:`Feedback.bind_button` and :meth:`Feedback.bind_pairing`):

============================ ==============================================================
press                        action
============================ ==============================================================
short (released before 2 s)  start or stop a set
held 2 s                     tare (a chirp at 2 s; with pairing bound, the tare happens at
                             release, so that holding on to pair never tares)
held 6 s                     open the pairing window: the first tablet that asks on
                             ``/pair`` within it is paired (rising call; blue blinking
                             until a tablet paired or the window ended)
============================ ==============================================================

Why holding for 6 s: every shorter gesture collides. A double press would first start a
set (or every short press would have to wait to see whether a second one follows), and a
double press also happens by accident, when someone presses twice "to make sure" --
which must never open pairing to the whole network. Holding on long past the tare chirp
is deliberate, cannot be part of normal use, and is the gesture people know from
Bluetooth and WPS buttons.

Event keys read (anything else is ignored; a malformed event never raises):

- ``frame``: ``data["balanced"]``, ``data["hold"]["state"]`` and whether the foot is
  loaded: ``data["loaded"]`` (bool), or else ``data["total_n"]`` of at least 1 N or a
  non-null ``data["off_point"]`` (the full ``LiveState.to_json()`` has both). A frame
  that says nothing about the load shows as unloaded, never as off balance.
- ``hold_ended``: ``data["outcome"]`` (``correct`` or ``short``).
- ``status``: ``data["health"]["sensors"][sensor]["state"]`` for each sensor (the
  sampler's ``HealthReport.to_dict()``; ``data["health"][sensor]["state"]`` or a plain
  string there are accepted too); any state other than ``ok`` is a sensor fault.
  ``data["source"]["simulated"]`` (bool) selects the ``simulated`` idle colour.
- ``hold_started``, ``set_done``, ``set_started``, ``set_stopped``: only the kind.

Cost and threads: :meth:`Feedback.handle` never sleeps and touches the pins only when the
shown state changes (a dictionary lookup and a comparison per frame otherwise). Blinks and
pulses run in gpiozero's own background threads (leaving one costs a join of that thread,
a few ms, only on a state change); tunes run in one small player thread owned by the
:class:`Feedback`, so a tune never delays the caller; a one-shot pattern is ended by a
timer, since no frame event may follow it while the state holds. Button callbacks run in
gpiozero's event threads; an exception in one is logged, never lost silently, and never
kills that thread.

When no GPIO pin factory is usable (a PC, lgpio missing) :func:`open_feedback` returns a
disabled :class:`Feedback` that still tracks the state, and says so in a warning log line
and in :attr:`Feedback.disabled_reason` so the service can show a banner.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gpiozero import LED, RGBLED, Button, Buzzer, TonalBuzzer
from gpiozero.exc import GPIOPinInUse, PinPWMUnsupported

from firmware.config import PinConfig
from firmware.errors import GpioError
from firmware.gpio import resolve_pin_factory
from insole.frames import SENSORS
from insole.resources import Closeable

log = logging.getLogger(__name__)

LedKind = Literal["rgb", "single", "none"]
BuzzerKind = Literal["tonal", "active", "none"]
Rgb = tuple[float, float, float]

LOADED_MIN_N = 1.0
"""Below this total force the foot counts as unloaded (the live state's own threshold)."""

LONG_PRESS_S = 2.0
"""Default press length that means "tare" rather than "start/stop the set"."""

PAIR_PRESS_S = 6.0
"""Default press length that opens the pairing window (see the module docstring: why)."""

PAIR_POLL_S = 0.5
"""While the pairing LED blinks, how often to ask whether the window is still open."""

BUTTON_BOUNCE_S = 0.02
"""Contact bounce of a tactile switch is a few ms; ignore edges closer than this."""


class LedState(enum.StrEnum):
    """What the status LED shows (see the module table)."""

    OFF = "off"
    SIMULATED = "simulated"
    OFF_BALANCE = "off_balance"
    BALANCED = "balanced"
    HOLDING = "holding"
    GRACE = "grace"
    HOLD_COMPLETE = "hold_complete"
    SET_DONE = "set_done"
    PAIRING = "pairing"
    FAULT = "fault"


@dataclass(frozen=True)
class LedPattern:
    """How one state looks on the RGB LED and on a single LED.

    ``blink_s`` is ``(on_s, off_s)``; ``pulse_s`` is the fade time each way; ``count`` is
    the number of blinks of a one-shot pattern (``None``: until the state changes).
    ``base`` is the colour between blinks or at the bottom of a pulse.
    """

    color: Rgb
    blink_s: tuple[float, float] | None = None
    pulse_s: float | None = None
    count: int | None = None
    base: Rgb = (0.0, 0.0, 0.0)
    single_on: bool = False
    single_blink_s: tuple[float, float] | None = None

    @property
    def duration_s(self) -> float | None:
        """Length of a one-shot pattern; ``None`` for one that lasts until replaced."""
        if self.count is None or self.blink_s is None:
            return None
        return self.count * (self.blink_s[0] + self.blink_s[1])


GREEN: Rgb = (0.0, 1.0, 0.0)
RED: Rgb = (1.0, 0.0, 0.0)
AMBER: Rgb = (1.0, 0.35, 0.0)  # green LEDs are brighter than red: less green reads as amber
OFF: Rgb = (0.0, 0.0, 0.0)

PATTERNS: Mapping[LedState, LedPattern] = {
    LedState.OFF: LedPattern(OFF),
    LedState.SIMULATED: LedPattern((0.0, 0.0, 0.15)),
    LedState.OFF_BALANCE: LedPattern(RED),
    LedState.BALANCED: LedPattern(GREEN, single_on=True),
    LedState.HOLDING: LedPattern(GREEN, pulse_s=0.6, base=(0.0, 0.25, 0.0), single_on=True),
    LedState.GRACE: LedPattern(AMBER, single_blink_s=(0.1, 0.1)),
    LedState.HOLD_COMPLETE: LedPattern(
        GREEN, blink_s=(0.15, 0.15), count=3, single_blink_s=(0.15, 0.15)
    ),
    LedState.SET_DONE: LedPattern(
        GREEN, blink_s=(0.2, 0.2), count=5, base=(0.0, 0.0, 1.0), single_blink_s=(0.2, 0.2)
    ),
    # Blue blinking says "pairing" on most gadgets; it lasts as long as the window.
    LedState.PAIRING: LedPattern((0.0, 0.0, 1.0), blink_s=(0.5, 0.5), single_blink_s=(0.1, 0.9)),
    LedState.FAULT: LedPattern(RED, blink_s=(0.25, 0.25), single_blink_s=(0.5, 0.5)),
}
"""Every LED state's pattern; one-shot states have a ``count``."""


@dataclass(frozen=True)
class Note:
    """One note of a tune: a note name such as ``"C7"`` (``None``: silence) and a length."""

    tone: str | None
    duration_s: float


def _rest(duration_s: float = 0.06) -> Note:
    return Note(None, duration_s)


TUNES: Mapping[str, tuple[Note, ...]] = {
    "hold_started": (Note("E7", 0.08),),
    "hold_complete": (Note("C7", 0.12), _rest(0.08), Note("C7", 0.12)),
    "hold_short": (Note("B5", 0.25),),
    "set_done": (
        Note("C6", 0.12),
        _rest(0.03),
        Note("E6", 0.12),
        _rest(0.03),
        Note("G6", 0.12),
        _rest(0.03),
        Note("C7", 0.3),
    ),
    "set_started": (Note("G6", 0.04),),
    "set_stopped": (Note("G6", 0.04), _rest(0.05), Note("D6", 0.04)),
    "tare": (Note("A6", 0.05), _rest(0.05), Note("A6", 0.05), _rest(0.05), Note("A6", 0.05)),
    "fault": (Note("B5", 0.4),),
    "pairing": (Note("E6", 0.1), _rest(0.05), Note("A6", 0.1), _rest(0.05), Note("E7", 0.2)),
}
"""Tunes by name. Tones lie within the tonal buzzer's range (A5 to A7, :data:`BUZZER_MID`
one octave either way), where small piezo discs are loud; an active buzzer plays every
note at its one pitch. Notes are separated by rests so that each one is a distinct beep."""

BUZZER_MID = "A6"
"""Middle tone of the TonalBuzzer (1760 Hz); its range is one octave either side."""


def frame_led_state(data: Mapping[str, Any], *, simulated: bool = False) -> LedState:
    """The LED state a ``frame`` event (``LiveState.to_json()``) calls for.

    Pure: no pins, no clock. A frame lacking keys shows as unloaded.
    """
    hold = data.get("hold")
    hold_state = hold.get("state") if isinstance(hold, Mapping) else None
    if hold_state == "holding":
        return LedState.HOLDING
    if hold_state == "grace":
        return LedState.GRACE
    if data.get("balanced") is True:
        return LedState.BALANCED
    loaded_flag = data.get("loaded")
    total_n = data.get("total_n")
    loaded = (
        loaded_flag is True
        or data.get("off_point") is not None
        or (isinstance(total_n, int | float) and total_n >= LOADED_MIN_N)
    )
    if loaded:
        return LedState.OFF_BALANCE
    return LedState.SIMULATED if simulated else LedState.OFF


def faulty_sensors(status: Mapping[str, Any]) -> tuple[str, ...]:
    """Sensors whose health in a ``status`` event is not ``ok``, in ``SENSORS`` order.

    Reads ``status["health"]["sensors"][sensor]["state"]`` (a ``HealthReport.to_dict()``
    embedded by ``Monitor.status()``); ``status["health"][sensor]["state"]`` and a plain
    string in place of the inner mapping are accepted too. Sensors missing from the report
    and a status without ``health`` (no report yet) count as no fault.
    """
    health = status.get("health")
    if not isinstance(health, Mapping):
        return ()
    sensors = health.get("sensors")
    if isinstance(sensors, Mapping):
        health = sensors
    faulty = []
    for sensor in SENSORS:
        if sensor not in health:
            continue
        report = health[sensor]
        state = report.get("state") if isinstance(report, Mapping) else report
        if state != "ok":
            faulty.append(sensor)
    return tuple(faulty)


class _RgbLamp:
    """An RGB LED (three PWM channels)."""

    def __init__(self, pins: PinConfig, factory: Any, active_high: bool) -> None:
        self._led = RGBLED(
            pins.led_red,
            pins.led_green,
            pins.led_blue,
            active_high=active_high,
            pwm=True,
            pin_factory=factory,
        )

    def show(self, pattern: LedPattern) -> None:
        if pattern.pulse_s is not None:
            self._led.pulse(
                fade_in_time=pattern.pulse_s,
                fade_out_time=pattern.pulse_s,
                on_color=pattern.color,
                off_color=pattern.base,
                n=pattern.count,
            )
        elif pattern.blink_s is not None:
            self._led.blink(
                on_time=pattern.blink_s[0],
                off_time=pattern.blink_s[1],
                on_color=pattern.color,
                off_color=pattern.base,
                n=pattern.count,
            )
        else:
            self._led.color = pattern.color

    def close(self) -> None:
        self._led.close()


class _SingleLamp:
    """One plain LED on the green pin: on, off or blinking."""

    def __init__(self, pins: PinConfig, factory: Any, active_high: bool) -> None:
        self._led = LED(pins.led_green, active_high=active_high, pin_factory=factory)

    def show(self, pattern: LedPattern) -> None:
        if pattern.single_blink_s is not None:
            on_s, off_s = pattern.single_blink_s
            self._led.blink(on_time=on_s, off_time=off_s, n=pattern.count)
        elif pattern.single_on:
            self._led.on()
        else:
            self._led.off()

    def close(self) -> None:
        self._led.close()


class _TonalSounder:
    """A passive piezo on a PWM pin: any note in range."""

    def __init__(self, pin: int, factory: Any) -> None:
        self._buzzer = TonalBuzzer(pin, mid_tone=BUZZER_MID, octaves=1, pin_factory=factory)

    def play(self, tone: str) -> None:
        self._buzzer.play(tone)

    def stop(self) -> None:
        self._buzzer.stop()

    def close(self) -> None:
        self._buzzer.close()


class _ActiveSounder:
    """An active buzzer (own oscillator): on or off, one pitch."""

    def __init__(self, pin: int, factory: Any) -> None:
        self._buzzer = Buzzer(pin, pin_factory=factory)

    def play(self, tone: str) -> None:
        del tone  # one pitch only
        self._buzzer.on()

    def stop(self) -> None:
        self._buzzer.off()

    def close(self) -> None:
        self._buzzer.close()


_Sounder = _TonalSounder | _ActiveSounder


class _TunePlayer:
    """Plays queued tunes one after another in its own thread.

    The queue is short: if events arrive faster than tunes can be played (a flickering
    hold), the oldest waiting tune is dropped rather than playing a backlog late.
    """

    MAX_WAITING = 3

    def __init__(self, sounder: _Sounder) -> None:
        self._sounder = sounder
        self._waiting: collections.deque[tuple[str, tuple[Note, ...]]] = collections.deque(
            maxlen=self.MAX_WAITING
        )
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="feedback-tunes", daemon=True)
        self._thread.start()

    def play(self, name: str, tune: tuple[Note, ...]) -> None:
        with self._cond:
            self._waiting.append((name, tune))
            self._cond.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing is playing or waiting; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._waiting and not self._busy, timeout=timeout_s
            )

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._waiting.clear()
            self._cond.notify_all()
        # The player wakes at once (every wait is on ``_stop``); the timeout only guards
        # against a pin write that hangs in a broken factory.
        self._thread.join(timeout=5.0)
        self._sounder.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: bool(self._waiting) or self._stop.is_set())
                if self._stop.is_set():
                    break
                name, tune = self._waiting.popleft()
                self._busy = True
            try:
                self._play(tune)
            except Exception:
                # A broken buzzer must not take the LED and button down with it.
                log.exception("feedback: playing the %r tune failed", name)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _play(self, tune: tuple[Note, ...]) -> None:
        try:
            for note in tune:
                if note.tone is None:
                    self._sounder.stop()
                else:
                    self._sounder.play(note.tone)
                if self._stop.wait(note.duration_s):
                    return
        finally:
            self._sounder.stop()


ButtonCallback = Callable[[], object]
PairCallback = Callable[[], float]
"""Opens the pairing window and returns its length in seconds."""


def _nothing() -> None:
    """The button's action until :meth:`Feedback.bind_button` gives real ones."""


class Feedback(Closeable):
    """Status LED, buzzer and button of the device, driven by the Monitor's events.

    Args:
        pins: BCM pin numbers (``firmware.config.PinConfig``).
        pin_factory: a gpiozero pin factory; ``None`` resolves gpiozero's default
            (``GPIOZERO_PIN_FACTORY`` or auto-detection, see ``firmware.gpio``).
        led: ``rgb`` (common-cathode RGB LED on three pins), ``single`` (one LED on the
            green pin) or ``none``. An RGB LED on a factory without PWM falls back to
            ``single`` with a warning.
        buzzer: ``tonal`` (passive piezo, TonalBuzzer), ``active`` (active buzzer) or
            ``none``. A tonal buzzer on a factory without PWM stays silent, with a warning.
        led_active_high: ``False`` for a common-anode RGB LED.
        long_press_s: press length that counts as a long press (tare).
        pair_press_s: press length that opens pairing (when :meth:`bind_pairing` was called).
        enabled: ``False`` builds a disabled instance that touches no pin (see
            :meth:`disabled`).

    Raises:
        GpioError: the pin factory or a pin is not usable (use :func:`open_feedback` to
            get a disabled instance instead).

    """

    def __init__(
        self,
        pins: PinConfig | None = None,
        *,
        pin_factory: Any = None,
        led: LedKind = "rgb",
        buzzer: BuzzerKind = "tonal",
        led_active_high: bool = True,
        long_press_s: float = LONG_PRESS_S,
        pair_press_s: float = PAIR_PRESS_S,
        enabled: bool = True,
    ) -> None:
        if led not in ("rgb", "single", "none"):
            raise ValueError(f"led must be one of rgb, single, none; got {led!r}")
        if buzzer not in ("tonal", "active", "none"):
            raise ValueError(f"buzzer must be one of tonal, active, none; got {buzzer!r}")
        if not long_press_s > 0:
            raise ValueError(f"long_press_s must be positive, got {long_press_s!r}")
        if not pair_press_s > long_press_s:
            raise ValueError(
                f"pair_press_s must be longer than long_press_s ({long_press_s} s), "
                f"got {pair_press_s!r}"
            )
        self.pins = pins or PinConfig()
        self._lock = threading.RLock()
        self._closed = False
        self._lamp: _RgbLamp | _SingleLamp | None = None
        self._player: _TunePlayer | None = None
        self._button: Any = None
        self._long_press_s = long_press_s
        self._pair_press_s = pair_press_s
        # What the current press has become so far: "short", "long" (tare) or "pair".
        self._press_stage = "short"
        self._on_short: ButtonCallback = _nothing
        self._on_long: ButtonCallback = _nothing
        self._on_pair: PairCallback | None = None
        self._pair_still_open: Callable[[], bool] | None = None
        self._pair_timer: threading.Timer | None = None
        self._pair_watcher: threading.Thread | None = None
        self._closing = threading.Event()
        self.disabled_reason: str | None = None
        """Why no pin is driven (``None`` while the devices are live)."""

        self._shown: LedState | None = None
        self._wanted = LedState.OFF
        self._frame_state = LedState.OFF
        self._faulty: tuple[str, ...] = ()
        self._simulated = False
        # A one-shot pattern (hold complete, set done) is shown until its timer ends it;
        # meanwhile frames only update ``_frame_state``.
        self._overlay_timer: threading.Timer | None = None
        if not enabled:
            self.disabled_reason = "feedback disabled"
            return
        try:
            self._open_devices(pin_factory, led, buzzer, led_active_high)
        except BaseException:
            self.close()
            raise
        self._apply(self._wanted)

    @classmethod
    def disabled(cls, reason: str) -> Feedback:
        """An instance that tracks states but drives no pin, for machines without GPIO."""
        feedback = cls(enabled=False)
        feedback.disabled_reason = reason
        return feedback

    def _open_devices(
        self, pin_factory: Any, led: LedKind, buzzer: BuzzerKind, led_active_high: bool
    ) -> None:
        factory = pin_factory if pin_factory is not None else resolve_pin_factory().factory
        try:
            if led == "rgb":
                try:
                    self._lamp = _RgbLamp(self.pins, factory, led_active_high)
                except PinPWMUnsupported:
                    log.warning(
                        "feedback: pin factory %s has no PWM; the RGB LED is driven as a "
                        "single LED on GPIO%d",
                        type(factory).__name__,
                        self.pins.led_green,
                    )
                    self._lamp = _SingleLamp(self.pins, factory, led_active_high)
            elif led == "single":
                self._lamp = _SingleLamp(self.pins, factory, led_active_high)
            if buzzer != "none":
                self._player = self._open_buzzer(buzzer, factory)
            self._button = Button(
                self.pins.button,
                pull_up=True,
                bounce_time=BUTTON_BOUNCE_S,
                hold_time=self._long_press_s,
                pin_factory=factory,
            )
        except Exception as err:
            # Broad on purpose, at the hardware boundary: besides gpiozero's errors and
            # OSError, lgpio raises its own ``lgpio.error``, which derives from Exception
            # only. Every one of them means "no feedback", said in one GpioError.
            hint = (
                " Is another program (a second insole-monitor?) using them?"
                if isinstance(err, GPIOPinInUse)
                else ""
            )
            raise GpioError(
                f"cannot use the feedback pins (LED GPIO{self.pins.led_red}/"
                f"{self.pins.led_green}/{self.pins.led_blue}, buzzer GPIO{self.pins.buzzer}, "
                f"button GPIO{self.pins.button}) with {type(factory).__name__}: {err}.{hint}"
            ) from err

    def _open_buzzer(self, buzzer: BuzzerKind, factory: Any) -> _TunePlayer | None:
        if buzzer == "active":
            return _TunePlayer(_ActiveSounder(self.pins.buzzer, factory))
        try:
            return _TunePlayer(_TonalSounder(self.pins.buzzer, factory))
        except PinPWMUnsupported:
            # Switching a passive piezo on and off only clicks: better silent and said so.
            log.warning(
                "feedback: pin factory %s has no PWM; the tonal buzzer on GPIO%d is silent "
                "(use an active buzzer with buzzer='active')",
                type(factory).__name__,
                self.pins.buzzer,
            )
            return None

    # -- state -------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """True when the pins are live (not disabled, not closed)."""
        return self.disabled_reason is None and not self._closed

    @property
    def led_state(self) -> LedState:
        """The state the LED shows (or would show, when disabled)."""
        return self._wanted if self._shown is None else self._shown

    @property
    def faulty(self) -> tuple[str, ...]:
        """Sensors currently reported faulty by the last ``status`` event."""
        return self._faulty

    # -- events ------------------------------------------------------------------------

    def handle(self, kind: str, data: Mapping[str, Any]) -> None:
        """Show one Monitor event; cheap, never blocks, never raises on odd data."""
        if kind == "frame":
            self._frame_state = frame_led_state(data, simulated=self._simulated)
            self._update()
        elif kind == "status":
            self._on_status(data)
        elif kind == "hold_started":
            self._tune("hold_started")
        elif kind == "hold_ended":
            if data.get("outcome") == "correct":
                self._tune("hold_complete")
                self._one_shot(LedState.HOLD_COMPLETE)
            else:
                self._tune("hold_short")
        elif kind == "set_done":
            self._tune("set_done")
            self._one_shot(LedState.SET_DONE)
        elif kind in ("set_started", "set_stopped"):
            self._tune(kind)

    def _on_status(self, data: Mapping[str, Any]) -> None:
        source = data.get("source")
        if isinstance(source, Mapping) and "simulated" in source:
            self._simulated = bool(source["simulated"])
            if self._frame_state in (LedState.OFF, LedState.SIMULATED):
                self._frame_state = LedState.SIMULATED if self._simulated else LedState.OFF
        if "health" in data:
            faulty = faulty_sensors(data)
            if faulty and not self._faulty:
                log.warning("feedback: sensor fault on %s", ", ".join(faulty))
                self._tune("fault")
            self._faulty = faulty
        self._update()

    def _one_shot(self, state: LedState, duration_s: float | None = None) -> None:
        """Show ``state`` for its pattern's length (or ``duration_s``), then the frames again."""
        if duration_s is None:
            duration_s = PATTERNS[state].duration_s
        assert duration_s is not None, f"{state} is not a one-shot pattern"
        with self._lock:
            if self._faulty or self._closed:
                return  # a fault stays visible; celebrations wait
            self._cancel_overlay()
            # A timer rather than the next frame ends the pattern: the Monitor sends frame
            # events only when the shown state would change, so none may come.
            timer = threading.Timer(duration_s, self._end_overlay)
            timer.name = "feedback-one-shot"
            timer.daemon = True
            self._overlay_timer = timer
            self._apply(state)
            timer.start()

    def _end_overlay(self) -> None:
        with self._lock:
            if self._overlay_timer is not threading.current_thread():
                return  # superseded by a newer one-shot, a fault, or close()
            self._overlay_timer = None
            self._update()

    def _cancel_overlay(self) -> threading.Timer | None:
        """Forget the running one-shot (caller holds the lock); returns its timer."""
        timer = self._overlay_timer
        self._overlay_timer = None
        if timer is not None:
            timer.cancel()
        return timer

    def _update(self) -> None:
        wanted = LedState.FAULT if self._faulty else self._frame_state
        self._wanted = wanted
        if self._overlay_timer is None and wanted is self._shown:
            return  # the per-frame fast path: no lock, no pin
        with self._lock:
            if self._overlay_timer is not None:
                if wanted is not LedState.FAULT:
                    return
                self._cancel_overlay()
            if wanted is not self._shown:
                self._apply(wanted)

    def _apply(self, state: LedState) -> None:
        with self._lock:
            if self._closed:
                return
            self._shown = state
            if self._lamp is not None:
                self._lamp.show(PATTERNS[state])

    def _tune(self, name: str) -> None:
        player = self._player  # read once: close() may clear it from another thread
        if player is not None and not self._closed:
            player.play(name, TUNES[name])

    def wait_quiet(self, timeout_s: float = 5.0) -> bool:
        """Wait until every queued tune has played; False on timeout (True when no buzzer)."""
        if self._player is None:
            return True
        return self._player.wait_idle(timeout_s)

    # -- button ------------------------------------------------------------------------

    def bind_button(self, on_short: ButtonCallback, on_long: ButtonCallback) -> None:
        """Bind the button: a short press calls ``on_short``, a long one ``on_long``.

        ``on_short`` runs when the button is released before the long-press time;
        ``on_long`` runs once it has been held that long (a chirp confirms it; releasing
        it then does nothing more) -- or, once :meth:`bind_pairing` was called, at the
        release, so that holding on to pair does not tare. Callbacks run in gpiozero's
        threads: keep them quick.
        """
        if self._button is None:
            log.info("feedback: no button available (%s)", self.disabled_reason or "closed")
            return
        self._on_short, self._on_long = on_short, on_long
        self._button.when_pressed = self._pressed
        self._button.when_held = self._held
        self._button.when_released = self._released

    def bind_pairing(
        self, on_pair: PairCallback, still_open: Callable[[], bool] | None = None
    ) -> None:
        """Holding the button for ``pair_press_s`` calls ``on_pair`` (open pairing).

        ``on_pair`` returns how long the pairing window stays open, in seconds; a rising
        call sounds and the LED blinks blue for that long -- or, with ``still_open``, until
        it answers False (a tablet was paired): whoever watches the LED sees at once when
        the window has been used, by their tablet or by someone else's. Firmware does not
        know the dashboard: the service passes callables bound to its app. Call
        :meth:`bind_button` as well (it connects the button's events).
        """
        self._on_pair = on_pair
        self._pair_still_open = still_open

    def _pressed(self) -> None:
        with self._lock:
            self._press_stage = "short"
            self._cancel_pair_timer()
            if self._on_pair is None or self._closed:
                return
            timer = threading.Timer(self._pair_press_s, self._pair_reached)
            timer.name = "feedback-pair-press"
            timer.daemon = True
            self._pair_timer = timer
            timer.start()

    def _held(self) -> None:
        with self._lock:
            if self._press_stage != "short":
                return
            self._press_stage = "long"
        self._tune("tare")
        if self._on_pair is None:
            self._call(self._on_long, "long press")

    def _pair_reached(self) -> None:
        with self._lock:
            if self._pair_timer is not threading.current_thread():
                return  # released (or closed) just before the timer fired
            self._pair_timer = None
            self._press_stage = "pair"
            on_pair = self._on_pair
        if on_pair is None:
            return
        window_s = self._call(on_pair, "pairing")
        if isinstance(window_s, int | float) and window_s > 0:
            log.info("feedback: pairing window open for %.0f s", window_s)
            self._tune("pairing")
            self._one_shot(LedState.PAIRING, float(window_s))
            self._watch_pairing()

    def _watch_pairing(self) -> None:
        """In the pair-press timer's own thread: end the blue blinking once a tablet paired."""
        still_open = self._pair_still_open
        if still_open is None:
            return
        with self._lock:
            if self._closed:
                return
            self._pair_watcher = threading.current_thread()
        while not self._closing.wait(PAIR_POLL_S):
            with self._lock:
                if self._shown is not LedState.PAIRING or self._overlay_timer is None:
                    return  # the window ran out, or a fault or a newer pairing took over
            if self._call(still_open, "pairing check") is not False:
                continue  # open, or the check failed (logged): keep the window's timer
            with self._lock:
                if self._shown is LedState.PAIRING:
                    self._cancel_overlay()
                    self._update()
            log.info("feedback: pairing window used")
            return

    def _released(self) -> None:
        with self._lock:
            self._cancel_pair_timer()
            stage = self._press_stage
            self._press_stage = "short"
        if stage == "short":
            self._call(self._on_short, "short press")
        elif stage == "long" and self._on_pair is not None:
            self._call(self._on_long, "long press")

    def _cancel_pair_timer(self) -> None:
        timer, self._pair_timer = self._pair_timer, None
        if timer is not None:
            timer.cancel()

    @staticmethod
    def _call(callback: Callable[[], object], what: str) -> object:
        try:
            return callback()
        except Exception:
            # Raising here would kill gpiozero's event thread and the button with it.
            log.exception("feedback: the %s handler failed", what)
            return None

    # -- life cycle --------------------------------------------------------------------

    def close(self) -> None:
        """Stop tunes and blinks and release every pin (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            timer = self._cancel_overlay()
            self._cancel_pair_timer()
            self._closing.set()
            watcher = self._pair_watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout=5.0)
        if timer is not None:
            timer.join(timeout=5.0)  # outside the lock: a firing timer waits for it
        if self._button is not None:
            self._button.close()
            self._button = None
        if self._player is not None:
            self._player.close()
            self._player = None
        if self._lamp is not None:
            self._lamp.close()
            self._lamp = None



def open_feedback(pins: PinConfig | None = None, **options: Any) -> Feedback:
    """A live :class:`Feedback`, or a disabled one when GPIO is not usable here.

    The disabled case is announced in a warning log line (with the reason and the fix) and
    kept in ``disabled_reason``; it is never silent. ``options`` go to :class:`Feedback`.
    """
    try:
        return Feedback(pins, **options)
    except GpioError as err:
        log.warning("feedback: LED, buzzer and button disabled: %s", err)
        return Feedback.disabled(str(err))
