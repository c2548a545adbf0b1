"""``serve --feet both`` sources: two simulated feet, and a two-foot replay (two CSVs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.config import DeviceConfig
from firmware.feet_service import RIGHT_LOAD_FACTOR, _force_sources, open_feet_source
from firmware.service import ServiceError, ServiceOptions, Unplug, open_source
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


def test_an_unplug_names_the_insole_when_two_run() -> None:
    with pytest.raises(ServiceError, match=r"two insoles write left\|right:SENSOR@AT"):
        open_feet_source(
            ServiceOptions(source="emulated", device=BOTH, unplug=(Unplug("heel", 1.0),)),
            Divider(),
        )
    with pytest.raises(ServiceError, match="one insole write SENSOR@AT"):
        open_source(
            ServiceOptions(source="emulated", unplug=(Unplug.parse("left:heel@1"),)), Divider()
        )


def test_the_named_insole_loses_its_sensor_and_the_other_keeps_its_own() -> None:
    options = ServiceOptions(
        source="emulated", script="hold 30", device=BOTH, bus_hz=None,
        unplug=(Unplug.parse("right:big_toe@0"),),
    )
    adc, _info = open_feet_source(options, Divider())
    with adc:
        left, right = adc.left.read_scan()[1], adc.right.read_scan()[1]
    assert min(left) > 0.1  # every point of the left foot loaded
    assert right[2] == 0.0  # the right big toe cut
    assert min(right[:2]) > 0.1


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("big_toe@10+5", Unplug("big_toe", 10.0, 5.0)),
        ("right:heel@3", Unplug("heel", 3.0, None, "right")),
        ("left:little_toe@0.5+1", Unplug("little_toe", 0.5, 1.0, "left")),
    ],
)
def test_unplug_forms(text: str, parsed: Unplug) -> None:
    assert Unplug.parse(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("middle:heel@3", "insole must be left or right"),
        ("right:toe@3", "sensor must be one of heel, little_toe, big_toe"),
        ("right:heel", r"must be \[left:\|right:\]SENSOR@AT"),
        ("heel@-1", "from 0 to 86400 s"),
    ],
)
def test_unplug_mistakes_are_explained(text: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        Unplug.parse(text)


def test_options_that_need_one_insole_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"--replay FILE\.csv"):
        open_feet_source(ServiceOptions(source="replay", device=BOTH), Divider())
