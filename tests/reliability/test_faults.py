"""Faults on the emulated ADS1115, through the real driver, sampler, Monitor, log and LED.

Each test runs a whole device (``tests.reliability.rig.Device``) on a fake clock, so a
minute of sampling takes a second or two, and injects a fault at an exact sampler time.
"Within 1 s" is measured in sampler time: the moment the banner (``Monitor.status()``,
what the dashboard shows) and the fault pattern on the LED appeared, as recorded on the
sampler thread right after the monitor handled the event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.clock import SYSTEM_CLOCK
from firmware.feedback import LedState
from tests.reliability.rig import (
    HOLD,
    REST,
    SITTING_TOE_UNLOADED,
    Device,
    fault_led,
    piecewise,
)

SET_SCRIPT = [(3.0, REST), (10.0, HOLD)]
"""Rest 3 s, hold 10 s (a correct hold with the default 8 s target), repeating every 13 s."""
FAULT_DEADLINE_S = 1.0


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    dev = Device(tmp_path, piecewise(SET_SCRIPT))
    yield dev
    dev.close()


def banner(key: str):  # type: ignore[no-untyped-def]
    return lambda keys, _led: key in keys


def no_banner(key: str):  # type: ignore[no-untyped-def]
    return lambda keys, led: key not in keys and led is not LedState.FAULT


def within_deadline(shown_s: float | None, fault_s: float) -> bool:
    """Whether something was shown at most FAULT_DEADLINE_S after the fault at fault_s."""
    return shown_s is not None and fault_s <= shown_s <= fault_s + FAULT_DEADLINE_S


def assert_no_hold_spans_a_gap(device: Device, session_id: int) -> None:
    """Hold times are relative to the set's first frame; gap times are sampler times."""
    origin = device.probe.first_frame_s
    assert origin is not None
    holds = device.log.holds(session_id)
    for start_s, end_s, _ in device.probe.gaps:
        g0, g1 = start_s - origin, end_s - origin
        for hold in holds:
            assert not (hold.start_s < g1 - 0.005 and hold.end_s > g0 + 0.005), (
                f"hold {hold.start_s:.3f}-{hold.end_s:.3f} s overlaps the gap {g0:.3f}-{g1:.3f} s"
            )


