"""Pairing a tablet by holding the device button, end to end.

gpiozero's MockFactory drives the button pin like a finger would; the wiring is the
service's own (``firmware.service.wire_button``); the tablet is Flask's test client going
through the real pairing and CSRF checks, until it holds a device cookie that opens the
dashboard.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from gpiozero.pins.mock import MockFactory

from dashboard import create_app
from dashboard.access.testing import arm_csrf
from firmware.config import PinConfig
from firmware.feedback import PATTERNS, Feedback, LedState
from firmware.monitor import Monitor, SourceInfo
from firmware.service import wire_button
from insole.frames import VoltsFrame
from insole.store import SessionLog

PINS = PinConfig()
LONG_S = 0.1
PAIR_S = 0.4
WAIT_S = 5.0  # upper bound for background work to happen; never a measured figure


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.fixture
def pair_s() -> float:
    """The pairing hold time (a test may parametrize it)."""
    return PAIR_S


@pytest.fixture
def device(
    factory: MockFactory, tmp_path: Path, pair_s: float
) -> Iterator[tuple[Monitor, Feedback, Flask]]:
    feedback = Feedback(PINS, pin_factory=factory, long_press_s=LONG_S, pair_press_s=pair_s)
    with SessionLog(tmp_path / "sessions.sqlite3") as log, Monitor(
        log, SourceInfo("hardware", False, "test insole"), feedback=feedback
    ) as monitor:
        for k in range(60):  # readings to tare on
            monitor.process(VoltsFrame(k / 100, 0.02, 0.02, 0.02))
        # Not a local development run: every browser must pair.
        app = create_app(
            {"TESTING": True, "INSOLE_DATA_DIR": str(tmp_path), "INSOLE_BIND_HOST": "0.0.0.0"},
            monitor=monitor,
        )
        wire_button(feedback, monitor, app)
        yield monitor, feedback, app


def button_window_open(client: FlaskClient) -> bool:
    state = client.get("/pair", headers={"Accept": "application/json"}).get_json()
    return bool(state["button_open"])


def ask_by_button(client: FlaskClient) -> Any:
    arm_csrf(client)
    return client.post("/pair", json={"method": "button"})


def test_holding_the_button_pairs_the_first_tablet_that_asks(
    device: tuple[Monitor, Feedback, Flask], factory: MockFactory
) -> None:
    monitor, feedback, app = device
    tablet, latecomer = app.test_client(), app.test_client()
    assert tablet.get("/data/", headers={"Accept": "application/json"}).status_code == 401
    assert not button_window_open(tablet)
    blue = factory.pin(PINS.led_blue)
    buzzer = factory.pin(PINS.buzzer)
    button = factory.pin(PINS.button)
    blue.clear_states()
    buzzer.clear_states()

    button.drive_low()
    wait_until(lambda: feedback.led_state is LedState.PAIRING, "the pairing LED")
    button.drive_high()

    # Feedback: the LED blinks blue (on and off again), the rising call has sounded.
    wait_until(lambda: sum(s.state == 1 for s in blue.states) >= 2, "blue blinks")
    assert PATTERNS[LedState.PAIRING].color == (0.0, 0.0, 1.0)
    assert feedback.wait_quiet(WAIT_S)
    tones = [s.state for s in buzzer.states if s.state not in (0, 0.0, None)]
    assert len(tones) >= 6  # the tare chirp at 2 s (three notes), then the pairing call
    # Holding on to pair neither tared nor started a set.
    assert monitor.status()["calibration_id"] is None
    assert monitor.log.list_sessions() == []

    assert button_window_open(tablet)
    paired = ask_by_button(tablet)
    assert paired.status_code == 200, paired.get_data(as_text=True)
    assert paired.get_json()["device"]["method"] == "button"
    assert tablet.get_cookie("insole_token") is not None
    assert tablet.get("/data/").status_code == 200
    # The window is used: the blue blinking stops long before the window would end.
    wait_until(lambda: feedback.led_state is not LedState.PAIRING, "the pairing LED to stop")
    # One press pairs one tablet: the window closed behind the first.
    refused = ask_by_button(latecomer)
    assert refused.status_code == 403
    assert latecomer.get("/data/", headers={"Accept": "application/json"}).status_code == 401


# A pairing time far beyond the test's length: releasing after the chirp can never be late.
@pytest.mark.parametrize("pair_s", [60.0])
def test_releasing_after_the_tare_chirp_tares_and_opens_nothing(
    device: tuple[Monitor, Feedback, Flask], factory: MockFactory
) -> None:
    monitor, _feedback, app = device
    tared = threading.Event()
    subscription = monitor.subscribe()
    button = factory.pin(PINS.button)
    buzzer = factory.pin(PINS.buzzer)
    buzzer.clear_states()
    button.drive_low()
    # Released once the tare chirp sounds, as a user would.
    wait_until(lambda: any(s.state not in (0, 0.0, None) for s in buzzer.states), "the chirp")
    assert monitor.status()["calibration_id"] is None  # with pairing bound, not before release
    button.drive_high()
    deadline = time.monotonic() + WAIT_S
    while not tared.is_set() and time.monotonic() < deadline:
        event = subscription.get(0.1)
        if event is not None and event[0] == "tared":
            tared.set()
    subscription.close()
    assert tared.is_set(), "the release after the tare chirp did not tare"
    assert monitor.status()["calibration_id"] is not None
    assert not button_window_open(app.test_client())


def test_a_short_press_still_starts_and_stops_a_set(
    device: tuple[Monitor, Feedback, Flask], factory: MockFactory
) -> None:
    monitor, _feedback, app = device
    button = factory.pin(PINS.button)
    button.drive_low()
    button.drive_high()
    assert monitor.status()["set"]["running"]
    button.drive_low()
    button.drive_high()
    assert not monitor.status()["set"]["running"]
    assert not button_window_open(app.test_client())


def test_the_pairing_press_must_be_longer_than_the_tare_press(factory: MockFactory) -> None:
    with pytest.raises(ValueError, match="pair_press_s must be longer"):
        Feedback(PINS, pin_factory=factory, long_press_s=2.0, pair_press_s=2.0)
