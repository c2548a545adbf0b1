"""Clock jumps: the Pi has no real-time clock and sets the time from the network later.

The monitor is fed frames on the monotonic sampler clock while its wall clock (injected,
``Monitor(wall_clock=...)``) jumps: hold durations must come from the frames, and the
session's stored dates must stay sane (an end after the start, a duration that matches
the frames).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware.monitor import Monitor, SourceInfo
from insole.store import SessionLog
from tests.monitor_support import feed
from tests.scripted import HOLD, REST

BOOT = datetime(1970, 1, 1, 0, 1, tzinfo=UTC)  # what a Pi without RTC starts with
NETWORK = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


class JumpingClock:
    """Wall time that starts at BOOT and jumps to NETWORK when told (NTP sync)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("jump", [NETWORK - BOOT, -timedelta(hours=3)])
def test_hold_durations_ignore_a_wall_clock_jump(tmp_path: Path, jump: timedelta) -> None:
    clock = JumpingClock(BOOT if jump > timedelta(0) else NETWORK)
    with (
        SessionLog(tmp_path / "log.sqlite3") as log,
        Monitor(log, SourceInfo("emulated", True, "t"), wall_clock=clock) as monitor,
    ):
        t = feed(monitor, [(1, REST)], 5000.0)
        sid = monitor.start_set()
        t = feed(monitor, [(1, REST), (5, HOLD)], t)
        clock.now += jump  # mid-hold
        t = feed(monitor, [(5, HOLD), (2, REST)], t)
        monitor.stop_set()
        holds = log.holds(sid)
        assert len(holds) == 1
        assert holds[0].duration_s == pytest.approx(10.0, abs=0.5)
        assert holds[0].outcome == "correct"


def test_session_dates_stay_sane_across_a_network_time_sync(tmp_path: Path) -> None:
    clock = JumpingClock(BOOT)
    with (
        SessionLog(tmp_path / "log.sqlite3") as log,
        Monitor(log, SourceInfo("emulated", True, "t"), wall_clock=clock) as monitor,
    ):
        t = feed(monitor, [(1, REST)], 5000.0)
        sid = monitor.start_set()
        t = feed(monitor, [(3, HOLD)], t)
        clock.now = NETWORK
        feed(monitor, [(3, REST)], t)
        monitor.stop_set()
        session = log.get_session(sid)
        assert session.ended_at is not None
        assert session.ended_at >= session.started_at
        assert session.duration_s == pytest.approx(6.0, abs=1.0)
