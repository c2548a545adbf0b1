"""Shared fixtures: fail any test that leaves a thread running; a session log and a monitor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from hypothesis import settings as hypothesis_settings

from firmware.broadcast import Broadcaster
from firmware.monitor import Monitor
from insole.store import SessionLog
from tests.monitor_support import SIM

# The suite runs on shared, noisy machines: no per-example time limit for property tests
# (speed is measured by the benchmarks, not asserted in tests).
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that starts a thread and does not stop it (resources must be closed)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        leaked = [
            t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionLog]:
    """A real SQLite session log in the test's own folder."""
    with SessionLog(tmp_path / "sessions.sqlite3") as log:
        yield log


@pytest.fixture
def monitor(store: SessionLog) -> Iterator[Monitor]:
    """A real one-insole monitor over ``store``, fed frames by the test itself."""
    with Monitor(store, SIM) as mon:
        yield mon


@pytest.fixture
def hub() -> Iterator[Broadcaster]:
    """The live fan-out alone (frames pass through as they are), closed after the test."""
    hub = Broadcaster(frame_json=dict)
    yield hub
    hub.close_all()


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """gpiozero's mock pins (PWM-capable, for the LED), released after the test."""
    mock = MockFactory(pin_class=MockPWMPin)
    yield mock
    mock.reset()
    mock.close()
