"""Runner profiles: several people on one device, each with a foot, targets and calibration.

A :class:`Runner` is validated here (name, foot, targets through
:func:`insole.programme.check_targets`) and persisted by :class:`Runners` in the
session log's ``runners`` table (``insole.store.SessionLog`` methods ``add_runner``,
``update_runner``, ``runner``, ``list_runners``, ``delete_runner``). Sessions carry
``runner_id``, so each runner's history and trend come from
``SessionLog.trends(exercise, runner_id=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from insole.errors import SettingsError
from insole.programme import DEFAULT_PROGRAMME, Programme, check_targets
from insole.settings import FOOT_SIDES
from insole.store import SessionLog, SessionSummary

MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class Runner:
    """One person using the device."""

    name: str
    foot: str = "right"
    targets: Mapping[str, Mapping[str, float | int]] = field(default_factory=dict)
    calibration_id: int | None = None
    id: int | None = None
    created_at: str | None = None

    def __post_init__(self) -> None:
        name = self.name.strip() if isinstance(self.name, str) else self.name
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
            raise SettingsError("name", f"must be text of 1 to {MAX_NAME_CHARS} characters")
        object.__setattr__(self, "name", name)
        if self.foot not in FOOT_SIDES:
            raise SettingsError(
                "foot", f"must be one of {', '.join(FOOT_SIDES)}, got {self.foot!r}"
            )
        object.__setattr__(self, "targets", check_targets(self.targets))

    def programme(self, base: Programme = DEFAULT_PROGRAMME) -> Programme:
        """The programme with this runner's targets applied."""
        return base.with_targets(self.targets)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "id": self.id,
            "name": self.name,
            "foot": self.foot,
            "targets": {m: dict(t) for m, t in self.targets.items()},
            "calibration_id": self.calibration_id,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Runner:
        """A runner from ``to_dict`` output or a form (unknown keys rejected)."""
        allowed = {"id", "name", "foot", "targets", "calibration_id", "created_at"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SettingsError(
                unknown[0], f"unknown runner field; allowed: {', '.join(sorted(allowed))}"
            )
        return cls(
            name=data.get("name", ""),
            foot=data.get("foot", "right"),
            targets=data.get("targets") or {},
            calibration_id=data.get("calibration_id"),
            id=data.get("id"),
            created_at=data.get("created_at"),
        )


class Runners:
    """Runner profiles in a session log."""

    def __init__(self, log: SessionLog) -> None:
        self.log = log

    def add(self, runner: Runner, created_at: datetime) -> Runner:
        """Store a new runner; returns it with its id."""
        runner_id = self.log.add_runner(
            name=runner.name,
            foot=runner.foot,
            created_at=created_at,
            targets={m: dict(t) for m, t in runner.targets.items()},
            calibration_id=runner.calibration_id,
        )
        return self.get(runner_id)

    def get(self, runner_id: int) -> Runner:
        """One runner (``RunnerNotFoundError`` if unknown)."""
        return Runner.from_dict(self.log.runner(runner_id))

    def all(self) -> list[Runner]:
        """Every runner, by name."""
        return [Runner.from_dict(row) for row in self.log.list_runners()]

    def update(self, runner_id: int, **changes: Any) -> Runner:
        """Change fields (validated as a whole first); returns the updated runner."""
        current = self.get(runner_id)
        merged = Runner.from_dict({**current.to_dict(), **changes})
        fields = {k: getattr(merged, k) for k in changes}
        if "targets" in fields:
            fields["targets"] = {m: dict(t) for m, t in merged.targets.items()}
        self.log.update_runner(runner_id, **fields)
        return self.get(runner_id)

    def delete(self, runner_id: int) -> None:
        """Delete a runner (their sessions stay, unlinked)."""
        self.log.delete_runner(runner_id)

    def history(self, runner_id: int, exercise: str | None = None) -> list[SessionSummary]:
        """The runner's sessions oldest first: the rows of their trend across weeks."""
        self.get(runner_id)
        return self.log.trends(exercise, runner_id=runner_id)
