"""Runner profiles for the dashboard: the one place pages and the JSON API change them.

Profiles live in the session log (``insole.runners.Runners``); the runner in force lives
in the monitor (``Monitor.select_runner``). Changing a profile here keeps the two in
step: an edit of the current runner is re-read by the monitor, and deleting the current
runner first sets the monitor back to nobody (refused while their set runs).

The programme editor stores as a runner's targets only the fields that differ from the
article's programme (``insole.programme.DEFAULT_PROGRAMME``), so "reset to default" is an
empty target set and later changes of the default reach everyone who kept it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from dashboard.forms import row_id
from dashboard.review_data import WeekRow, weekly
from insole.exercises import MODES
from insole.programme import (
    DEFAULT_PROGRAMME,
    LIMITS,
    TARGET_FIELDS,
    ExerciseStep,
    Programme,
    check_targets,
)
from insole.runners import Runner, Runners
from insole.settings import EXERCISES

INTEGER_FIELDS = ("sets", "reps")
"""Programme fields that take whole numbers."""


class RunnerBusyError(Exception):
    """The runner's set is running: they cannot be deleted or switched away from now."""


def attached_monitor() -> Any:
    """The running device, or ``None`` for a review-only dashboard."""
    return current_app.extensions.get("insole_monitor")


def current_runner_id() -> int | None:
    """Id of the runner in force on the device (``None``: nobody, or no device)."""
    monitor = attached_monitor()
    runner = None if monitor is None else monitor.runner
    return None if runner is None else runner.id


def set_running() -> bool:
    """Whether the device is recording a set (switching runner is refused then)."""
    monitor = attached_monitor()
    return bool(monitor is not None and monitor.status()["set"]["running"])


def add_runner(log: Any, name: str, foot: str, targets: object = None) -> Runner:
    """Validate and store a new runner (``SettingsError``/``ProgrammeError``/``LogInputError``)."""
    # Checked as sent: ``dict(targets)`` of a list was a TypeError (a 500), not a message.
    checked = check_targets({} if targets is None else targets)
    runner = Runner(name=name, foot=foot, targets=checked)
    return Runners(log).add(runner, created_at=datetime.now(UTC))


def update_runner(log: Any, runner_id: int, **changes: Any) -> Runner:
    """Change a runner's fields (validated as a whole) and let the device re-read them."""
    updated = Runners(log).update(runner_id, **changes)
    monitor = attached_monitor()
    if monitor is not None and current_runner_id() == runner_id:
        monitor.select_runner(runner_id)  # same runner: re-read, allowed during a set
    return updated


def delete_runner(log: Any, runner_id: int) -> None:
    """Delete a runner; their sessions stay in the review, no longer linked to anyone.

    The device drops them as the current runner first; while their set runs this is
    refused with :class:`RunnerBusyError`.
    """
    Runners(log).get(runner_id)  # RunnerNotFoundError before anything changes
    monitor = attached_monitor()
    if monitor is not None and current_runner_id() == runner_id:
        if set_running():
            raise RunnerBusyError(f"runner {runner_id} is recording a set: stop it first")
        monitor.select_runner(None)
    Runners(log).delete(runner_id)


def session_counts(log: Any) -> Counter[int]:
    """Number of sessions per runner id."""
    return Counter(s.runner_id for s in log.list_sessions() if s.runner_id is not None)


def runner_document(runner: Runner, sessions: int | None = None) -> dict[str, Any]:
    """A runner as the JSON API shows it."""
    data = runner.to_dict()
    data["current"] = current_runner_id() == runner.id
    if sessions is not None:
        data["sessions"] = sessions
    return data


# --------------------------------------------------------------------------- programme editor


def field_name(mode: str, name: str) -> str:
    """Form field of one programme value; the same path ``ProgrammeError`` names."""
    return f"targets.{mode}.{name}"


def step_fields(step: ExerciseStep) -> tuple[str, ...]:
    """The editable fields of a step (rep modes have no hold time)."""
    return tuple(n for n in TARGET_FIELDS if n != "hold_s" or step.hold_s is not None)


def programme_values(programme: Programme) -> dict[str, str]:
    """The editor's text fields filled from a programme."""
    return {
        field_name(step.mode, name): f"{getattr(step, name):g}"
        for step in programme.steps
        for name in step_fields(step)
    }


def targets_from(values: Mapping[str, float]) -> dict[str, dict[str, float | int]]:
    """Runner targets from edited values: only the fields that differ from the default."""
    targets: dict[str, dict[str, float | int]] = {}
    for step in DEFAULT_PROGRAMME.steps:
        for name in step_fields(step):
            value = values.get(field_name(step.mode, name))
            if value is None or value == getattr(step, name):
                continue
            number = int(value) if name in INTEGER_FIELDS else float(value)
            targets.setdefault(step.mode, {})[name] = number
    return targets


def field_limits(name: str) -> tuple[float, float, bool]:
    """``(low, high, whole)`` allowed for a programme field."""
    low, high = LIMITS[name]
    return low, high, name in INTEGER_FIELDS


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class ExerciseTrend:
    """One exercise of a runner's trend: their sessions and the weekly totals."""

    mode: str
    kind: str  # "hold" or "rep"
    sessions: list[dict[str, Any]]
    weeks: list[WeekRow]


def exercise_trends(summaries: Sequence[Mapping[str, Any]]) -> list[ExerciseTrend]:
    """Sessions (summary dictionaries, oldest first) grouped per exercise, programme order.

    Exercises the runner never did are left out.
    """
    trends = []
    for mode in EXERCISES:
        members = [dict(s) for s in summaries if s.get("exercise") == mode]
        if members:
            trends.append(ExerciseTrend(mode, MODES[mode].kind, members, weekly(members)))
    return trends


def week_middle(week_start: Any) -> datetime:
    """Thursday noon of a week in local time: where a weekly bar is drawn on the time axis."""
    start = datetime(week_start.year, week_start.month, week_start.day, 12).astimezone()
    return start + timedelta(days=3)


def runner_filter_of(raw: str | None, log: Any) -> dict[str, Any]:
    """The session list's runner filter: the chosen id (``None``: all) and every name by id.

    An id that is not a runner's (deleted, mistyped) filters nothing rather than failing,
    so an old bookmark still opens the list.
    """
    names = {r.id: r.name for r in Runners(log).all() if r.id is not None}
    chosen = row_id(raw)
    if chosen not in names:
        chosen = None
    return {"id": chosen, "names": names}
