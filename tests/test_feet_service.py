"""``serve --feet both`` sources: two simulated feet, and a two-foot replay (two CSVs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.config import DeviceConfig
from firmware.feet_service import RIGHT_LOAD_FACTOR, _force_sources, open_feet_source
from firmware.service import ServiceError, ServiceOptions, Unplug
from insole.frames import Frame
from insole.recording_csv import write_recording
from insole.sensor_model import Divider, FsrCurve, volts_to_force

BOTH = DeviceConfig(feet="both")


def forces(volts: tuple[float, float, float]) -> list[float]:
    return [volts_to_force(v, FsrCurve(), Divider()) for v in volts]


def test_two_simulated_feet_load_differently() -> None:
    options = ServiceOptions(source="emulated", script="hold 30", device=BOTH, bus_hz=None)
    sources, _kind, _what = _force_sources(options)
    times = [t / 10 for t in range(30, 250)]
    left = [sum(sources["left"].forces_at(t)) for t in times]
    right = [sum(sources["right"].forces_at(t)) for t in times]
    assert sum(right) / sum(left) == pytest.approx(RIGHT_LOAD_FACTOR, rel=0.05)
    assert left != pytest.approx([r / RIGHT_LOAD_FACTOR for r in right])  # a lag apart
    adc, info = open_feet_source(options, Divider())
    with adc:
        volts = adc.left.read_scan()[1], adc.right.read_scan()[1]
    assert all(0.0 <= v < 3.3 for scan in volts for v in scan)
    assert (info.kind, info.simulated, info.feet) == ("emulated", True, "both")
    assert "two simulated feet" in info.description
    assert "0x49" in info.description


def test_a_two_foot_replay_is_two_recordings(tmp_path: Path) -> None:
    left_csv, right_csv = tmp_path / "left.csv", tmp_path / "right.csv"
    write_recording(left_csv, [Frame(t / 10, 50.0, 20.0, 30.0) for t in range(100)])
    write_recording(right_csv, [Frame(t / 10, 10.0, 5.0, 5.0) for t in range(100)])
    options = ServiceOptions(
        source="replay", replay_file=left_csv, replay_right=right_csv, device=BOTH, bus_hz=None
    )
    adc, info = open_feet_source(options, Divider())
    with adc:
        left = forces(adc.left.read_scan()[1])
        right = forces(adc.right.read_scan()[1])
    assert left == pytest.approx([50.0, 20.0, 30.0], rel=0.02)
    assert right == pytest.approx([10.0, 5.0, 5.0], rel=0.02)
    assert info.kind == "replay"
    assert "left.csv (left) and right.csv (right)" in info.description


def test_options_that_need_one_insole_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="one insole"):
        open_feet_source(
            ServiceOptions(source="emulated", device=BOTH, unplug=(Unplug("heel", 1.0),)),
            Divider(),
        )
    with pytest.raises(ServiceError, match=r"--replay FILE\.csv"):
        open_feet_source(ServiceOptions(source="replay", device=BOTH), Divider())
