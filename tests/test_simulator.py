"""Simulated foot: scripts, segment behaviour, determinism, realism against real data."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insole.analysis import analyze_frames
from insole.errors import InsoleError
from insole.frames import SENSORS
from insole.recording_csv import read_recording
from insole.settings import DEFAULT_SENSOR_POSITIONS_MM
from insole.sim_script import Drift, Hold, Lift, Rest, Script, ScriptError, Wobble
from insole.simulator import (
    EXAMPLES,
    SimulatedFoot,
    Span,
    default_session,
    main,
    write_examples,
)
from tools.analyse_recordings import spectrum_figures, windowed_rms

DATA = Path(__file__).parent / "data"
EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
RATE_HZ = 100.0


def _table(foot: SimulatedFoot, rate_hz: float = RATE_HZ) -> np.ndarray:
    return np.array(list(foot.frames(rate_hz)), dtype=np.float64)


def _inside(table: np.ndarray, span: Span, margin_s: float) -> np.ndarray:
    t = table[:, 0]
    return table[(t >= span.start_s + margin_s) & (t <= span.end_s - margin_s), 1:]


def _shares(forces: np.ndarray) -> np.ndarray:
    return forces / forces.sum(axis=1, keepdims=True)


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_forces() -> None:
    a = SimulatedFoot(default_session(), seed=7)
    b = SimulatedFoot(default_session(), seed=7)
    assert np.array_equal(a.grid_n, b.grid_n)
    assert [a.forces_at(t / 37) for t in range(500)] == [b.forces_at(t / 37) for t in range(500)]


def test_different_seeds_give_different_forces() -> None:
    a = SimulatedFoot(default_session(), seed=1)
    b = SimulatedFoot(default_session(), seed=2)
    assert not np.allclose(a.grid_n, b.grid_n)


# -- timing and interpolation -----------------------------------------------------------------


def test_frames_cover_the_script_once_and_stop() -> None:
    foot = SimulatedFoot(Script.parse("rest 2; hold 3.5"), seed=0)
    table = _table(foot, 50.0)
    assert foot.duration_s == 5.5
    assert len(table) == 5.5 * 50 + 1
    assert table[0, 0] == 0.0
    assert table[-1, 0] == 5.5
    assert np.all(np.diff(table[:, 0]) > 0)
    assert np.all(table[:, 1:] >= 0.0)


def test_forces_at_interpolates_between_grid_samples() -> None:
    foot = SimulatedFoot(Script.parse("hold 2"), seed=0)
    grid = foot.grid_n
    assert foot.forces_at(0.5) == pytest.approx(tuple(grid[100]))
    midway = foot.forces_at(0.5025)
    assert midway == pytest.approx(tuple((grid[100] + grid[101]) / 2))
    # Outside a one-shot script the ends are held.
    assert foot.forces_at(-3.0) == pytest.approx(tuple(grid[0]))
    assert foot.forces_at(99.0) == pytest.approx(tuple(grid[-1]))


def test_loop_mode_repeats_seamlessly_and_endlessly() -> None:
    foot = SimulatedFoot(Script.parse("rest 3; hold 9"), seed=3, loop=True)
    period = foot.duration_s
    for t in (0.0, 0.3, 5.0, 11.9):
        assert foot.forces_at(t + 2 * period) == pytest.approx(foot.forces_at(t))
    # No jump at the wrap: the last and first grid samples are the same point.
    assert np.array_equal(foot.grid_n[0], foot.grid_n[-1])
    frames = list(itertools.islice(foot.frames(RATE_HZ), 3000))
    assert len(frames) == 3000
    assert frames[-1].t_s == pytest.approx(29.99)


def test_frames_rejects_a_bad_rate() -> None:
    with pytest.raises(ValueError, match="rate_hz"):
        next(SimulatedFoot(Script.parse("rest 1"), 0).frames(0.0))


def test_rejects_non_scripts_and_collinear_sensors() -> None:
    with pytest.raises(TypeError, match="Script"):
        SimulatedFoot("hold 9")  # type: ignore[arg-type]
    flat = {"heel": (0.0, 0.0), "little_toe": (0.0, 100.0), "big_toe": (0.0, 200.0)}
    with pytest.raises(ValueError, match="triangle"):
        SimulatedFoot(Script.parse("hold 3"), sensor_positions_mm=flat)


# -- segment behaviour --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_holds_load_all_three_points_plausibly(seed: int) -> None:
    foot = SimulatedFoot(default_session(), seed=seed)
    table = _table(foot)
    holds = [s for s in foot.timeline if s.kind == "hold"]
    assert holds
    for span in holds:
        forces = _inside(table, span, 0.3)
        shares = _shares(forces)
        assert forces.sum(axis=1).min() > 50.0
        assert forces.sum(axis=1).max() < 120.0
        assert shares.min() > 0.05  # raw frames, sensor noise included
        mean = shares.mean(axis=0)
        assert mean == pytest.approx((0.45, 0.20, 0.35), abs=0.05)
        assert 0.005 < shares[:, 1].std() < 0.06  # it sways, but not wildly


def test_rest_is_a_relaxed_seated_foot_and_lifted_rest_is_empty() -> None:
    foot = SimulatedFoot(Script.parse("rest 4; hold 4; rest 4 lifted; hold 4"), seed=1)
    table = _table(foot)
    rest, _, lifted, _ = foot.timeline
    relaxed = _inside(table, rest, 0.3)
    assert 8.0 < relaxed.sum(axis=1).mean() < 20.0
    assert _shares(relaxed)[:, 1].max() < 0.05  # little-toe ball free
    assert np.all(_inside(table, lifted, 0.3) == 0.0)


@pytest.mark.parametrize("point", SENSORS)
def test_lift_drops_that_point_near_zero(point: str) -> None:
    foot = SimulatedFoot(Script.parse(f"hold 4; lift {point} 3; hold 4"), seed=2)
    table = _table(foot)
    lift = foot.timeline[1]
    assert lift.kind == "lift"
    shares = _shares(_inside(table, lift, 0.3))
    i = SENSORS.index(point)
    assert shares[:, i].max() < 0.06
    others = [j for j in range(3) if j != i]
    assert shares[:, others].min() > 0.1


@pytest.mark.parametrize(("length_s", "point"), [(0.3, "little_toe"), (0.2, "big_toe")])
def test_wobble_is_a_brief_loss_shorter_than_the_grace_time(length_s: float, point: str) -> None:
    foot = SimulatedFoot(Script.parse(f"hold 9 wobble {length_s}@4 {point}"), seed=4)
    table = _table(foot, 200.0)
    share = _shares(table[:, 1:])[:, SENSORS.index(point)]
    low = table[share < 0.1, 0]
    assert low.size > 0
    assert low.min() >= 3.9
    assert low.max() <= 4.1 + length_s
    assert length_s * 0.6 <= low.max() - low.min() < 0.5
    kinds = [s.kind for s in foot.timeline]
    assert kinds == ["hold", "wobble", "hold"]
    assert foot.timeline[1].duration_s == pytest.approx(length_s)


def test_standalone_wobble_between_holds() -> None:
    foot = SimulatedFoot(Script.parse("hold 4; wobble 0.3 heel; hold 4"), seed=4)
    share = _shares(_table(foot, 200.0)[:, 1:])[:, 0]
    assert share.min() < 0.1
    assert (share < 0.1).sum() / 200.0 < 0.5


def test_load_ramps_take_a_few_tenths_of_a_second() -> None:
    foot = SimulatedFoot(Script(segments=(Rest(3.0, load_n=30.0), Hold(5.0, load_n=100.0))), 5)
    # rest 30 N -> hold 100 N: find the 10 % and 90 % points of the 70 N rise
    table = _table(foot, 1000.0)
    total = table[:, 1:].sum(axis=1)
    t = table[:, 0]
    rise_start = t[np.argmax(total > 30.0 + 0.1 * 70.0)]
    rise_end = t[np.argmax(total > 30.0 + 0.9 * 70.0)]
    assert 0.2 <= rise_end - rise_start <= 0.6
    assert rise_start < 3.0 < rise_end  # centred on the boundary


def test_explicit_shares_and_load_are_followed() -> None:
    foot = SimulatedFoot(Script.parse("hold 20 shares 0.3,0.3,0.4 load 150"), seed=6)
    forces = _table(foot)[:, 1:]
    assert forces.sum(axis=1).mean() == pytest.approx(150.0, rel=0.05)
    assert _shares(forces).mean(axis=0) == pytest.approx((0.3, 0.3, 0.4), abs=0.02)


def test_gain_and_offset_drift() -> None:
    plain = SimulatedFoot(Script.parse("hold 20"), seed=8)
    drifting = SimulatedFoot(Script.parse("drift heel 360%/h; hold 20"), seed=8)
    for t in (0.0, 5.0, 10.0):
        assert drifting.forces_at(t)[0] == pytest.approx(plain.forces_at(t)[0] * (1 + t / 1000))
        assert drifting.forces_at(t)[1:] == plain.forces_at(t)[1:]
    offset = SimulatedFoot(Script.parse("rest 10 lifted; drift big_toe 360N/h"), seed=8)
    assert offset.forces_at(5.0) == pytest.approx((0.0, 0.0, 0.5))


def test_default_session_has_ten_holds_with_two_short_ones() -> None:
    script = default_session()
    holds = [s for s in script.segments if isinstance(s, Hold)]
    assert len(holds) == 10
    assert sorted(h.duration_s for h in holds)[:3] == [5.0, 6.0, 9.0]
    assert all(9.0 <= h.duration_s <= 10.0 for h in holds if h.duration_s > 8)
    assert sum(len(h.wobbles) for h in holds) == 2
    assert 120.0 < script.duration_s < 200.0


# -- the real hold counter sees what the script says ---------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_hold_counter_counts_the_default_session_as_scripted(seed: int) -> None:
    analysis = analyze_frames(list(SimulatedFoot(default_session(), seed).frames(RATE_HZ)))
    assert (analysis.correct, analysis.short) == (8, 2)
    assert sum(h.wobbles for h in analysis.holds) == 2
    scripted = [s.duration_s for s in default_session().segments if isinstance(s, Hold)]
    measured = [h.duration_s for h in analysis.holds]
    assert measured == pytest.approx(scripted, abs=0.5)


@pytest.mark.parametrize(
    ("name", "outcomes"),
    [
        ("hold_9s.csv", ["correct"]),
        ("hold_5s.csv", ["short"]),
        ("big_toe_lift.csv", ["short", "correct"]),
        (
            "arch_hold_session.csv",
            ["correct"] * 3 + ["short"] + ["correct"] * 2 + ["short"] + ["correct"] * 3,
        ),
    ],
)
def test_example_recordings_give_the_holds_their_names_promise(
    name: str, outcomes: list[str]
) -> None:
    analysis = analyze_frames(read_recording(EXAMPLES_DIR / name))
    assert [h.outcome for h in analysis.holds] == outcomes


# -- realism against a real foot ---------------------------------------------------------------


def _cop_mm(forces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    positions = np.array([DEFAULT_SENSOR_POSITIONS_MM[name] for name in SENSORS])
    cop = forces @ positions / forces.sum(axis=1, keepdims=True)
    return cop[:, 1], cop[:, 0]  # antero-posterior (y), medio-lateral (x)


def _below_10_hz(x: np.ndarray) -> np.ndarray:
    """Like the published force-plate data, keep only what lies below 10 Hz."""
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1.0 / RATE_HZ) > 10.0] = 0.0
    return np.fft.irfft(spectrum, len(x))


def test_sway_size_and_spectrum_match_a_real_foot() -> None:
    real = np.loadtxt(DATA / "pds13_or1_right_foot_25-45s.tsv", skiprows=1)
    real_ap, real_ml, real_load = real[:, 2] * 1e3, real[:, 3] * 1e3, real[:, 1]
    foot = SimulatedFoot(Script.parse("hold 120 shares 0.45,0.2,0.35 load 100"), seed=11)
    forces = _table(foot)[100:-100, 1:]  # away from the start and end
    sim_ap, sim_ml = (_below_10_hz(x) for x in _cop_mm(forces))
    sim_load = forces.sum(axis=1)

    def ratio(a: float, b: float) -> float:
        return max(a, b) / min(a, b)

    for sim, ref in ((sim_ap, real_ap), (sim_ml, real_ml)):
        assert ratio(windowed_rms(sim, RATE_HZ), windowed_rms(ref, RATE_HZ)) < 4.0
        sim_spec, ref_spec = spectrum_figures(sim, RATE_HZ), spectrum_figures(ref, RATE_HZ)
        assert ratio(sim_spec["f50_hz"], ref_spec["f50_hz"]) < 4.0
        assert ratio(sim_spec["f95_hz"], ref_spec["f95_hz"]) < 4.0
        assert sim_spec["power_below_1hz"] > 0.75
    sim_rel = windowed_rms(sim_load / sim_load.mean(), RATE_HZ)
    ref_rel = windowed_rms(real_load / real_load.mean(), RATE_HZ)
    assert ratio(sim_rel, ref_rel) < 4.0


# -- script text --------------------------------------------------------------------------------


def test_parse_the_documented_example() -> None:
    script = Script.parse("rest 3; hold 9; rest 4; hold 5; lift big_toe 2; hold 9 wobble 0.3@4")
    assert script.segments == (
        Rest(3.0),
        Hold(9.0),
        Rest(4.0),
        Hold(5.0),
        Lift("big_toe", 2.0),
        Hold(9.0, wobbles=(Wobble(0.3, "little_toe", 4.0),)),
    )
    assert script.duration_s == 32.0


def test_parse_options_newlines_and_drifts() -> None:
    script = Script.parse(
        "drift heel 5%/h\nrest 2 lifted; rest 2 load 20\n"
        "hold 9 shares 0.5,0.2,0.3 load 120 wobble 0.2@2 heel wobble 0.3@5;"
        "wobble 0.4 big_toe; lift heel 3 load 80;"
    )
    assert script.drifts == (Drift("heel", gain_pct_per_h=5.0),)
    hold = script.segments[2]
    assert isinstance(hold, Hold)
    assert hold.shares == pytest.approx((0.5, 0.2, 0.3))
    assert [w.point for w in hold.wobbles] == ["heel", "little_toe"]
    assert script.segments[3] == Wobble(0.4, "big_toe")
    assert Script.parse(script.to_text()) == script


segment_strategy = st.one_of(
    st.builds(Rest, st.sampled_from([0.5, 3.0, 4.25]), st.booleans()),
    st.builds(
        Hold,
        st.sampled_from([1.0, 9.0, 12.5]),
        st.sampled_from([None, (0.45, 0.2, 0.35), (0.4, 0.3, 0.3)]),
        st.sampled_from([None, 80.0, 150.5]),
    ),
    st.builds(Lift, st.sampled_from(SENSORS), st.sampled_from([1.0, 2.5])),
    st.builds(Wobble, st.sampled_from([0.1, 0.3]), st.sampled_from(SENSORS)),
)


durations = st.floats(min_value=0.1, max_value=3600.0)
loads = st.none() | st.floats(min_value=1.0, max_value=2000.0)


@st.composite
def share_triples(draw: st.DrawFn) -> tuple[float, float, float]:
    heel = draw(st.floats(min_value=0.0, max_value=1.0))
    little = draw(st.floats(min_value=0.0, max_value=1.0 - heel))
    return (heel, little, max(0.0, 1.0 - heel - little))


@st.composite
def holds_with_wobbles(draw: st.DrawFn) -> Hold:
    duration = draw(st.floats(min_value=2.0, max_value=600.0))
    length = draw(st.floats(min_value=0.05, max_value=1.0))
    at = draw(st.floats(min_value=0.3, max_value=duration - 0.3 - length))
    point = draw(st.sampled_from(SENSORS))
    return Hold(
        duration, draw(st.none() | share_triples()), draw(loads), (Wobble(length, point, at),)
    )


any_segment = st.one_of(
    st.builds(Rest, durations, st.just(False), loads),
    st.builds(Rest, durations, st.just(True)),
    st.builds(Hold, durations, st.none() | share_triples(), loads),
    holds_with_wobbles(),
    st.builds(Lift, st.sampled_from(SENSORS), durations, loads),
    st.builds(Wobble, st.floats(min_value=0.05, max_value=1.0), st.sampled_from(SENSORS)),
)


@given(
    st.lists(any_segment, min_size=1, max_size=6),
    st.lists(
        st.builds(Drift, st.sampled_from(SENSORS), st.floats(min_value=-100.0, max_value=1000.0)),
        max_size=2,
    ),
)
def test_text_form_round_trips(segments: list[object], drifts: list[Drift]) -> None:
    script = Script(tuple(segments), tuple(d for d in drifts if d.gain_pct_per_h))  # type: ignore[arg-type]
    assert Script.parse(script.to_text()) == script


@settings(max_examples=30, deadline=None)
@given(st.lists(segment_strategy, min_size=1, max_size=5), st.integers(0, 2**32 - 1))
def test_any_script_gives_finite_non_negative_forces(segments: list[object], seed: int) -> None:
    foot = SimulatedFoot(Script(tuple(segments)), seed)  # type: ignore[arg-type]
    assert np.all(np.isfinite(foot.grid_n))
    assert np.all(foot.grid_n >= 0.0)
    assert sum(s.duration_s for s in foot.timeline) == pytest.approx(foot.duration_s)
    assert len(list(foot.frames(20.0))) == int(foot.duration_s * 20.0 + 1e-9) + 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "at least one segment"),
        (" ; ;", "at least one segment"),
        ("drift heel 5%/h", "at least one segment"),
        ("jump 3", "unknown segment 'jump'"),
        ("hold", "expected: hold SECONDS"),
        ("hold nine", "plain number"),
        ("hold 0x10", "plain number"),
        ("hold -1", "from 0.1 to 3600"),
        ("hold 9 wobble 0.3@8.9", "does not fit"),
        ("hold 9 wobble 0.3", "SECONDS@AT"),
        ("hold 9 wobble 2@3", "from 0.05 to 1"),
        ("hold 9 tilt", "unexpected 'tilt'"),
        ("hold 9 shares 0.5,0.5,0.5", "add up to 1"),
        ("hold 9 shares 0.5,0.5", "three numbers"),
        ("hold 9 load 0", "from 1 to 2000"),
        ("lift foot 2", "one of heel, little_toe, big_toe"),
        ("lift big_toe", "expected: lift"),
        ("rest 3 lifted load 5", "'load N'"),
        ("rest 3 sideways", "unexpected"),
        ("wobble 0.3@4", "goes inside a hold"),
        ("drift heel 5", "%/h"),
        ("drift heel 5000%/h", "from -100 to 1000"),
        ("rest 3600; rest 3600; " * 13, "at most 86400 s"),
    ],
)
def test_bad_scripts_are_rejected_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(ScriptError) as info:
        Script.parse(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, InsoleError)
    assert isinstance(info.value, ValueError)


def test_error_names_the_segment() -> None:
    with pytest.raises(ScriptError, match=r"segment 3 \('hold x'\)"):
        Script.parse("rest 1; hold 2; hold x")


def test_segments_validate_when_built_directly() -> None:
    with pytest.raises(ScriptError, match="needs its start"):
        Hold(9.0, wobbles=(Wobble(0.3),))
    with pytest.raises(ScriptError, match="no start time"):
        Script((Wobble(0.3, at_s=1.0),))
    with pytest.raises(ScriptError, match="must be a number"):
        Rest("3")  # type: ignore[arg-type]


# -- example recordings and command line --------------------------------------------------------


def test_committed_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_examples(tmp_path)
    assert sorted(p.name for p in written) == sorted(EXAMPLES)
    for path in written:
        committed = EXAMPLES_DIR / path.name
        assert committed.stat().st_size < 1_000_000
        assert committed.read_bytes() == path.read_bytes(), (
            f"examples/{committed.name} is out of date (e.g. default sensor positions changed): "
            "run python -m insole.simulator --examples examples"
        )
        frames = read_recording(committed)
        assert frames[0].t_s == 0.0


def test_command_line_writes_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.csv"
    assert main(["--script", "rest 1; hold 2", "--seed", "3", "-o", str(out)]) == 0
    assert len(read_recording(out)) == 301
    assert "301 frames" in capsys.readouterr().out
    assert main(["--script", "hold x", "-o", str(out)]) == 2
    assert "plain number" in capsys.readouterr().err
