"""What the live view of the rep modes and the band hold sends per frame (the SSE ``frame``)."""

from __future__ import annotations

from typing import Any

from insole.exercises import make_counter
from insole.exercises.band_hold import BandState
from insole.exercises.examples import EXAMPLES
from insole.sim_script import Script
from insole.simulator import SimulatedFoot


def frames_of(text: str, seed: int = 0) -> list[Any]:
    return list(SimulatedFoot(Script.parse(text), seed).frames(100.0))


def live(mode: str, text: str, seed: int = 0) -> list[dict[str, Any]]:
    counter = make_counter(mode)
    return [counter.step(frame).to_json() for frame in frames_of(text, seed)]


def test_the_current_rep_says_where_and_which_point_lost_the_tripod() -> None:
    seen = live("squat", "stand 4; squat 5; stand 2; squat 5 lift big_toe@top; stand 3")
    lost = [f["rep"] for f in seen if not f["rep"]["tripod_ok"]]
    assert lost, "the lifted big toe must show in the live view"
    assert {(r["lost_phase"], r["lost_point"]) for r in lost} == {("depth", "big_toe")}
    clean = [f["rep"] for f in seen if f["rep"]["phase"] != "idle" and f["rep"]["tripod_ok"]]
    assert clean
    assert all(r["lost_phase"] is None and r["lost_point"] is None for r in clean)
    assert {f["rep"]["phase"] for f in seen} == {"idle", "descent", "depth", "ascent"}
    last = seen[-1]["last_rep"]
    assert (last["outcome"], last["lost_phase"]) == ("faulty", "depth")
    assert last["lost_point"] == "big_toe"
    # Between reps nothing is lost: the next rep starts clean.
    assert seen[-1]["rep"] == {**seen[-1]["rep"], "phase": "idle", "tripod_ok": True,
                               "lost_phase": None, "lost_point": None}


def test_the_band_hold_sends_its_pulls_live() -> None:
    text, seed = EXAMPLES["band_hold"]
    counter = make_counter("band_hold")
    states = [counter.step(frame) for frame in frames_of(text, seed)]
    assert all(isinstance(s, BandState) for s in states)
    seen = [s.to_json() for s in states]
    assert {f["exercise"] for f in seen} == {"band_hold"}
    pulling = [f["band"] for f in seen if f["band"]["in_pull"]]
    assert pulling
    assert max(b["pull_depth"] for b in pulling) > 0.12
    # Resisted pulls count up within the first hold (five are scripted), then restart.
    first_hold = [f["band"]["pulls"] for f in seen if f["hold"]["state"] != "idle"]
    assert max(first_hold) == 5
    assert seen[-1]["band"]["pulls"] == 0
    # After a hold the last hold carries the band figures (the arch-hold fields plus pulls).
    last = seen[-1]["last_hold"]
    assert (last["outcome"], last["pulls"], last["snapped"]) == ("short", 2, True)
    # The wrapper answers like the arch hold's live state (what the monitor reads).
    state, inner = states[500], states[500].live
    assert (state.t_s, state.total_n, state.balanced, state.off_point, state.hold_state) == (
        inner.t_s, inner.total_n, inner.balanced, inner.off_point, inner.hold_state
    )
    assert state.forces_n == inner.forces_n
    assert state.events == inner.events


def test_the_band_figures_match_the_bulk_count() -> None:
    text, seed = EXAMPLES["band_hold"]
    live_counter = make_counter("band_hold")
    for frame in frames_of(text, seed):
        live_counter.step(frame)
    bulk = make_counter("band_hold")
    bulk.feed(frames_of(text, seed))
    assert [r.to_dict() for r in live_counter.records] == [r.to_dict() for r in bulk.records]
