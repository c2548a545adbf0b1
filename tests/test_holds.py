"""Hold counting on exact scripted sequences (smoothing makes edges lag by ~0.1 s)."""

import pytest

from insole.pipeline import Pipeline
from insole.settings import Settings
from tests.scripted import BIG_TOE_UP, HOLD, REST, scripted


def run(segments: list, **settings: object) -> Pipeline:
    p = Pipeline(Settings.from_dict(settings))
    p.feed(scripted(segments))
    p.finish()
    return p


def test_nine_second_hold_is_correct_and_five_is_short() -> None:
    p = run([(2, REST), (9, HOLD), (3, REST), (5, HOLD), (3, REST)])
    assert [h.outcome for h in p.holds] == ["correct", "short"]
    assert p.holds[0].duration_s == pytest.approx(9.0, abs=0.15)
    assert p.holds[1].duration_s == pytest.approx(5.0, abs=0.15)
    assert (p.tally.correct, p.tally.attempted) == (1, 2)


def test_one_long_hold_counts_once() -> None:
    p = run([(1, REST), (30, HOLD), (2, REST)])
    assert len(p.holds) == 1
    assert p.holds[0].outcome == "correct"
    assert p.holds[0].duration_s == pytest.approx(30.0, abs=0.15)


def test_loss_shorter_than_grace_is_a_wobble_not_an_end() -> None:
    p = run([(1, REST), (4, HOLD), (0.2, BIG_TOE_UP), (5, HOLD), (2, REST)])
    assert len(p.holds) == 1
    assert p.holds[0].wobbles == 1
    assert p.holds[0].outcome == "correct"
    assert p.holds[0].min_share_big_toe < 0.1


def test_loss_longer_than_grace_ends_the_hold() -> None:
    p = run([(1, REST), (4, HOLD), (1.0, BIG_TOE_UP), (5, HOLD), (2, REST)])
    assert [h.outcome for h in p.holds] == ["short", "short"]


def test_grace_time_is_a_setting() -> None:
    p = run([(1, REST), (4, HOLD), (1.0, BIG_TOE_UP), (5, HOLD), (2, REST)], grace_s=2.0)
    assert len(p.holds) == 1
    assert p.holds[0].wobbles == 1


def test_entry_debounce_ignores_a_flash_of_balance() -> None:
    p = run([(1, REST), (0.15, HOLD), (2, REST)])
    assert p.holds == []


def test_light_load_is_not_a_hold() -> None:
    p = run([(1, REST), (10, (4.0, 2.0, 3.0)), (1, REST)])
    assert p.holds == []


def test_gap_ends_the_hold_at_the_last_good_frame() -> None:
    p = Pipeline()
    frames = scripted([(1, REST), (5, HOLD)])
    p.feed(frames)
    events = p.gap()
    assert [kind for kind, _ in events] == ["hold_ended"]
    assert p.holds[0].end_s == pytest.approx(frames[-1].t_s)
    later = [f._replace(t_s=f.t_s + 10.0) for f in scripted([(5, HOLD), (2, REST)])]
    p.feed(later)
    p.finish()
    assert len(p.holds) == 2
    assert p.holds[1].start_s >= 10.0


def test_set_done_event_when_rep_target_reached() -> None:
    p = Pipeline(Settings(rep_target=2, set_done_at=1))
    states = [p.step(f) for f in scripted([(1, REST), (9, HOLD), (2, REST), (9, HOLD), (2, REST)])]
    kinds = [k for s in states for k, _ in s.events]
    assert kinds.count("hold_started") == 2
    assert kinds.count("hold_target_reached") == 2
    assert kinds.count("hold_ended") == 2
    assert kinds.count("set_done") == 1
    assert states[-1].cue_key == "set_done"
    ended = [d for s in states for k, d in s.events if k == "hold_ended"]
    assert (ended[-1]["correct"], ended[-1]["attempted"]) == (2, 2)


def test_personal_target_band() -> None:
    target = {"heel": 0.45, "little_toe": 0.20, "big_toe": 0.35}
    p = run([(1, REST), (9, HOLD), (2, REST), (9, (70.0, 15.0, 15.0)), (2, REST)],
            personal_target=target, target_tolerance=0.05)
    assert len(p.holds) == 1
    assert p.holds[0].in_band_share == pytest.approx(1.0)
    assert p.holds[0].mean_share_dev < 0.01


def test_quality_penalises_wobbles() -> None:
    steady = run([(1, REST), (9, HOLD), (2, REST)]).holds[0]
    shaky = run([(1, REST), (3, HOLD), (0.2, BIG_TOE_UP), (3, HOLD), (0.2, BIG_TOE_UP),
                 (3, HOLD), (2, REST)]).holds[0]
    assert shaky.wobbles == 2
    assert shaky.score < steady.score
    assert 0.0 <= shaky.score <= 100.0
