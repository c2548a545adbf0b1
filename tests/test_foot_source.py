"""Force sources -> volts for the emulated chip: function sources, replays, channel map."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.adc import open_adc
from firmware.clock import FakeClock
from firmware.config import AdcConfig
from firmware.foot_source import (
    FootVolts,
    FunctionSource,
    ReplaySource,
    replay_foot_volts,
    simulated_foot_volts,
    steady_stance,
)
from insole.errors import RecordingFormatError
from insole.frames import Frame
from insole.sensor_model import Divider, FsrCurve, force_to_volts, volts_to_force

RECORDING = [
    Frame(0.0, 10.0, 0.0, 5.0),
    Frame(1.0, 20.0, 10.0, 5.0),
    Frame(2.0, 0.0, 30.0, 15.0),
]


def test_replay_interpolates_between_frames() -> None:
    replay = ReplaySource(RECORDING)
    assert replay.forces_at(0.0) == (10.0, 0.0, 5.0)
    assert replay.forces_at(0.5) == pytest.approx((15.0, 5.0, 5.0))
    assert replay.forces_at(1.75) == pytest.approx((5.0, 25.0, 12.5))


def test_replay_speed_and_end() -> None:
    replay = ReplaySource(RECORDING, speed=2.0)
    assert replay.forces_at(0.5) == pytest.approx((20.0, 10.0, 5.0))
    assert not replay.finished_at(1.0)
    assert replay.finished_at(1.01)
    assert replay.forces_at(1.5) == (0.0, 0.0, 0.0)  # the foot is lifted after the end


def test_replay_loops() -> None:
    replay = ReplaySource(RECORDING, loop=True)
    assert replay.forces_at(2.5) == pytest.approx(replay.forces_at(0.5))
    assert not replay.finished_at(100.0)


def test_replay_rejects_bad_recordings() -> None:
    with pytest.raises(RecordingFormatError, match="at least 2 frames"):
        ReplaySource(RECORDING[:1])
    with pytest.raises(RecordingFormatError, match="line 3: frame times must increase"):
        ReplaySource([RECORDING[0], RECORDING[1], Frame(1.0, 0, 0, 0)])
    with pytest.raises(ValueError, match="speed must be > 0"):
        ReplaySource(RECORDING, speed=0.0)


def test_foot_volts_follow_the_channel_map_and_the_sensor_model() -> None:
    config = AdcConfig(channels={"heel": 3, "little_toe": 0, "big_toe": 1})
    curves = (FsrCurve(), FsrCurve(r_at_1n_ohm=20_000.0), FsrCurve(exponent=1.1))
    divider = Divider(r_fixed_ohm=10_000.0)
    volts = FootVolts(
        FunctionSource(lambda t: (40.0 + t, 10.0, 25.0)), config, curves=curves, divider=divider
    )
    assert volts(3, 100.0) == pytest.approx(force_to_volts(40.0, curves[0], divider))  # t = 0
    assert volts(0, 100.5) == pytest.approx(force_to_volts(10.0, curves[1], divider))
    assert volts(1, 100.5) == pytest.approx(force_to_volts(25.0, curves[2], divider))
    assert volts(3, 102.0) == pytest.approx(force_to_volts(42.0, curves[0], divider))
    assert volts(2, 102.0) == 0.0  # nothing wired to AIN2


def test_one_curve_for_all_or_three() -> None:
    with pytest.raises(ValueError, match="one per sensor"):
        FootVolts(steady_stance(), curves=(FsrCurve(), FsrCurve()))


def test_replay_through_the_real_driver_gives_back_the_forces() -> None:
    """forces -> FSR -> divider -> emulated chip -> driver -> volts -> forces again."""
    config = AdcConfig()
    clock = FakeClock()
    replay = ReplaySource([Frame(0.0, 30.0, 12.0, 20.0), Frame(10.0, 30.0, 12.0, 20.0)])
    with open_adc(config, "emulated", FootVolts(replay, config), clock=clock) as adc:
        volts = adc.read_volts()
    forces = [volts_to_force(v, FsrCurve(), Divider()) for v in volts]
    assert forces == pytest.approx([30.0, 12.0, 20.0], rel=0.01)


def test_steady_stance_loads_every_point() -> None:
    source = steady_stance()
    for t_s in (0.0, 0.8, 2.1):
        assert all(f > 20.0 for f in source.forces_at(t_s))


def test_the_simulator_drives_the_emulated_chip_through_the_driver() -> None:
    from insole.sim_script import default_session
    from insole.simulator import SimulatedFoot

    foot = SimulatedFoot(default_session(), seed=3)
    config = AdcConfig()
    clock = FakeClock()
    volts_in = FootVolts(foot, config)
    with open_adc(config, "emulated", volts_in, clock=clock) as adc:
        for _ in range(20):
            t_s, volts = adc.read_scan()
            forces = [volts_to_force(v, FsrCurve(), Divider()) for v in volts]
            expected = foot.forces_at(volts_in.elapsed_s(t_s))
            # Each channel is sampled at its own instant within the scan: compare loosely.
            assert forces == pytest.approx(expected, rel=0.05, abs=0.5)
            clock.advance(0.05)


def test_replay_from_a_recording_csv(tmp_path: Path) -> None:
    path = tmp_path / "hold.csv"
    path.write_text("time_s,heel_n,little_toe_n,big_toe_n\n0,10,4,6\n1,20,8,12\n2,0,0,0\n")
    volts = replay_foot_volts(path, AdcConfig(), speed=2.0)
    assert volts(0, 50.0) == pytest.approx(force_to_volts(10.0, FsrCurve(), Divider()))
    assert volts(1, 50.25) == pytest.approx(force_to_volts(6.0, FsrCurve(), Divider()))
    assert volts(2, 51.5) < 1e-4  # ended: the foot is lifted (an open FSR)


def test_bad_recording_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time_s,heel_n,little_toe_n,big_toe_n\n0,10,4,6\n1,x,8,12\n")
    with pytest.raises(RecordingFormatError, match="line 3"):
        replay_foot_volts(path)


def test_simulated_foot_volts_stay_within_the_supply() -> None:
    volts = simulated_foot_volts(AdcConfig(), seed=2)
    samples = [volts(ch, 10.0 + i * 0.37) for i in range(200) for ch in range(4)]
    assert all(0.0 <= v < 3.3 for v in samples)
    assert max(samples) > 0.5  # the simulated foot presses
