"""Both feet: two counters and the left/right symmetry figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from insole.bilateral import Bilateral, BilateralFrame, pair_frames
from insole.calibration import Calibration
from insole.exercises.examples import EXPECTED, example_name
from insole.frames import Frame, VoltsFrame
from insole.recording_csv import read_recording
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.sim_script import Script
from insole.simulator import SimulatedFoot

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"


def test_two_feet_counted_separately_with_symmetry() -> None:
    left = read_recording(EXAMPLES_DIR / example_name("squat"))
    # The right foot carries 1.5 times the left's load and does the same squats.
    right = [Frame(f.t_s, 1.5 * f.heel_n, 1.5 * f.little_toe_n, 1.5 * f.big_toe_n) for f in left]
    pairs = pair_frames(left, right)
    assert len(pairs) == len(left)
    both = Bilateral("squat")
    left_reps, right_reps = both.feed(pairs)
    both.finish()
    assert [r.outcome for r in left_reps] == [e[0] for e in EXPECTED["squat"]]
    assert len(right_reps) == len(left_reps)
    sym = both.symmetry()
    assert sym.left_load_share == pytest.approx(0.4, abs=1e-3)
    assert sym.load_asymmetry_pct == pytest.approx(100 * (1 - 1.5) / 1.25, abs=0.05)
    assert sym.left["attempted"] == sym.right["attempted"] == len(EXPECTED["squat"])
    assert sym.score_gap is not None
    assert set(sym.to_dict()) == {
        "left_load_share",
        "load_asymmetry_pct",
        "left",
        "right",
        "score_gap",
    }
    assert both.left.settings.foot == "left"
    assert both.right.settings.foot == "right"


def test_step_and_feed_agree() -> None:
    left = SimulatedFoot(Script.parse("rest 2; hold 9; rest 2"), seed=1)
    right = SimulatedFoot(Script.parse("rest 2; hold 5; rest 6"), seed=2)
    frames = [BilateralFrame(f.t_s, f[1:], right.forces_at(f.t_s)) for f in left.frames(50.0)]
    live, bulk = Bilateral(), Bilateral()
    for frame in frames:
        live.step(frame)
    bulk.feed(frames)
    live.finish()
    bulk.finish()
    assert live.symmetry() == bulk.symmetry()
    sym = bulk.symmetry()
    assert (sym.left["correct"], sym.right["correct"]) == (1, 0)
    assert sym.right["short"] == 1


def test_pairing_drops_frames_without_a_partner() -> None:
    left = [Frame(t / 10, 1, 1, 1) for t in range(10)]
    right = [Frame(t / 10 + 0.01, 2, 2, 2) for t in range(5)]
    pairs = pair_frames(left, right)
    assert [p.t_s for p in pairs] == [t / 10 for t in range(5)]  # 0.5 is 0.09 s from 0.41
    assert pairs[0].right == Frame(0.0, 2, 2, 2)
    assert Bilateral().symmetry().left_load_share is None


def test_volts_path_uses_each_feet_calibration() -> None:
    curve, divider = FsrCurve(), Divider()
    both = Bilateral(
        left_calibration=Calibration(divider=divider),
        right_calibration=Calibration(divider=divider),
    )
    for k in range(200):
        t = k / 50
        left = VoltsFrame(t, *(force_to_volts(f, curve, divider) for f in (36.0, 16.0, 28.0)))
        right = VoltsFrame(t, *(force_to_volts(f, curve, divider) for f in (12.0, 5.0, 9.0)))
        left_view, right_view = both.step_volts(left, right)
    assert left_view.total_n == pytest.approx(80.0, rel=0.02)
    assert right_view.total_n == pytest.approx(26.0, rel=0.02)
    sym = both.symmetry()
    assert sym.left_load_share == pytest.approx(80 / 106, abs=0.01)
