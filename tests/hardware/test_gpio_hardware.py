"""LED, buzzer and button on the Pi's real pin factory (lgpio on Bookworm)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from firmware.config import PinConfig
from firmware.feedback import Feedback, LedState
from firmware.gpio import PinFactoryInfo, release_default_pin_factory, resolve_pin_factory

pytestmark = pytest.mark.hardware

PINS = PinConfig()


@pytest.fixture
def factory() -> Iterator[PinFactoryInfo]:
    info = resolve_pin_factory()
    if info.is_mock:
        pytest.skip("GPIOZERO_PIN_FACTORY=mock: unset it to test the real pins")
    yield info
    release_default_pin_factory()


@pytest.fixture
def feedback(factory: PinFactoryInfo) -> Iterator[Feedback]:
    with Feedback(PINS, pin_factory=factory.factory) as fb:
        yield fb


def test_real_pin_factory_is_lgpio_or_rpigpio(factory: PinFactoryInfo) -> None:
    assert factory.name in ("LGPIOFactory", "RPiGPIOFactory"), factory


def test_led_pins_follow_the_states(feedback: Feedback, factory: PinFactoryInfo) -> None:
    frame_off_balance = {"balanced": False, "off_point": "heel", "total_n": 40.0,
                         "hold": {"state": "idle"}}
    frame_balanced = {"balanced": True, "off_point": None, "total_n": 40.0,
                      "hold": {"state": "entering"}}
    feedback.handle("frame", frame_off_balance)
    assert feedback.led_state is LedState.OFF_BALANCE
    red = factory.factory.pin(PINS.led_red)
    green = factory.factory.pin(PINS.led_green)
    assert red.state == pytest.approx(1.0)
    feedback.handle("frame", frame_balanced)
    assert green.state == pytest.approx(1.0)
    assert red.state == pytest.approx(0.0)


def test_every_tune_plays_to_the_end(feedback: Feedback) -> None:
    for kind, data in [("hold_started", {}), ("hold_ended", {"outcome": "correct"}),
                       ("set_done", {})]:
        feedback.handle(kind, data)
        assert feedback.wait_quiet(10.0), kind


def test_person_sees_and_hears_each_state(
    feedback: Feedback, interactive: Callable[[str], None]
) -> None:
    interactive("Watch the LED and listen: off balance (red), balanced (green), "
                "sensor fault (blinking red), then the set-done tune.")
    feedback.handle("frame", {"off_point": "heel", "total_n": 30.0, "hold": {"state": "idle"}})
    threading.Event().wait(1.5)
    feedback.handle("frame", {"balanced": True, "total_n": 30.0, "hold": {"state": "holding"}})
    threading.Event().wait(1.5)
    feedback.handle("status", {"health": {"heel": {"state": "stuck_low"}}})
    threading.Event().wait(1.5)
    feedback.handle("status", {"health": {"heel": {"state": "ok"}}})
    feedback.handle("set_done", {})
    assert feedback.wait_quiet(10.0)


def test_button_short_and_long_press(
    feedback: Feedback, interactive: Callable[[str], None]
) -> None:
    short, long = threading.Event(), threading.Event()
    feedback.bind_button(short.set, long.set)
    interactive("Press the button briefly (within 20 s).")
    assert short.wait(20.0), "no short press seen: check the button between GPIO23 and GND"
    assert not long.is_set()
    interactive("Now hold the button down for 3 s (tare).")
    assert long.wait(20.0), "no long press seen"


def test_button_idles_released(feedback: Feedback, factory: PinFactoryInfo) -> None:
    # Pulled up and wired to GND: reads high while nobody presses it. A low reading means
    # the button is stuck or wired to 3.3 V instead of GND.
    button: Any = factory.factory.pin(PINS.button)
    assert button.state in (1, True)
