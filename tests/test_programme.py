"""The guided programme: the article's default, validation, runner targets, stages."""

from __future__ import annotations

from typing import Any

import pytest

from insole.programme import (
    DEFAULT_PROGRAMME,
    GuidedSession,
    Programme,
    ProgrammeError,
    check_targets,
)


def test_default_follows_the_article() -> None:
    p = DEFAULT_PROGRAMME
    assert [s.mode for s in p.steps] == ["arch_hold", "sit_to_stand", "squat", "band_hold", "lunge"]
    arch = p.step_for("arch_hold")
    assert arch is not None
    assert arch.hold_s == 8.0
    assert arch.reps == 10
    lunge = p.step_for("lunge")
    assert lunge is not None
    assert (lunge.sets, lunge.reps) == (3, 20)
    assert [i.key for i in p.warm_up] == ["roll_front_thigh", "roll_outer_thigh", "knee_to_chest"]
    assert [i.key for i in p.cool_down] == ["stretch_front_thigh", "roll_sole"]
    assert Programme.from_dict(p.to_dict()) == p


def _edit(**step_changes: Any) -> dict[str, Any]:
    data = DEFAULT_PROGRAMME.to_dict()
    data["steps"][4].update(step_changes)
    return data


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (_edit(reps=0), "steps[4].reps", "must be from 1 to 100, got 0"),
        (_edit(sets=2.5), "steps[4].sets", "must be a whole number"),
        (_edit(rest_s="long"), "steps[4].rest_s", "must be a number"),
        (_edit(mode="plank"), "steps[4].mode", "must be one of arch_hold"),
        (_edit(hold_s=5.0), "steps[4].hold_s", "lunge counts reps, it has no hold time"),
        (_edit(speed=3), "steps[4].speed", "unknown field"),
        ({"steps": []}, "steps", "non-empty list"),
        (
            {"steps": [{"mode": "arch_hold", "sets": 1, "reps": 5, "rest_s": 0}]},
            "steps[0].hold_s",
            "arch_hold needs a hold time",
        ),
        (
            {**DEFAULT_PROGRAMME.to_dict(), "warm_up": [{"key": "x y", "text": "t"}]},
            "warm_up[0].key",
            "letters, digits and _",
        ),
        ({**DEFAULT_PROGRAMME.to_dict(), "extra": 1}, "extra", "unknown field"),
    ],
)
def test_validation_names_the_field(data: Any, path: str, message: str) -> None:
    with pytest.raises(ProgrammeError, match=message) as info:
        Programme.from_dict(data)
    assert info.value.path == path


def test_runner_targets_override_steps() -> None:
    mine = DEFAULT_PROGRAMME.with_targets(
        {"arch_hold": {"reps": 6, "hold_s": 10}, "lunge": {"reps": 25, "rest_s": 120}}
    )
    arch, lunge = mine.step_for("arch_hold"), mine.step_for("lunge")
    assert arch is not None
    assert (arch.reps, arch.hold_s) == (6, 10.0)
    assert lunge is not None
    assert (lunge.sets, lunge.reps, lunge.rest_s) == (3, 25, 120.0)
    assert mine.step_for("squat") == DEFAULT_PROGRAMME.step_for("squat")
    with pytest.raises(ProgrammeError, match="only hold modes have a hold"):
        check_targets({"squat": {"hold_s": 5}})
    with pytest.raises(ProgrammeError, match="unknown target; allowed: sets, reps, hold_s, rest_s"):
        check_targets({"squat": {"depth": 5}})
    with pytest.raises(ProgrammeError, match=r"targets\.lunge\.reps: must be from 1 to 100"):
        check_targets({"lunge": {"reps": 500}})


def test_guided_session_walks_items_sets_and_rests() -> None:
    programme = Programme.from_dict(
        {
            "warm_up": [{"key": "roll", "text": "Roll"}],
            "steps": [
                {"mode": "arch_hold", "sets": 2, "reps": 5, "hold_s": 8, "rest_s": 30},
                {"mode": "lunge", "sets": 1, "reps": 20, "rest_s": 60},
            ],
            "cool_down": [{"key": "stretch", "text": "Stretch"}],
        }
    )
    g = GuidedSession(programme)
    kinds = [s.kind for s in g.stages]
    assert kinds == ["warm_up", "set", "rest", "set", "rest", "set", "cool_down", "done"]
    assert g.start(0.0).kind == "warm_up"
    assert g.complete(5.0).set_number == 1
    rest = g.complete(60.0)
    assert rest.kind == "rest"
    assert rest.rest_s == 30.0
    assert g.rest_left_s(70.0) == 20.0
    assert g.tick(89.0).kind == "rest"
    nxt = g.tick(90.0)
    assert (nxt.kind, nxt.set_number) == ("set", 2)
    g.complete(150.0)  # into the rest before the lunge
    lunge = g.complete(155.0)  # rest cut short
    assert lunge.step is not None
    assert lunge.step.mode == "lunge"
    g.complete(200.0)
    assert g.complete(210.0).kind == "done"
    assert g.done
    assert g.complete(211.0).kind == "done"
    assert g.current.to_dict()["kind"] == "done"
