"""Feedback (LED, buzzer, button) on gpiozero's MockFactory, driven like real pins."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin
from gpiozero.tones import Tone

from firmware.config import PinConfig
from firmware.errors import GpioError
from firmware.feedback import (
    PATTERNS,
    TUNES,
    Feedback,
    LedState,
    faulty_sensors,
    frame_led_state,
    open_feedback,
)
from firmware.gpio import release_default_pin_factory, resolve_pin_factory
from firmware.monitor import Monitor, SourceInfo
from insole.store import SessionLog
from tests.monitor_support import feed
from tests.scripted import BIG_TOE_UP, HOLD, REST

PINS = PinConfig()
WAIT_S = 5.0  # upper bound for background work to happen; never a measured figure


def frame(
    *, balanced: bool = False, hold: str = "idle", total_n: float = 0.0, off: str | None = None
) -> dict[str, Any]:
    return {
        "t_s": 1.0,
        "total_n": total_n,
        "balanced": balanced,
        "off_point": off,
        "hold": {"state": hold, "elapsed_s": 0.0, "target_s": 8.0},
    }


UNLOADED = frame()
OFF_BALANCE = frame(total_n=50.0, off="big_toe")
BALANCED = frame(balanced=True, hold="entering", total_n=60.0)
HOLDING = frame(balanced=True, hold="holding", total_n=60.0)
GRACE = frame(hold="grace", total_n=60.0, off="heel")


def health(**states: str) -> dict[str, Any]:
    full = {"heel": "ok", "little_toe": "ok", "big_toe": "ok", **states}
    return {"health": {name: {"state": state} for name, state in full.items()}}


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def on_periods(pin: Any, on_value: float) -> list[float]:
    """Lengths of the finished periods the pin spent at ``on_value`` (from its history)."""
    states = pin.states
    return [states[i + 1].timestamp for i in range(len(states) - 1) if states[i].state == on_value]


@pytest.fixture(autouse=True)
def no_global_factory() -> Iterator[None]:
    """Tests pass factories explicitly; one resolved from the environment is released."""
    yield
    release_default_pin_factory()
    assert Device.pin_factory is None


@pytest.fixture
def fb(factory: MockFactory) -> Iterator[Feedback]:
    with Feedback(PINS, pin_factory=factory, long_press_s=0.1) as feedback:
        yield feedback


def rgb(factory: MockFactory) -> tuple[float, float, float]:
    return tuple(factory.pin(n).state for n in (PINS.led_red, PINS.led_green, PINS.led_blue))


# -- pure rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "simulated", "expected"),
    [
        (UNLOADED, False, LedState.OFF),
        (UNLOADED, True, LedState.SIMULATED),
        (OFF_BALANCE, False, LedState.OFF_BALANCE),
        (frame(total_n=5.0), False, LedState.OFF_BALANCE),
        (BALANCED, False, LedState.BALANCED),
        (HOLDING, True, LedState.HOLDING),
        (GRACE, False, LedState.GRACE),
        ({"balanced": False, "loaded": True, "hold": {"state": "idle"}}, False,
         LedState.OFF_BALANCE),
        ({"balanced": False, "loaded": False, "hold": {"state": "idle"}}, False, LedState.OFF),
        ({}, False, LedState.OFF),
        ({"hold": "garbage", "total_n": "x"}, False, LedState.OFF),
    ],
)
def test_frame_led_state(data: dict[str, Any], simulated: bool, expected: LedState) -> None:
    assert frame_led_state(data, simulated=simulated) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (health(), ()),
        (health(heel="stuck_low"), ("heel",)),
        (health(little_toe="saturated", big_toe="noisy"), ("little_toe", "big_toe")),
        ({"health": {"heel": "ok", "big_toe": "stuck_low"}}, ("big_toe",)),
        ({"source": {"simulated": True}}, ()),
        (  # the sampler's HealthReport.to_dict() as embedded by Monitor.status()
            {"health": {"t_s": 3.0, "ok": False, "sensors": {
                "heel": {"sensor": "heel", "state": "ok", "since_s": 0.0},
                "little_toe": {"sensor": "little_toe", "state": "stuck_zero", "since_s": 2.0},
                "big_toe": {"sensor": "big_toe", "state": "ok", "since_s": 0.0},
            }}},
            ("little_toe",),
        ),
    ],
)
def test_faulty_sensors(status: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert faulty_sensors(status) == expected


def test_tunes_are_playable_and_set_done_rises() -> None:
    mid = Tone("A6").frequency
    for name, tune in TUNES.items():
        for note in tune:
            assert note.duration_s > 0, name
            if note.tone is not None:
                assert mid / 2 <= Tone(note.tone).frequency <= mid * 2, (name, note)
    rising = [Tone(n.tone).frequency for n in TUNES["set_done"] if n.tone is not None]
    assert rising == sorted(rising)
    assert len(set(rising)) == len(rising)
    assert sum(n.tone is not None for n in TUNES["hold_complete"]) == 2


# -- LED ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (OFF_BALANCE, (1.0, 0.0, 0.0)),
        (BALANCED, (0.0, 1.0, 0.0)),
        (GRACE, PATTERNS[LedState.GRACE].color),
        (UNLOADED, (0.0, 0.0, 0.0)),
    ],
)
def test_led_colour_follows_frames(
    fb: Feedback, factory: MockFactory, data: dict[str, Any], expected: tuple[float, ...]
) -> None:
    fb.handle("frame", OFF_BALANCE if data is not OFF_BALANCE else BALANCED)
    fb.handle("frame", data)
    assert rgb(factory) == pytest.approx(expected)
    assert fb.led_state is frame_led_state(data)


def test_pins_are_touched_only_when_the_state_changes(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", BALANCED)
    pins = [factory.pin(n) for n in (PINS.led_red, PINS.led_green, PINS.led_blue)]
    lengths = [len(p.states) for p in pins]
    for _ in range(500):
        fb.handle("frame", BALANCED)
    assert [len(p.states) for p in pins] == lengths
    fb.handle("frame", OFF_BALANCE)
    assert [len(p.states) for p in pins] != lengths


def test_holding_pulses_green(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", HOLDING)
    green = factory.pin(PINS.led_green)
    wait_until(lambda: len({s.state for s in green.states}) >= 5, "the green LED to fade")
    levels = [s.state for s in green.states[1:]]
    base = PATTERNS[LedState.HOLDING].base[1]
    assert all(base - 1e-9 <= v <= 1.0 + 1e-9 for v in levels)
    assert factory.pin(PINS.led_red).state == 0.0
    assert fb.led_state is LedState.HOLDING


def test_hold_complete_blinks_three_times_then_resumes(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", OFF_BALANCE)  # red: the green channel starts from 0
    green = factory.pin(PINS.led_green)
    green.clear_states()
    fb.handle("hold_ended", {"outcome": "correct", "correct": 1, "attempted": 1})
    # A frame inside the one-shot does not cut the blinks short.
    fb.handle("frame", OFF_BALANCE)
    assert fb.led_state is LedState.HOLD_COMPLETE
    pattern = PATTERNS[LedState.HOLD_COMPLETE]
    assert pattern.blink_s is not None
    on_s, off_s = pattern.blink_s
    wait_until(lambda: len(on_periods(green, 1.0)) == 3 and green.state == 0.0, "three blinks")
    assert [s.state for s in green.states] == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    # Durations from the pin's own history: never shorter than asked, and not wildly longer.
    assert all(on_s - 0.005 <= p < on_s + 0.5 for p in on_periods(green, 1.0))
    gaps = [green.states[i].timestamp for i in (3, 5)]  # time spent off between blinks
    assert all(off_s - 0.005 <= g < off_s + 0.5 for g in gaps)
    assert factory.pin(PINS.led_red).state == 0.0
    # Once the one-shot is over the live state returns by itself: the Monitor sends no
    # frame event while the state stays the same.
    wait_until(lambda: fb.led_state is LedState.OFF_BALANCE, "the live state to return")
    # The state is set a moment before the pins follow it (the LED thread drives them).
    wait_until(lambda: rgb(factory) == (1.0, 0.0, 0.0), "the red LED to light again")


def test_a_fault_cuts_a_one_shot_short(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", BALANCED)
    fb.handle("set_done", {"correct": 5, "attempted": 5})
    assert fb.led_state is LedState.SET_DONE
    fb.handle("status", health(heel="saturated"))
    assert fb.led_state is LedState.FAULT
    red = factory.pin(PINS.led_red)
    wait_until(lambda: len(on_periods(red, 1.0)) >= 2, "the fault blink")
    assert fb.led_state is LedState.FAULT  # the cancelled one-shot did not come back


def test_close_during_a_one_shot_stops_its_timer(factory: MockFactory) -> None:
    fb = Feedback(PINS, pin_factory=factory)
    fb.handle("hold_ended", {"outcome": "correct"})
    assert any(t.name == "feedback-one-shot" for t in threading.enumerate())
    fb.close()
    assert not any(t.name == "feedback-one-shot" for t in threading.enumerate())
    assert fb.led_state is LedState.HOLD_COMPLETE
    assert factory.pin(PINS.led_green).function == "input"


def test_sensor_fault_blinks_red_over_everything(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", BALANCED)
    fb.handle("status", health(little_toe="stuck_low"))
    assert fb.led_state is LedState.FAULT
    assert fb.faulty == ("little_toe",)
    fb.handle("frame", HOLDING)
    fb.handle("hold_ended", {"outcome": "correct"})  # no celebration over a fault
    assert fb.led_state is LedState.FAULT
    red = factory.pin(PINS.led_red)
    wait_until(lambda: len(on_periods(red, 1.0)) >= 2, "the red LED to blink")
    assert factory.pin(PINS.led_green).state == 0.0
    fb.handle("status", health())
    assert fb.led_state is LedState.HOLDING
    assert fb.faulty == ()


def test_simulated_source_shows_dim_blue_when_idle(fb: Feedback, factory: MockFactory) -> None:
    fb.handle("frame", UNLOADED)
    fb.handle("status", {"source": {"kind": "emulated", "simulated": True}})
    assert fb.led_state is LedState.SIMULATED
    red, green, blue = rgb(factory)
    assert (red, green) == (0.0, 0.0)
    assert 0.0 < blue < 0.5


def test_single_led_and_active_buzzer_on_plain_pins() -> None:
    factory = MockFactory(pin_class=MockPin)  # no PWM at all
    try:
        with Feedback(PINS, pin_factory=factory, led="single", buzzer="active") as fb:
            led = factory.pin(PINS.led_green)
            fb.handle("frame", BALANCED)
            assert led.state is True
            fb.handle("frame", OFF_BALANCE)
            assert led.state is False
            fb.handle("hold_started", {"t_s": 1.0})
            assert fb.wait_quiet(WAIT_S)
            factory.pin(PINS.buzzer).assert_states([False, True, False])
            assert factory.pin(PINS.led_red).function == "input"  # never claimed
    finally:
        factory.reset()
        factory.close()


def test_rgb_without_pwm_falls_back_to_single_led(caplog: pytest.LogCaptureFixture) -> None:
    factory = MockFactory(pin_class=MockPin)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="firmware.feedback"),
            Feedback(PINS, pin_factory=factory, led="rgb", buzzer="none") as fb,
        ):
            fb.handle("frame", BALANCED)
            assert factory.pin(PINS.led_green).state is True
        assert "no PWM" in caplog.text
    finally:
        factory.reset()
        factory.close()


# -- buzzer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "tune"),
    [
        ("hold_started", {"t_s": 3.0}, "hold_started"),
        ("hold_ended", {"outcome": "correct"}, "hold_complete"),
        ("hold_ended", {"outcome": "short"}, "hold_short"),
        ("set_done", {"correct": 5, "attempted": 6}, "set_done"),
        ("set_started", {"session_id": 1}, "set_started"),
    ],
)
def test_events_play_their_tune(
    fb: Feedback, factory: MockFactory, kind: str, data: dict[str, Any], tune: str
) -> None:
    buzzer = factory.pin(PINS.buzzer)
    buzzer.clear_states()
    fb.handle(kind, data)
    assert fb.wait_quiet(WAIT_S)
    notes = [n for n in TUNES[tune] if n.tone is not None]
    beeps = on_periods(buzzer, 0.5)  # TonalBuzzer plays at 50 % duty
    assert len(beeps) == len(notes)
    for beep_s, note in zip(beeps, notes, strict=True):
        assert note.duration_s - 0.005 <= beep_s < note.duration_s + 0.5
    assert buzzer.state == 0.0
    assert buzzer.frequency is None  # silent, not a tone at 0 % duty


def test_handle_returns_before_the_tune_ends(fb: Feedback, factory: MockFactory) -> None:
    tune_s = sum(n.duration_s for n in TUNES["set_done"])
    assert tune_s > 0.5
    fb.handle("set_done", {"correct": 5, "attempted": 5})
    # handle() only queued the tune: it is still playing after handle() returned.
    assert not fb.wait_quiet(0.0)
    assert fb.wait_quiet(WAIT_S)
    assert len(on_periods(factory.pin(PINS.buzzer), 0.5)) == 4


def test_fault_tone_sounds_once_per_fault(fb: Feedback, factory: MockFactory) -> None:
    buzzer = factory.pin(PINS.buzzer)
    buzzer.clear_states()
    fb.handle("status", health(heel="saturated"))
    fb.handle("status", health(heel="saturated", big_toe="stuck_low"))
    assert fb.wait_quiet(WAIT_S)
    assert len(on_periods(buzzer, 0.5)) == 1


# -- button -------------------------------------------------------------------------------


class Presses:
    def __init__(self) -> None:
        self.short = 0
        self.long = 0
        self.long_event = threading.Event()

    def on_short(self) -> None:
        self.short += 1

    def on_long(self) -> None:
        self.long += 1
        self.long_event.set()


def test_short_press_starts_and_stops(fb: Feedback, factory: MockFactory) -> None:
    presses = Presses()
    fb.bind_button(presses.on_short, presses.on_long)
    button = factory.pin(PINS.button)
    assert button.state is True  # pulled up: released
    for expected in (1, 2):
        button.drive_low()
        button.drive_high()
        assert presses.short == expected
    assert presses.long == 0


def test_long_press_tares_once_and_release_does_nothing_more(
    fb: Feedback, factory: MockFactory
) -> None:
    presses = Presses()
    fb.bind_button(presses.on_short, presses.on_long)
    button = factory.pin(PINS.button)
    buzzer = factory.pin(PINS.buzzer)
    buzzer.clear_states()
    button.clear_states()
    button.drive_low()
    assert presses.long_event.wait(WAIT_S)
    button.drive_high()
    assert (presses.short, presses.long) == (0, 1)
    assert fb.wait_quiet(WAIT_S)
    assert len(on_periods(buzzer, 0.5)) == 3  # the tare chirp confirms the long press
    # The long-press time is measured from the press: the state history shows the button
    # stayed low for at least that long before the callback ran.
    (low_s,) = on_periods(button, False)
    assert low_s >= 0.1 - 0.005


def test_failing_button_handler_is_logged_and_the_button_keeps_working(
    fb: Feedback, factory: MockFactory, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("monitor is gone")

    fb.bind_button(broken, lambda: None)
    button = factory.pin(PINS.button)
    with caplog.at_level(logging.ERROR, logger="firmware.feedback"):
        button.drive_low()
        button.drive_high()
        button.drive_low()
        button.drive_high()
    assert calls == [1, 1]
    assert "short press handler failed" in caplog.text
    assert "monitor is gone" in caplog.text


# -- life cycle ---------------------------------------------------------------------------


def test_close_is_idempotent_and_releases_every_pin(factory: MockFactory) -> None:
    fb = Feedback(PINS, pin_factory=factory)
    fb.handle("frame", HOLDING)
    fb.handle("set_done", {})
    fb.close()
    fb.close()
    assert not fb.available
    fb.handle("frame", OFF_BALANCE)  # after close: ignored, no error
    for pin in (PINS.led_red, PINS.led_green, PINS.led_blue, PINS.buzzer):
        assert factory.pin(pin).function == "input"
    # The pins are free again for a new instance.
    with Feedback(PINS, pin_factory=factory) as again:
        again.handle("frame", BALANCED)
        assert rgb(factory) == (0.0, 1.0, 0.0)


def test_pins_in_use_give_a_gpio_error(fb: Feedback, factory: MockFactory) -> None:
    with pytest.raises(GpioError, match=r"GPIO17.*another program"):
        Feedback(PINS, pin_factory=factory)
    fb.handle("frame", BALANCED)  # the first instance is unharmed
    assert rgb(factory) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("option", "value"), [("led", "rgbw"), ("buzzer", "horn"), ("long_press_s", 0.0)]
)
def test_bad_options_are_rejected(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        Feedback(PINS, enabled=False, **{option: value})


def test_without_gpio_feedback_is_disabled_loudly(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    with caplog.at_level(logging.WARNING, logger="firmware.feedback"):
        fb = open_feedback(PINS)
    with fb:
        assert not fb.available
        assert fb.disabled_reason is not None
        assert "no-such-factory" in fb.disabled_reason
        assert "python3-lgpio" in fb.disabled_reason
        assert "disabled" in caplog.text
        fb.bind_button(lambda: None, lambda: None)
        fb.handle("frame", HOLDING)
        assert fb.led_state is LedState.HOLDING
        fb.handle("set_done", {})
        assert fb.led_state is LedState.SET_DONE
        assert fb.wait_quiet(0.0)  # no buzzer: nothing queued
    assert Device.pin_factory is None


def test_pin_factory_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    monkeypatch.setenv("GPIOZERO_MOCK_PIN_CLASS", "mockpwmpin")
    info = resolve_pin_factory()
    assert info.is_mock
    assert info.from_env
    with open_feedback(PINS) as fb:
        assert fb.available
        fb.handle("frame", OFF_BALANCE)
        assert info.factory.pin(PINS.led_red).state == 1.0


# -- with the real Monitor ----------------------------------------------------------------


@pytest.fixture
def monitor_with_feedback(tmp_path: Path, fb: Feedback) -> Iterator[Monitor]:
    with (
        SessionLog(tmp_path / "log.sqlite3") as log,
        Monitor(log, SourceInfo("emulated", True, "test insole"), feedback=fb) as monitor,
    ):
        yield monitor


def test_monitor_events_drive_the_led_and_the_buzzer(
    monitor_with_feedback: Monitor, fb: Feedback, factory: MockFactory
) -> None:
    monitor = monitor_with_feedback
    buzzer = factory.pin(PINS.buzzer)
    t_s = feed(monitor, [(1, REST)])
    monitor.start_set()
    assert fb.wait_quiet(WAIT_S)
    buzzer.clear_states()
    t_s = feed(monitor, [(1, REST), (4, HOLD)], t_s)
    assert fb.led_state is LedState.HOLDING
    assert fb.wait_quiet(WAIT_S)
    assert len(on_periods(buzzer, 0.5)) == 1  # hold started
    buzzer.clear_states()
    feed(monitor, [(6, HOLD), (2, REST)], t_s)
    assert fb.led_state in (LedState.HOLD_COMPLETE, LedState.OFF)
    assert fb.wait_quiet(WAIT_S)
    assert len(on_periods(buzzer, 0.5)) == 2  # two beeps: a correct hold
    monitor.stop_set()


def test_monitor_off_balance_shows_red(
    monitor_with_feedback: Monitor, fb: Feedback, factory: MockFactory
) -> None:
    feed(monitor_with_feedback, [(1, REST), (2, BIG_TOE_UP)])
    assert fb.led_state is LedState.OFF_BALANCE
    assert rgb(factory) == (1.0, 0.0, 0.0)
