import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insole.frames import Frame, VoltsFrame
from insole.pipeline import Pipeline
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.smoothing import LowPass
from tests.scripted import HOLD, REST, scripted

forces = st.tuples(*(st.floats(0.0, 80.0) for _ in range(3)))
segments = st.lists(st.tuples(st.floats(0.05, 12.0), forces), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(segments, st.lists(st.integers(1, 700), min_size=1, max_size=30), st.floats(20.0, 200.0))
def test_frame_by_frame_and_chunks_give_identical_holds(
    segs: list, cuts: list[int], rate_hz: float
) -> None:
    frames = scripted(segs, rate_hz)
    whole = Pipeline()
    for frame in frames:
        whole.step(frame)
    whole.finish()
    chunked = Pipeline()
    i = 0
    for size in cuts * (len(frames) // max(1, sum(cuts)) + 1):
        if i >= len(frames):
            break
        chunked.feed(frames[i : i + size])
        i += size
    chunked.feed(frames[i:])
    chunked.finish()
    assert chunked.holds == whole.holds


def test_live_state_json_matches_the_documented_shape() -> None:
    p = Pipeline()
    state = None
    for frame in scripted([(1, REST), (3, HOLD)]):
        state = p.step(frame)
    assert state is not None
    doc = state.to_json()
    assert set(doc) == {"t_s", "forces_n", "total_n", "shares", "cop_mm", "cop_tri",
                        "balanced", "off_point", "cue_key", "cue", "hold", "set", "last_hold"}
    assert doc["hold"]["state"] == "holding"
    assert doc["hold"]["elapsed_s"] == pytest.approx(3.0, abs=0.2)
    assert sum(doc["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert doc["balanced"] is True


def test_volts_path_equals_newton_path() -> None:
    curve, div = FsrCurve(), Divider()
    frames = scripted([(1, REST), (9, HOLD), (2, REST)])
    by_force = Pipeline()
    by_force.feed(frames)
    by_volts = Pipeline()
    for f in frames:
        by_volts.step_volts(VoltsFrame(f.t_s, *(force_to_volts(x, curve, div) for x in f[1:])))
    assert len(by_force.holds) == len(by_volts.holds) == 1
    assert by_volts.holds[0].duration_s == pytest.approx(by_force.holds[0].duration_s, abs=0.02)


def test_low_pass_follows_a_step_with_the_right_time_constant() -> None:
    lp = LowPass(3.0)
    lp.update(0.0, 0.0, 0.0, 0.0)
    tau = 1 / (2 * math.pi * 3.0)
    t, y = 0.0, 0.0
    while t < tau - 1e-9:
        t += 0.001
        y = lp.update(t, 1.0, 1.0, 1.0)[0]
    assert y == pytest.approx(1 - math.exp(-1), abs=0.01)


def test_low_pass_copes_with_uneven_spacing_and_gaps() -> None:
    lp = LowPass(3.0)
    even = [lp.update(i * 0.01, 10.0, 0.0, 0.0)[0] for i in range(100)]
    lp2 = LowPass(3.0)
    lp2.update(0.0, 0.0, 0.0, 0.0)
    uneven = lp2.update(0.5, 10.0, 0.0, 0.0)[0]
    assert even[-1] == pytest.approx(10.0)
    assert 8.0 < uneven < 10.0  # one long step moves most of the way, not past
    assert lp2.update(5.0, 3.0, 0.0, 0.0) == (3.0, 0.0, 0.0)  # after a gap: restart


def test_new_set_restarts_counting() -> None:
    p = Pipeline()
    p.feed(scripted([(1, REST), (9, HOLD), (2, REST)]))
    assert p.tally.correct == 1
    p.new_set()
    assert (p.tally.correct, p.tally.attempted, p.holds) == (0, 0, [])
    p.feed([Frame(20.0 + f.t_s, *f[1:]) for f in scripted([(1, REST), (5, HOLD), (2, REST)])])
    assert (p.tally.correct, p.tally.attempted) == (0, 1)