def test_transient_bus_errors_on_one_percent_of_transfers(tmp_path: Path) -> None:
    """errno 121/5/110 on 1 % of transfers for 2 minutes: retried, gaps marked, no fault.

    The full-length run (an hour) is ``python -m tools.soak faults``.
    """
    run_s = 120.0
    device = Device(tmp_path, piecewise(SET_SCRIPT), error_rate=0.01, seed=7)
    try:
        session_id = device.monitor.start_set()
        device.run_until(run_s, real_timeout_s=200.0)
        device.sampler.close()
        device.monitor.stop_set()
        stats = device.sampler.stats()
        probe = device.probe
        assert device.bus.failed_transfers > 0.005 * device.bus.transfers
        assert stats.retries > 100
        # At most a few scans lost in 30 000; each lost scan is a marked gap.
        assert probe.frames >= 0.99 * run_s * 100
        assert len(probe.gaps) == stats.gaps
        assert all(reason for _, _, reason in probe.gaps)
        assert_no_hold_spans_a_gap(device, session_id)
        holds = device.log.holds(session_id)
        # 9 holds of 10 s were made; a gap may split one, none may be counted across it.
        made = int(run_s // 13)
        assert made - len(probe.gaps) <= sum(h.outcome == "correct" for h in holds) <= made
        # Transient errors are not sensor faults: no sensor banner, no fault LED.
        assert not any(k.startswith("sensor_fault") for _, keys, _ in probe.shown for k in keys)
        assert all(led is not LedState.FAULT for _, _, led in probe.shown)
        assert min(probe.rate_hz_seen[2:]) >= 98.0
    finally:
        device.close()


@pytest.mark.parametrize(
    ("sensor", "fault"),
    [
        ("little_toe", "cut"),
        ("heel", "cut"),
        ("big_toe", "zero"),
        ("little_toe", "full_scale"),
    ],
)
def test_sensor_fault_shown_within_a_second_and_cleared_on_recovery(
    device: Device, sensor: str, fault: str
) -> None:
    """Wire cut (floats to 0 V) or a reading stuck at 0 V / full scale during a hold."""
    channel = device.channel(sensor)
    if fault == "cut":
        device.at(6.0, lambda: device.chip.disconnect_sensor(channel))
    else:
        device.at(6.0, lambda: device.chip.stick_channel(channel, fault))  # type: ignore[arg-type]
    device.at(20.0, lambda: device.chip.reconnect_sensor(channel))
    device.run_until(25.0)
    key = f"sensor_fault.{sensor}"
    shown_s = device.probe.first_shown(6.0, banner(key))
    led_s = device.probe.first_shown(6.0, fault_led)
    cleared_s = device.probe.first_shown(20.0, no_banner(key))
    assert within_deadline(shown_s, 6.0), device.probe.shown
    assert within_deadline(led_s, 6.0), device.probe.shown
    assert within_deadline(cleared_s, 20.0), device.probe.shown
    status = device.monitor.status()
    assert status["health"]["ok"]
    assert device.feedback.led_state is not LedState.FAULT
    assert device.sampler.running


def test_resting_with_the_little_toe_unloaded_is_not_a_fault(tmp_path: Path) -> None:
    device = Device(tmp_path, piecewise([(3.0, REST), (20.0, SITTING_TOE_UNLOADED)]))
    try:
        device.run_until(22.0)
        keys = device.probe.banner_keys_between(0.0, 22.0)
        assert "sensor_fault.little_toe" not in keys
        assert all(led is not LedState.FAULT for _, _, led in device.probe.shown)
    finally:
        device.close()


def test_unplugging_a_loaded_sensor_while_sitting_is_still_reported(tmp_path: Path) -> None:
    """The counterpart of the test above: an abrupt drop from a loaded level is a fault."""
    device = Device(tmp_path, piecewise([(3.0, REST), (30.0, HOLD)]))
    try:
        channel = device.channel("little_toe")
        device.at(8.0, lambda: device.chip.disconnect_sensor(channel))
        device.run_until(12.0)
        shown_s = device.probe.first_shown(8.0, banner("sensor_fault.little_toe"))
        assert shown_s is not None
        assert shown_s - 8.0 <= FAULT_DEADLINE_S
    finally:
        device.close()


def test_adc_vanishing_mid_hold_marks_a_gap_ends_the_hold_and_recovers(device: Device) -> None:
    """The chip stops answering 5 s into a hold for 2 s, then returns with power-on values."""
    session_id = device.monitor.start_set()
    device.at(8.0, device.chip.vanish)
    device.at(10.0, device.chip.reappear)
    device.run_until(40.0)
    device.sampler.close()
    device.monitor.stop_set()
    probe = device.probe
    long_gaps = [(a, b) for a, b, _ in probe.gaps if b - a > 1.0]
    assert len(long_gaps) == 1
    gap_start, gap_end = long_gaps[0]
    origin = probe.first_frame_s
    assert origin is not None
    assert gap_start - origin == pytest.approx(8.0, abs=0.05)
    # Back within the reconnect back-off (2 s at most) after the chip returned.
    assert 10.0 <= gap_end - origin <= 12.5
    assert device.sampler.stats().reconnects >= 1
    assert_no_hold_spans_a_gap(device, session_id)
    holds = device.log.holds(session_id)
    # The hold cut by the gap is not counted as correct; the next full holds are.
    cut = [h for h in holds if h.start_s < 8.0 < h.end_s + 0.5]
    assert cut
    assert all(h.outcome == "short" for h in cut)
    assert sum(h.outcome == "correct" for h in holds if h.start_s > 12.0) >= 2
    assert device.monitor.status()["health"]["ok"]


def test_adc_loss_is_shown_on_the_dashboard_and_led_and_cleared(tmp_path: Path) -> None:
    """Real time (the monitor times the loss on the wall): chip gone from 1 s to 3 s.

    The delay itself (about 0.3 s) is measured by ``python -m tools.soak faults``.
    """
    device = Device(tmp_path, piecewise(SET_SCRIPT), clock=SYSTEM_CLOCK)
    try:
        device.at(1.0, device.chip.vanish)
        device.at(3.0, device.chip.reappear)
        seen: list[tuple[float, bool, LedState]] = []
        device.run_until(0.1)
        while (now := device.clock.monotonic() - device.origin_s) < 6.0:
            keys = {b["key"] for b in device.monitor.status()["banners"]}
            seen.append((now, "adc_fault" in keys, device.feedback.led_state))
            time.sleep(0.01)
        lost = [t for t, shown, led in seen if shown and led is LedState.FAULT]
        assert lost, "the ADC loss never reached the banners and the LED"
        # Shown while the chip was gone, never before it went, gone once readings are back.
        assert 1.0 < lost[0] < 3.0
        assert lost[-1] < 6.0
        assert not seen[-1][1]
        assert seen[-1][2] is not LedState.FAULT
        status = device.monitor.status()
        assert status["health"]["ok"]
        assert status["frame_rate_hz"] > 0
    finally:
        device.close()
