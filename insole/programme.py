"""The guided programme as data: warm-up, exercises with sets, reps, holds and rests, cool-down.

The default follows the source article (a runner's programme against medial knee pain):

* warm-up checklist: fascia roller on the front and the outside of the thighs, then the
  movement preparation (one-leg stand, knee pulled to the chest);
* exercises in order: arch hold (5-10 holds of 8-10 s), sit-to-stand with a stable arch,
  slow barefoot squat, arch stability with a resistance band, lunge with a band (3 sets
  of 20-25);
* cool-down checklist: stretch the front of the thigh, roll the sole over a ball.

The article gives no sets or reps for the sit-to-stand, squat and band hold; the defaults
(2 x 8, 2 x 8, 1 x 5 holds of 10 s) are a starting point for the physiotherapist to edit.
Per-runner targets (``Programme.with_targets``) override a step's ``sets``, ``reps``,
``hold_s``, ``rest_s``. Everything is validated with messages that name the field by its
path (``steps[4].reps``) and what is allowed.

:class:`GuidedSession` walks a programme stage by stage (checklist item, set, rest timer)
with time passed in, so the dashboard can show "Set 2 of 3 - 12 s rest left".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from insole.errors import InsoleError
from insole.settings import EXERCISES, Settings

HOLD_MODES = ("arch_hold", "band_hold")
"""Modes whose reps are holds (they need ``hold_s``)."""

LIMITS: dict[str, tuple[float, float]] = {
    "sets": (1, 10),
    "reps": (1, 100),
    "hold_s": (1.0, 120.0),
    "rest_s": (0.0, 600.0),
}
"""Allowed range of each step field."""
TARGET_FIELDS = tuple(LIMITS)
MAX_CHECKLIST = 30
MAX_STEPS = 30


class ProgrammeError(InsoleError, ValueError):
    """A programme or a runner's targets are invalid; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class ChecklistItem:
    """One warm-up or cool-down item (``key`` for translations, ``text`` in English)."""

    key: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {"key": self.key, "text": self.text}


@dataclass(frozen=True)
class ExerciseStep:
    """One exercise of the programme: ``sets`` x ``reps`` with ``rest_s`` between sets.

    For hold modes each rep is a hold of ``hold_s``; rep modes have no ``hold_s``.
    """

    mode: str
    sets: int
    reps: int
    rest_s: float
    hold_s: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "mode": self.mode,
            "sets": self.sets,
            "reps": self.reps,
            "rest_s": self.rest_s,
            "hold_s": self.hold_s,
            "note": self.note,
        }


