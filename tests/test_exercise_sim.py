"""Simulator segments for the exercise modes: stands, band pulls, rep cycles."""

from __future__ import annotations

import pytest

from insole.sim_script import Band, Cycle, Script, ScriptError, Stand
from insole.simulator import LIFT_WINDOWS, SimulatedFoot


def test_text_form_round_trips() -> None:
    text = (
        "hold 3; rise 4 lift big_toe@down shift 0.2; stand 3 load 250; squat 5 peak 380; "
        "band 10 pulls 5; lunge 2 shift -0.1"
    )
    script = Script.parse(text)
    assert script.to_text() == text
    assert Script.parse(script.to_text()) == script
    assert script.segments[1] == Cycle("rise", 4.0, None, "big_toe", "down", 0.2)
    assert script.segments[2] == Stand(3.0, 250.0)
    assert script.segments[4] == Band(10.0, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rise 0.5", "rise duration must be from 1"),
        ("squat 4 lift knee", "lift point must be one of heel"),
        ("lunge 2 lift heel@side", "lift phase must be one of up, top, down"),
        ("rise 4 shift 0.9", "shift must be from -0.5 to 0.5"),
        ("band 3 pulls 3", "3 pulls do not fit in 3 s"),
        ("band 3 pulls 1.5", "pulls must be a whole number"),
        ("band 3 tug 1", "band options are"),
        ("stand", "expected: stand SECONDS"),
        ("rise 4 depth 3", "rise options are 'peak N'"),
    ],
)
def test_bad_segments_are_named(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        Script.parse(text)


def test_rise_puts_body_weight_on_the_foot_and_a_lift_lands_in_its_phase() -> None:
    foot = SimulatedFoot(Script.parse("hold 2; rise 4 lift heel@top; hold 2"), seed=3)
    seated = sum(foot.forces_at(1.0))
    lo, hi = LIFT_WINDOWS["top"]
    mid = 2.0 + 4.0 * (lo + hi) / 2
    standing = foot.forces_at(mid)
    assert sum(standing) > 3.0 * seated
    assert standing[0] / sum(standing) < 0.05
    assert sum(foot.forces_at(7.0)) == pytest.approx(seated, rel=0.25)


def test_shift_moves_load_towards_the_big_toe() -> None:
    plain = SimulatedFoot(Script.parse("hold 2; squat 5; hold 2"), seed=1)
    shifted = SimulatedFoot(Script.parse("hold 2; squat 5 shift 0.3; hold 2"), seed=1)
    a, b = plain.forces_at(4.5), shifted.forces_at(4.5)
    ml_plain = (a[2] - a[1]) / sum(a)
    ml_shifted = (b[2] - b[1]) / sum(b)
    assert ml_shifted - ml_plain == pytest.approx(0.3, abs=0.03)


def test_band_pulls_unload_heel_and_big_toe_only() -> None:
    foot = SimulatedFoot(Script.parse("band 4 pulls 2"), seed=2)
    still = SimulatedFoot(Script.parse("band 4"), seed=2)
    pulled, calm = foot.forces_at(1.0), still.forces_at(1.0)
    assert pulled[0] == pytest.approx(0.7 * calm[0], rel=0.02)
    assert pulled[2] == pytest.approx(0.7 * calm[2], rel=0.02)
    assert pulled[1] == pytest.approx(calm[1], rel=0.02)
