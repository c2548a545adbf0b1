"""What every exercise mode offers, and the records and cues the modes share.

An exercise counter (:class:`ExerciseCounter`) takes frames one at a time (``step``, for
the live view) or in bulk (``feed``, for ``analyze``); both run the same per-frame code,
so a recording gives identical records whichever way it is fed. Time always comes in the
frames: a counter never reads the clock.

Two kinds of mode exist:

* hold modes (``arch_hold``, ``band_hold``) produce hold records
  (:class:`insole.records.Hold`, plus band figures for the band hold);
* rep modes (``sit_to_stand``, ``squat``, ``lunge``) produce :class:`Rep` records.

Every record has ``start_s``, ``end_s``, ``duration_s``, ``outcome``, ``score`` and
``to_dict()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from insole.balance import CUES
from insole.calibration import Calibration
from insole.frames import Frame, VoltsFrame
from insole.holds import Event
from insole.records import record_values
from insole.sensor_model import Divider
from insole.settings import Settings

REP_OUTCOMES = ("correct", "faulty")
KNEE_DRIFTS = ("in", "out")

EXERCISE_CUES: dict[str, str] = {
    **CUES,
    "knee_in": "Keep the knee from drifting inwards",
    "knee_out": "Keep the knee from drifting outwards",
}
"""Every cue key a mode may give, with its English text (the arch-hold cues plus the
rep modes' knee cues); the dashboard translates by key."""


class Record(Protocol):
    """What every finished hold or rep offers."""

    @property
    def start_s(self) -> float:
        """Start of the hold or rep (seconds, frame time)."""

    @property
    def end_s(self) -> float:
        """End of the hold or rep."""

    @property
    def duration_s(self) -> float:
        """``end_s - start_s``."""

    @property
    def outcome(self) -> str:
        """``correct``, or ``short`` (holds) / ``faulty`` (reps)."""

    @property
    def score(self) -> float:
        """Quality 0..100 (formula in the mode's module)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""


class LiveView(Protocol):
    """One frame's state for the live view."""

    @property
    def t_s(self) -> float:
        """Frame time."""

    @property
    def total_n(self) -> float:
        """Smoothed total load on the three points."""

    @property
    def forces_n(self) -> tuple[float, float, float]:
        """Smoothed forces in ``SENSORS`` order."""

    @property
    def balanced(self) -> bool:
        """Whether the tripod rule holds at this frame."""

    @property
    def off_point(self) -> str | None:
        """The point furthest from its requirement when not balanced."""

    @property
    def events(self) -> tuple[Event, ...]:
        """Events raised by this frame (``hold_ended``, ``rep_ended``, ``set_done`` ...)."""

    def to_json(self, set_running: bool = True) -> dict[str, Any]:
        """The ``frame`` event sent to the dashboard."""


class ExerciseCounter(Protocol):
    """One mode's rule and counter for one foot (see the module docstring)."""

    mode: str
    settings: Settings

    def step(self, frame: Frame) -> LiveView:
        """Process one frame of forces (newtons)."""

    def step_volts(self, frame: VoltsFrame) -> LiveView:
        """Process one frame of divider voltages (through the calibration)."""

    def feed(self, frames: Iterable[Frame]) -> list[Any]:
        """Process frames in bulk; returns the records that finished among them."""

    def gap(self) -> list[Event]:
        """The data stopped: nothing may be counted across the gap."""

    def finish(self) -> list[Any]:
        """End of the data: close what is open; returns records finished by it."""

    def new_set(self) -> None:
        """Start counting a new set."""

    @property
    def records(self) -> list[Any]:
        """Every record finished since the set started."""

    def summary(self) -> dict[str, Any]:
        """Counts and mean score of the records so far (JSON-ready)."""


def default_calibration(settings: Settings, calibration: Calibration | None) -> Calibration:
    """The given calibration, or the uncalibrated default for the settings' divider."""
    return calibration or Calibration(divider=Divider(settings.supply_v, settings.r_fixed_ohm))


def summarise(records: Iterable[Any], faulty: str) -> dict[str, Any]:
    """Counts of ``correct`` and ``faulty`` (or ``short``) records and their mean score."""
    items = list(records)
    correct = sum(1 for r in items if r.outcome == "correct")
    mean = round(sum(r.score for r in items) / len(items), 1) if items else None
    return {
        "attempted": len(items),
        "correct": correct,
        faulty: len(items) - correct,
        "mean_score": mean,
    }


@dataclass(frozen=True, slots=True)
class Rep:
    """One finished rep of a rep mode (fields: ``docs/exercises.md``)."""

    start_s: float
    end_s: float
    duration_s: float
    outcome: str
    set_index: int
    base_n: float
    peak_n: float
    min_share_heel: float
    min_share_little_toe: float
    min_share_big_toe: float
    ml_shift: float
    knee_drift: str | None
    lost_phase: str | None
    lost_point: str | None
    lost_at_s: float | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary with the documented field names."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rep:
        """Rebuild a rep from ``to_dict`` output (extra keys are ignored)."""
        values = record_values(cls, data, "rep")
        if values["outcome"] not in REP_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(REP_OUTCOMES)}")
        if values["knee_drift"] not in (None, *KNEE_DRIFTS):
            raise ValueError(f"knee_drift must be null or one of {', '.join(KNEE_DRIFTS)}")
        values["set_index"] = int(values["set_index"])
        return cls(**values)


REP_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Rep))
