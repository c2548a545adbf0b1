"""Two insoles: two emulated ADS1115 on one bus, the real driver at 0x48 and 0x49, one
sampler thread reading six channels, and a fault on one chip that stays that foot's."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from firmware.adc import AdcConfigError
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import FakeClock
from firmware.config import AdcConfig, DeviceConfig
from firmware.errors import AdcNotFoundError
from firmware.feet_adc import FeetAdc, FeetFrame, FootAdcError, emulated_feet_bus, open_feet_adc
from firmware.foot_source import FootVolts, steady_stance
from firmware.health import HealthMonitor, HealthReport
from firmware.sampler import Listener, Sampler
from insole.frames import VoltsFrame
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from tests.sampler_support import T0, run_on_fake_clock

LEFT_N = (120.0, 40.0, 60.0)
RIGHT_N = (60.0, 20.0, 30.0)
BOTH = DeviceConfig(feet="both")


class FeetRecorder(Listener):
    def __init__(self) -> None:
        self.scans: list[FeetFrame] = []
        self.gaps: list[tuple[str, float, float, str]] = []
        self.health: list[tuple[str, HealthReport]] = []
        self.errors: list[BaseException] = []
        self.single: list[VoltsFrame] = []

    def on_frame(self, frame: VoltsFrame) -> None:
        self.single.append(frame)

    def on_feet(self, frame: FeetFrame) -> None:
        self.scans.append(frame)

    def on_foot_gap(self, foot: str, start_s: float, end_s: float, reason: str) -> None:
        self.gaps.append((foot, start_s, end_s, reason))

    def on_foot_health(self, foot: str, report: HealthReport) -> None:
        self.health.append((foot, report))

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)


class FeetRig:
    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        sources = {
            "left": FootVolts(steady_stance(*LEFT_N, sway=0.0), BOTH.adc_for("left")),
            "right": FootVolts(steady_stance(*RIGHT_N, sway=0.0), BOTH.adc_for("right")),
        }
        self.bus = emulated_feet_bus(BOTH, sources, clock=self.clock, bus_hz=400_000)
        self.adc: FeetAdc = open_feet_adc(BOTH, "emulated", emulator=self.bus)

    def run(self, sampler: Sampler, until_s: float) -> None:
        run_on_fake_clock(sampler, self.clock, until_s)


@pytest.fixture
def rig() -> Iterator[FeetRig]:
    rig = FeetRig()
    yield rig
    rig.adc.close()


def _volts(forces_n: tuple[float, float, float]) -> tuple[float, ...]:
    return tuple(force_to_volts(f, FsrCurve(), Divider()) for f in forces_n)


def test_real_driver_reads_each_foot_from_its_own_address(rig: FeetRig) -> None:
    assert rig.bus.scan() == [0x48, 0x49]
    assert rig.adc.left.config.address == 0x48
    assert rig.adc.right.config.address == 0x49
    _, left = rig.adc.left.read_scan()
    _, right = rig.adc.right.read_scan()
    assert left == pytest.approx(_volts(LEFT_N), abs=0.002)
    assert right == pytest.approx(_volts(RIGHT_N), abs=0.002)
    assert "0x48" in rig.adc.description
    assert "0x49" in rig.adc.description


def test_one_scan_is_six_channels_with_one_time(rig: FeetRig) -> None:
    recorder = FeetRecorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 3.0)
    scans = recorder.scans
    # The fake clock runs on while the test thread stops the sampler: count 3 s of it.
    assert 295 <= sum(s.t_s <= T0 + 3.0 for s in scans) <= 305
    assert recorder.single == []
    assert all(s.left is not None and s.right is not None for s in scans)
    assert all(s.left.t_s == s.right.t_s == s.t_s for s in scans if s.left and s.right)
    assert all(b.t_s > a.t_s for a, b in itertools.pairwise(scans))
    last = scans[-1]
    assert last.left is not None
    assert last.right is not None
    assert last.left.volts == pytest.approx(_volts(LEFT_N), abs=0.002)
    assert last.right.volts == pytest.approx(_volts(RIGHT_N), abs=0.002)
    assert recorder.gaps == []
    assert sampler.frames == len(scans)
    assert sampler.feet


def test_two_chips_convert_at_the_same_time(rig: FeetRig) -> None:
    with pytest.raises(ValueError, match="860 SPS / 3 channels"):
        Sampler(rig.adc, rate_hz=300.0)
    recorder = FeetRecorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=None), 2.0)
    rate = len(recorder.scans) / 2.0
    # One chip after the other could not pass 860 / 6 = 143 pairs per second.
    assert 860 / 6 < rate < 860 / 3
    assert all(s.left is not None and s.right is not None for s in recorder.scans)


def test_a_vanished_right_chip_is_the_right_foots_gap_only(rig: FeetRig) -> None:
    chip = rig.bus.chip(0x49)
    rig.bus.schedule(T0 + 2.0, chip.vanish)
    rig.bus.schedule(T0 + 4.0, chip.reappear)
    recorder = FeetRecorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 7.0)
    lefts = [s.left for s in recorder.scans if s.left is not None]
    # The left insole went on at the full rate: no gap, no missing frame.
    assert len(lefts) == len(recorder.scans) >= 695
    assert max(b.t_s - a.t_s for a, b in itertools.pairwise(lefts)) < 0.02
    assert [g[0] for g in recorder.gaps] == ["right"]
    _, start_s, end_s, reason = recorder.gaps[0]
    assert 1.9 < start_s - T0 <= 2.0
    assert 4.0 <= end_s - T0 < 5.3  # the back-off doubles up to 1.28 s after 2 s down
    assert "Errno 121" in reason
    missing = [s.t_s - T0 for s in recorder.scans if s.right is None]
    assert missing
    assert min(missing) > 1.9
    assert max(missing) < end_s - T0
    assert sum(s.right is not None for s in recorder.scans if s.t_s > end_s) > 200
    assert len(recorder.errors) == 1
    error = recorder.errors[0]
    assert isinstance(error, FootAdcError)
    assert error.foot == "right"
    assert "0x49" in str(error)
    assert sampler.reconnects >= 1


def test_an_unplugged_sensor_is_reported_for_its_foot(rig: FeetRig) -> None:
    rig.bus.schedule(T0 + 1.0, lambda: rig.bus.chip(0x48).disconnect_sensor(2))
    recorder = FeetRecorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=100.0), 3.0)
    assert {foot for foot, _ in recorder.health} == {"left"}
    assert recorder.health[-1][1].state_of("big_toe") != "ok"


def test_device_config_for_two_feet() -> None:
    assert DeviceConfig().feet == "one"
    assert BOTH.adc_for("left").address == 0x48
    assert BOTH.adc_for("right").address == 0x49
    assert BOTH.adc_for("right").channels == BOTH.adc.channels
    with pytest.raises(ValueError, match="two addresses"):
        DeviceConfig(feet="both", right_address=0x48)
    with pytest.raises(ValueError, match="one, both"):
        DeviceConfig(feet="three")
    with pytest.raises(ValueError, match="left, right"):
        BOTH.adc_for("middle")
    with pytest.raises(AdcConfigError, match="0x48-0x4B"):
        open_feet_adc(DeviceConfig(feet="both", right_address=0x50), "emulated")


def test_a_missing_second_chip_is_named_and_nothing_stays_open() -> None:
    config = AdcConfig()
    bus = EmulatedI2CBus([EmulatedAds1x15(config.model, 0x48)])
    with pytest.raises(AdcNotFoundError, match="0x49"):
        open_feet_adc(BOTH, "emulated", emulator=bus)
    # The left chip was opened first and closed again: the bus is free for a retry.
    assert bus.try_lock()
    bus.unlock()


def test_health_monitor_is_per_foot(rig: FeetRig) -> None:
    with pytest.raises(ValueError, match="one health monitor each"):
        Sampler(rig.adc, health=HealthMonitor())


def test_a_right_insole_plugged_in_later_is_picked_up() -> None:
    clock = FakeClock(T0)
    left_chip = EmulatedAds1x15(
        "ADS1115", 0x48, FootVolts(steady_stance(*LEFT_N, sway=0.0), BOTH.adc_for("left"))
    )
    right_chip = EmulatedAds1x15(
        "ADS1115", 0x49, FootVolts(steady_stance(*RIGHT_N, sway=0.0), BOTH.adc_for("right"))
    )
    bus = EmulatedI2CBus([left_chip], clock=clock, bus_hz=400_000)
    with pytest.raises(AdcNotFoundError, match="0x49"):
        open_feet_adc(BOTH, "emulated", emulator=bus)
    adc = open_feet_adc(BOTH, "emulated", emulator=bus, wait_for_right=True)
    assert "0x49 not answering yet" in adc.description
    bus.schedule(T0 + 2.0, lambda: bus.attach(right_chip))
    recorder = FeetRecorder()
    sampler = Sampler(adc, [recorder], rate_hz=100.0)
    with sampler:
        deadline = time.monotonic() + 30.0
        while clock.monotonic() < T0 + 6.0:
            assert time.monotonic() < deadline, "fake time stopped advancing"
            time.sleep(0.002)
    adc.close()
    assert all(s.left is not None for s in recorder.scans)
    assert len(recorder.scans) >= 590
    rights = [s for s in recorder.scans if s.right is not None]
    assert rights
    assert 2.0 <= rights[0].t_s - T0 < 4.5  # found by a reconnect after it was plugged in
    assert rights[-1].right is not None
    assert rights[-1].right.volts == pytest.approx(_volts(RIGHT_N), abs=0.002)
    assert [type(e) for e in recorder.errors] == [FootAdcError]
    assert "No I2C device" in str(recorder.errors[0]) or "no ADS1x15" in str(recorder.errors[0])
    assert [g[0] for g in recorder.gaps] == ["right"]


def test_a_paired_scan_takes_about_one_chips_time(rig: FeetRig) -> None:
    t0 = rig.clock.monotonic()
    rig.adc.left.read_scan()
    one_s = rig.clock.monotonic() - t0
    t0 = rig.clock.monotonic()
    scans = rig.adc.read_feet()
    pair_s = rig.clock.monotonic() - t0
    left, right = scans["left"], scans["right"]
    assert not isinstance(left, Exception)
    assert not isinstance(right, Exception)
    assert abs(left[0] - right[0]) < 1 / 860  # the conversions overlap
    assert pair_s < 1.3 * one_s
    assert right[1] == pytest.approx(_volts(RIGHT_N), abs=0.002)


def test_transient_bus_errors_are_retried_per_chip(rig: FeetRig) -> None:
    rig.bus.error_rate = 0.01
    recorder = FeetRecorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 5.0)
    assert sampler.retries > 5
    complete = [s for s in recorder.scans if s.left is not None and s.right is not None]
    assert len(complete) >= 0.98 * 500
