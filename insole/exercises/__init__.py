"""Exercise modes: one rule and counter per exercise of the programme, and their registry.

=============== ====== =====================================================================
mode            kind   module
=============== ====== =====================================================================
arch_hold       hold   :mod:`insole.exercises.arch_hold` (the default; the pipeline as is)
sit_to_stand    rep    :mod:`insole.exercises.sit_to_stand`
squat           rep    :mod:`insole.exercises.squat`
band_hold       hold   :mod:`insole.exercises.band_hold`
lunge           rep    :mod:`insole.exercises.lunge`
=============== ====== =====================================================================

``make_counter(mode, settings, calibration)`` builds a mode's counter; every counter
follows :class:`insole.exercises.base.ExerciseCounter`. ``docs/exercises.md`` describes
the rules, the records and the live ``frame`` event of each kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from insole.calibration import Calibration
from insole.errors import SettingsError
from insole.exercises import arch_hold, band_hold, lunge, sit_to_stand, squat
from insole.exercises.base import EXERCISE_CUES, ExerciseCounter, Rep
from insole.exercises.reps import RepCounter, RepMode
from insole.settings import EXERCISES, Settings

__all__ = [
    "EXERCISE_CUES",
    "MODES",
    "ExerciseCounter",
    "ModeInfo",
    "Rep",
    "RepCounter",
    "RepMode",
    "make_counter",
    "mode_info",
]


@dataclass(frozen=True)
class ModeInfo:
    """What the dashboard and the CLI show about a mode."""

    name: str
    title: str
    kind: str  # "hold" or "rep"
    factory: Callable[[Settings | None, Calibration | None], ExerciseCounter]
    phases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (without the factory)."""
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "phases": list(self.phases),
        }


def _rep(module: Any) -> ModeInfo:
    spec: RepMode = module.MODE
    return ModeInfo(spec.name, spec.title, "rep", module.counter, spec.phases)


MODES: dict[str, ModeInfo] = {
    arch_hold.NAME: ModeInfo(arch_hold.NAME, arch_hold.TITLE, "hold", arch_hold.counter),
    sit_to_stand.MODE.name: _rep(sit_to_stand),
    squat.MODE.name: _rep(squat),
    band_hold.NAME: ModeInfo(band_hold.NAME, band_hold.TITLE, "hold", band_hold.counter),
    lunge.MODE.name: _rep(lunge),
}
"""Every mode by name, in the order of the programme."""

assert tuple(MODES) == EXERCISES, "settings.EXERCISES and the registry must list the same modes"


def mode_info(mode: str) -> ModeInfo:
    """The registry entry of ``mode``; ``SettingsError`` naming the allowed modes."""
    try:
        return MODES[mode]
    except KeyError:
        raise SettingsError(
            "exercise", f"must be one of {', '.join(MODES)}, got {mode!r}"
        ) from None


def make_counter(
    mode: str | None = None,
    settings: Settings | None = None,
    calibration: Calibration | None = None,
) -> ExerciseCounter:
    """The counter for ``mode`` (default: ``settings.exercise``, else the arch hold).

    ``settings.exercise`` is set to the mode so records and sessions carry it.
    """
    settings = settings or Settings()
    name = mode or settings.exercise
    info = mode_info(name)
    if settings.exercise != name:
        settings = settings.replace(exercise=name)
    return info.factory(settings, calibration)
