"""Exercise modes: each counts its example session as scripted; chunked == per frame."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.cli import main
from insole.analysis import analyze_exercise, analyze_frames
from insole.errors import SettingsError
from insole.exercises import MODES, Rep, lunge, make_counter, mode_info
from insole.exercises.examples import (
    EXAMPLES,
    EXPECTED,
    EXPECTED_BAND,
    EXPECTED_SETS,
    example_name,
    write_examples,
)
from insole.exercises.reps import RepCounter, RepMode, rep_score
from insole.frames import Frame
from insole.recording_csv import read_recording
from insole.settings import EXERCISES, Settings

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"


def _frames(mode: str) -> list[Frame]:
    return read_recording(EXAMPLES_DIR / example_name(mode))


def test_registry_lists_every_mode_of_the_settings() -> None:
    assert tuple(MODES) == EXERCISES
    assert {info.kind for info in MODES.values()} == {"hold", "rep"}
    with pytest.raises(SettingsError, match="must be one of arch_hold"):
        mode_info("plank")
    assert make_counter("squat").settings.exercise == "squat"
    assert make_counter(settings=Settings(exercise="lunge")).mode == "lunge"


def test_committed_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    for path in write_examples(tmp_path):
        committed = EXAMPLES_DIR / path.name
        assert committed.stat().st_size < 200_000
        assert committed.read_bytes() == path.read_bytes(), (
            f"examples/{path.name} is out of date: run python -m insole.exercises.examples examples"
        )
    assert set(EXAMPLES) == set(EXERCISES) - {"arch_hold"}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_rep_mode_counts_its_example_as_scripted(mode: str) -> None:
    analysis = analyze_exercise(_frames(mode), mode)
    reps = analysis.records
    got = [(r.outcome, r.lost_phase, r.knee_drift) for r in reps]
    assert got == EXPECTED[mode]
    assert analysis.summary["sets"] == EXPECTED_SETS[mode]
    assert analysis.summary["correct"] == sum(1 for e in EXPECTED[mode] if e[0] == "correct")
    for rep in reps:
        assert rep.end_s - rep.start_s == pytest.approx(rep.duration_s, abs=1e-3)
        assert 0.0 <= rep.score <= 100.0
        lost = rep.lost_phase is not None
        assert (rep.lost_point is not None) == lost == (rep.lost_at_s is not None)
        if lost:
            assert rep.start_s <= (rep.lost_at_s or 0.0) <= rep.end_s
            low = getattr(rep, f"min_share_{rep.lost_point}")
            assert low < Settings().min_share
    # Faulty reps score below every correct one: keeping the tripod counts most.
    faulty = [r.score for r in reps if r.outcome == "faulty"]
    correct = [r.score for r in reps if r.outcome == "correct"]
    assert max(faulty) < min(correct)


def test_band_hold_counts_holds_pulls_and_the_snap() -> None:
    analysis = analyze_exercise(_frames("band_hold"), "band_hold")
    got = [(b.outcome, b.pulls, b.snapped) for b in analysis.records]
    assert got == EXPECTED_BAND
    assert analysis.summary["pulls"] == sum(p for _, p, _ in EXPECTED_BAND)
    assert analysis.summary["snaps"] == 1
    # A pull takes 30 % off the band points at its height (the simulator's figure).
    assert all(0.2 <= b.pull_depth <= 0.4 for b in analysis.records)


def test_arch_hold_mode_is_the_pipeline_unchanged() -> None:
    frames = read_recording(EXAMPLES_DIR / "arch_hold_session.csv")
    via_mode = analyze_exercise(frames, "arch_hold")
    direct = analyze_frames(frames)
    assert via_mode.records == direct.holds
    assert (via_mode.summary["correct"], via_mode.summary["short"]) == (8, 2)


def test_stricter_rules_change_the_outcome() -> None:
    frames = _frames("sit_to_stand")
    strict = analyze_exercise(frames, "sit_to_stand", Settings(min_share=0.15))
    assert strict.summary["correct"] < analyze_exercise(frames, "sit_to_stand").summary["correct"]
    loose = analyze_exercise(frames, "sit_to_stand", Settings(ml_shift_limit=0.5))
    assert [r.knee_drift is None for r in loose.records] == [
        abs(r.ml_shift) <= 0.5 for r in loose.records
    ]
    assert sum(r.knee_drift is None for r in loose.records) > 3


def _per_frame(mode: str, frames: list[Frame]) -> tuple[list[object], list[str]]:
    counter = make_counter(mode)
    ended = []
    for frame in frames:
        state = counter.step(frame)
        ended += [kind for kind, _ in state.events if kind in ("rep_ended", "hold_ended")]
    counter.finish()
    return list(counter.records), ended


@pytest.mark.parametrize("mode", EXERCISES)
@settings(max_examples=4, deadline=None)
@given(cuts=st.lists(st.integers(1, 6000), min_size=1, max_size=6))
def test_chunked_equals_per_frame(mode: str, cuts: list[int]) -> None:
    frames = _frames(mode) if mode != "arch_hold" else read_recording(EXAMPLES_DIR / "hold_9s.csv")
    one_by_one, ended = _per_frame(mode, frames)
    counter = make_counter(mode)
    bounds = sorted({0, len(frames), *(c % len(frames) for c in cuts)})
    finished = []
    for a, b in itertools.pairwise(bounds):
        finished += counter.feed(frames[a:b])
    finished += counter.finish()
    assert counter.records == one_by_one
    assert finished == one_by_one
    assert len(ended) == len(one_by_one)


def test_live_state_of_a_rep_mode() -> None:
    counter = make_counter("squat")
    events: list[str] = []
    docs = []
    for frame in _frames("squat"):
        state = counter.step(frame)
        events += [kind for kind, _ in state.events]
        docs.append(state.to_json())
    phases = {d["rep"]["phase"] for d in docs}
    assert phases == {"idle", "descent", "depth", "ascent"}
    assert events.count("rep_ended") == len(EXPECTED["squat"])
    assert events.count("rep_started") >= events.count("rep_ended")
    last = docs[-1]
    assert last["exercise"] == "squat"
    assert last["set"]["attempted"] == len(EXPECTED["squat"])
    assert last["last_rep"]["outcome"] == "faulty"
    assert {d["cue_key"] for d in docs} >= {"hold", "press_big_toe"}
    json.dumps(docs[:50])


def test_gap_drops_an_open_rep() -> None:
    frames = _frames("squat")
    counter = make_counter("squat")
    first_rep_end = analyze_exercise(frames, "squat").records[0].end_s
    middle = [f for f in frames if f.t_s < first_rep_end - 1.0]
    counter.feed(middle)
    counter.gap()
    counter.feed([f for f in frames if f.t_s >= first_rep_end + 0.5])
    counter.finish()
    assert len(counter.records) == len(EXPECTED["squat"]) - 1


def test_rep_record_round_trip_and_validation() -> None:
    rep = analyze_exercise(_frames("lunge"), "lunge").records[2]
    assert Rep.from_dict(json.loads(json.dumps(rep.to_dict()))) == rep
    with pytest.raises(ValueError, match="outcome must be one of correct, faulty"):
        Rep.from_dict({**rep.to_dict(), "outcome": "short"})
    with pytest.raises(ValueError, match="lacks ml_shift"):
        Rep.from_dict({k: v for k, v in rep.to_dict().items() if k != "ml_shift"})


def test_rep_score_formula() -> None:
    kw = {"min_share": 0.1, "ml_shift_limit": 0.2, "tempo_s": 4.0}
    assert rep_score(False, 0.2, 0.0, 4.0, **kw) == 100.0
    assert rep_score(True, 0.2, 0.0, 4.0, **kw) == 60.0
    assert rep_score(False, 0.1, 0.0, 4.0, **kw) == 90.0
    assert rep_score(False, 0.2, 0.4, 4.0, **kw) == 75.0
    assert rep_score(False, 0.2, 0.0, 2.0, **kw) == 92.5


def test_rep_mode_thresholds_are_checked() -> None:
    with pytest.raises(SettingsError, match="0 < end < start < leave < top < 1"):
        RepMode("x", "X", ("a", "b", "c"), 10.0, 0.1, start=0.7, top=0.6)


def test_analyze_cli_exercise_json(capsys: pytest.CaptureFixture[str]) -> None:
    for mode in ("sit_to_stand", "squat", "lunge"):
        path = EXAMPLES_DIR / example_name(mode)
        assert main(["analyze", str(path), "--exercise", mode, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["exercise"] == mode
        assert [r["outcome"] for r in doc["reps"]] == [e[0] for e in EXPECTED[mode]]
        assert doc["faulty"] == sum(1 for e in EXPECTED[mode] if e[0] == "faulty")
        assert doc["settings"]["exercise"] == mode
    band = EXAMPLES_DIR / example_name("band_hold")
    assert main(["analyze", str(band), "--exercise", "band_hold", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [h["pulls"] for h in doc["holds"]] == [p for _, p, _ in EXPECTED_BAND]


def test_analyze_cli_exercise_table_and_bad_mode(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / example_name("lunge")
    assert main(["analyze", str(path), "--exercise", "lunge", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "lunge: 6 correct, 2 faulty of 8 reps; sets [5, 3]" in out
    assert "little_toe in peak" in out
    with pytest.raises(SystemExit):
        main(["analyze", str(path), "--exercise", "plank"])
    assert "invalid choice" in capsys.readouterr().err


def _pulses(count: int, trough: float) -> list[Frame]:
    """A lunge stance of 200 N, then ``count`` pulls to 280 N that fall back only to
    ``trough`` of the excursion between them (a quick rhythm)."""
    frames = [Frame(k / 100, 90.0, 40.0, 70.0) for k in range(300)]
    t0 = 3.0
    for k in range(int(count * 150)):
        phase = (k % 150) / 150
        up = 1.0 - abs(2.0 * phase - 1.0)  # 0 -> 1 -> 0 in each 1.5 s pull
        first, last = k < 75, k >= count * 150 - 75
        low = 0.0 if (first or last) else trough
        total = 200.0 + 80.0 * (low + (1.0 - low) * up)
        frames.append(Frame(t0 + k / 100, 0.45 * total, 0.2 * total, 0.35 * total))
    end = frames[-1].t_s
    frames += [Frame(end + (k + 1) / 100, 90.0, 40.0, 70.0) for k in range(300)]
    return frames


def test_quick_lunge_rhythm_is_split_at_the_dips() -> None:
    frames = _pulses(6, trough=0.25)
    assert len(analyze_exercise(frames, "lunge").records) == 6
    merged = RepCounter(dataclasses.replace(lunge.MODE, split_rebounds=False))
    merged.feed(frames)
    assert len(merged.records) < 6
    # A plateau wobble near the top is no dip: one long pull stays one rep.
    assert len(analyze_exercise(_pulses(1, trough=0.0), "lunge").records) == 1


def test_steps_are_not_reps() -> None:
    # Walking about between sets for 20 s: 0.6 s load pulses from 20 N to 300 N.
    frames = []
    for k in range(2000):
        phase = (k % 60) / 60
        total = 20.0 + 280.0 * (1.0 - abs(2.0 * phase - 1.0))
        frames.append(Frame(k / 100, 0.45 * total, 0.2 * total, 0.35 * total))
    for mode in ("sit_to_stand", "squat", "lunge"):
        counter = make_counter(mode)
        events = [kind for f in frames for kind, _ in counter.step(f).events]
        assert counter.records == [], mode
        assert "rep_discarded" in events