@dataclass(frozen=True)
class Programme:
    """Warm-up checklist, exercise steps in order, cool-down checklist."""

    warm_up: tuple[ChecklistItem, ...]
    steps: tuple[ExerciseStep, ...]
    cool_down: tuple[ChecklistItem, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``Programme.from_dict`` reads it back)."""
        return {
            "warm_up": [i.to_dict() for i in self.warm_up],
            "steps": [s.to_dict() for s in self.steps],
            "cool_down": [i.to_dict() for i in self.cool_down],
        }

    @classmethod
    def from_dict(cls, data: object) -> Programme:
        """A validated programme from a dictionary (a physiotherapist's edit)."""
        if not isinstance(data, Mapping):
            raise ProgrammeError("programme", "must be an object with warm_up, steps, cool_down")
        unknown = sorted(set(data) - {"warm_up", "steps", "cool_down"})
        if unknown:
            raise ProgrammeError(unknown[0], "unknown field; allowed: warm_up, steps, cool_down")
        steps_data = data.get("steps")
        if not isinstance(steps_data, list) or not steps_data:
            raise ProgrammeError("steps", "must be a non-empty list of exercises")
        if len(steps_data) > MAX_STEPS:
            raise ProgrammeError("steps", f"at most {MAX_STEPS} exercises, got {len(steps_data)}")
        return cls(
            _checklist("warm_up", data.get("warm_up", [])),
            tuple(_step(f"steps[{i}]", s) for i, s in enumerate(steps_data)),
            _checklist("cool_down", data.get("cool_down", [])),
        )

    def with_targets(self, targets: Mapping[str, Any]) -> Programme:
        """A copy with a runner's targets applied (``{mode: {field: value}}``)."""
        checked = check_targets(targets)
        steps = []
        for i, step in enumerate(self.steps):
            changes = checked.get(step.mode, {})
            if "hold_s" in changes and step.mode not in HOLD_MODES:
                raise ProgrammeError(f"targets.{step.mode}.hold_s", "only hold modes have a hold")
            merged = {**step.to_dict(), **changes}
            steps.append(_step(f"steps[{i}]", merged))
        return replace(self, steps=tuple(steps))

    def step_for(self, mode: str) -> ExerciseStep | None:
        """The first step of ``mode`` (``None`` if the programme lacks it)."""
        return next((s for s in self.steps if s.mode == mode), None)


def step_settings(step: ExerciseStep, settings: Settings) -> dict[str, Any]:
    """The settings a set of ``step`` is counted with, as changes to ``settings``.

    The step's reps are the rep target (``set_done_at`` follows it down) and, for hold
    modes, its hold time is the hold target.
    """
    changes: dict[str, Any] = {
        "rep_target": step.reps,
        "set_done_at": min(settings.set_done_at, step.reps),
    }
    if step.hold_s is not None:
        changes["hold_target_s"] = step.hold_s
    return changes


def check_targets(targets: object) -> dict[str, dict[str, float | int]]:
    """Validate a runner's targets: ``{mode: {sets|reps|hold_s|rest_s: number}}``."""
    if not isinstance(targets, Mapping):
        raise ProgrammeError("targets", "must be an object of exercise modes to targets")
    checked: dict[str, dict[str, float | int]] = {}
    for mode, fields in targets.items():
        if mode not in EXERCISES:
            raise ProgrammeError(
                f"targets.{mode}", f"unknown exercise; allowed: {', '.join(EXERCISES)}"
            )
        if not isinstance(fields, Mapping):
            raise ProgrammeError(f"targets.{mode}", "must be an object of fields to numbers")
        checked[mode] = {}
        for name, value in fields.items():
            if name not in LIMITS:
                raise ProgrammeError(
                    f"targets.{mode}.{name}", f"unknown target; allowed: {', '.join(TARGET_FIELDS)}"
                )
            if name == "hold_s" and mode not in HOLD_MODES:
                raise ProgrammeError(f"targets.{mode}.hold_s", "only hold modes have a hold")
            checked[mode][name] = _number(f"targets.{mode}.{name}", name, value)
    return checked


def _number(path: str, name: str, value: object) -> float | int:
    low, high = LIMITS[name]
    whole = name in ("sets", "reps")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProgrammeError(path, f"must be a number, got {value!r}")
    if whole and not float(value).is_integer():
        raise ProgrammeError(path, f"must be a whole number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ProgrammeError(path, f"must be from {low:g} to {high:g}, got {value!r}")
    return int(value) if whole else float(value)


def _checklist(path: str, items: object) -> tuple[ChecklistItem, ...]:
    if not isinstance(items, list):
        raise ProgrammeError(path, "must be a list of {key, text} items")
    if len(items) > MAX_CHECKLIST:
        raise ProgrammeError(path, f"at most {MAX_CHECKLIST} items, got {len(items)}")
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"key", "text"}:
            raise ProgrammeError(where, "must be an object with exactly 'key' and 'text'")
        key, text = item["key"], item["text"]
        if not isinstance(key, str) or not key.replace("_", "").isalnum():
            raise ProgrammeError(f"{where}.key", f"must be letters, digits and _, got {key!r}")
        if not isinstance(text, str) or not text.strip() or len(text) > 300:
            raise ProgrammeError(f"{where}.text", "must be text of 1 to 300 characters")
        out.append(ChecklistItem(key, text))
    return tuple(out)


def _step(path: str, data: object) -> ExerciseStep:
    if not isinstance(data, Mapping):
        raise ProgrammeError(path, "must be an object with mode, sets, reps, rest_s[, hold_s]")
    allowed = {"mode", "sets", "reps", "rest_s", "hold_s", "note"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProgrammeError(
            f"{path}.{unknown[0]}", f"unknown field; allowed: {', '.join(sorted(allowed))}"
        )
    mode = data.get("mode")
    if mode not in EXERCISES:
        raise ProgrammeError(f"{path}.mode", f"must be one of {', '.join(EXERCISES)}, got {mode!r}")
    for name in ("sets", "reps", "rest_s"):
        if name not in data:
            raise ProgrammeError(f"{path}.{name}", "is missing")
    hold = data.get("hold_s")
    if mode in HOLD_MODES and hold is None:
        raise ProgrammeError(f"{path}.hold_s", f"{mode} needs a hold time in seconds")
    if mode not in HOLD_MODES and hold is not None:
        raise ProgrammeError(f"{path}.hold_s", f"{mode} counts reps, it has no hold time")
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 300:
        raise ProgrammeError(f"{path}.note", "must be text of at most 300 characters")
    return ExerciseStep(
        mode=str(mode),
        sets=int(_number(f"{path}.sets", "sets", data["sets"])),
        reps=int(_number(f"{path}.reps", "reps", data["reps"])),
        rest_s=float(_number(f"{path}.rest_s", "rest_s", data["rest_s"])),
        hold_s=None if hold is None else float(_number(f"{path}.hold_s", "hold_s", hold)),
        note=note,
    )


DEFAULT_PROGRAMME = Programme.from_dict(
    {
        "warm_up": [
            {
                "key": "roll_front_thigh",
                "text": "Fascia roller, lying face down: roll the front "
                "of the thighs from the kneecap to the hip",
            },
            {
                "key": "roll_outer_thigh",
                "text": "Fascia roller, lying on the side: roll the "
                "outside of the thigh lengthwise, upper leg in front of the body",
            },
            {
                "key": "knee_to_chest",
                "text": "One-leg stand: pull the other knee to the chest "
                "with both hands and straighten the upper body",
            },
        ],
        "steps": [
            {
                "mode": "arch_hold",
                "sets": 1,
                "reps": 10,
                "hold_s": 8.0,
                "rest_s": 60.0,
                "note": "Sitting: press the outer heel and both balls of the foot down, 5-10 "
                "times for 8-10 s",
            },
            {
                "mode": "sit_to_stand",
                "sets": 2,
                "reps": 8,
                "rest_s": 60.0,
                "note": "Keep the arch tension, stand up slowly and sit back down; the knee "
                "must not drift in or out",
            },
            {
                "mode": "squat",
                "sets": 2,
                "reps": 8,
                "rest_s": 60.0,
                "note": "Barefoot, slowly; only as deep as the arch tension holds",
            },
            {
                "mode": "band_hold",
                "sets": 1,
                "reps": 5,
                "hold_s": 10.0,
                "rest_s": 60.0,
                "note": "Band under the outer heel and the big toe: keep it tensioned",
            },
            {
                "mode": "lunge",
                "sets": 3,
                "reps": 20,
                "rest_s": 90.0,
                "note": "Front knee at a right angle over the ankle; pull the band from inside "
                "low to outside high, 20-25 times",
            },
        ],
        "cool_down": [
            {
                "key": "stretch_front_thigh",
                "text": "Stretch the front of the thigh, lying on the side or standing",
            },
            {
                "key": "roll_sole",
                "text": "Roll the sole of the foot over a fascia ball or tennis ball",
            },
        ],
    }
)
"""The article's programme (see the module docstring for the defaults it does not give)."""


@dataclass(frozen=True)
class Stage:
    """Where a guided session stands.

    ``kind`` is ``warm_up`` / ``cool_down`` (a checklist item), ``set`` (do set
    ``set_number`` of ``step``), ``rest`` (wait ``rest_s`` after a set), or ``done``.
    """

    kind: str
    index: int
    item: ChecklistItem | None = None
    step: ExerciseStep | None = None
    step_index: int | None = None
    set_number: int | None = None
    rest_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "index": self.index,
            "item": None if self.item is None else self.item.to_dict(),
            "step": None if self.step is None else self.step.to_dict(),
            "step_index": self.step_index,
            "set_number": self.set_number,
            "rest_s": self.rest_s,
        }


class GuidedSession:
    """Walks a programme stage by stage; time is passed in.

    ``current`` is the stage; ``complete(t_s)`` ends it (an item ticked, a set finished);
    a rest ends by itself once ``rest_s`` has passed (``tick(t_s)``) or early with
    ``complete``; ``rest_left_s(t_s)`` is the countdown.
    """

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.stages = _stages(programme)
        self.position = 0
        self._entered_s: float | None = None

    @property
    def current(self) -> Stage:
        """The stage the runner is at."""
        return self.stages[self.position]

    @property
    def done(self) -> bool:
        """Whether the whole programme is through."""
        return self.current.kind == "done"

    def start(self, t_s: float) -> Stage:
        """Begin (or restart the clock of) the current stage at ``t_s``."""
        self._entered_s = t_s
        return self.current

    def complete(self, t_s: float) -> Stage:
        """End the current stage and enter the next one at ``t_s``."""
        if not self.done:
            self.position += 1
        self._entered_s = t_s
        return self.current

    def rest_left_s(self, t_s: float) -> float:
        """Seconds of rest left (0 outside a rest)."""
        stage = self.current
        if stage.kind != "rest" or self._entered_s is None:
            return 0.0
        return max(0.0, stage.rest_s - (t_s - self._entered_s))

    def tick(self, t_s: float) -> Stage:
        """Advance past a rest whose time is up; returns the current stage."""
        entered = self._entered_s
        if (
            self.current.kind == "rest"
            and entered is not None
            and t_s - entered >= self.current.rest_s
        ):
            self.position += 1
            self._entered_s = t_s
        return self.current


def _stages(programme: Programme) -> tuple[Stage, ...]:
    stages: list[Stage] = []
    for item in programme.warm_up:
        stages.append(Stage("warm_up", len(stages), item=item))
    last_step = len(programme.steps) - 1
    for si, step in enumerate(programme.steps):
        for n in range(1, step.sets + 1):
            stages.append(Stage("set", len(stages), step=step, step_index=si, set_number=n))
            final = si == last_step and n == step.sets
            if step.rest_s > 0 and not final:
                stages.append(
                    Stage(
                        "rest",
                        len(stages),
                        step=step,
                        step_index=si,
                        set_number=n,
                        rest_s=step.rest_s,
                    )
                )
    for item in programme.cool_down:
        stages.append(Stage("cool_down", len(stages), item=item))
    stages.append(Stage("done", len(stages)))
    return tuple(stages)
