"""Arch hold (the default mode): the existing pipeline behind the exercise interface.

Behaviour is exactly :class:`insole.pipeline.Pipeline`'s: the balance rule with
hysteresis, the hold state machine and the set tally; records are
:class:`insole.records.Hold`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from insole.calibration import Calibration
from insole.exercises.base import summarise
from insole.frames import Frame, VoltsFrame
from insole.holds import Event
from insole.pipeline import LiveState, Pipeline
from insole.records import Hold
from insole.settings import Settings

NAME = "arch_hold"
TITLE = "Arch hold"


class ArchHold:
    """The arch-hold counter (a thin adapter over :class:`Pipeline`)."""

    mode = NAME

    def __init__(
        self, settings: Settings | None = None, calibration: Calibration | None = None
    ) -> None:
        self.pipeline = Pipeline(settings, calibration)
        self.settings = self.pipeline.settings

    @property
    def records(self) -> list[Hold]:
        """Every hold finished since the set started."""
        return self.pipeline.holds

    def summary(self) -> dict[str, Any]:
        """Counts and mean score of the holds so far."""
        return summarise(self.records, "short")

    def step(self, frame: Frame) -> LiveState:
        """Process one frame of forces."""
        return self.pipeline.step(frame)

    def step_volts(self, frame: VoltsFrame) -> LiveState:
        """Process one frame of divider voltages."""
        return self.pipeline.step_volts(frame)

    def feed(self, frames: Iterable[Frame]) -> list[Hold]:
        """Process frames in bulk; returns the holds that finished among them."""
        return self.pipeline.feed(frames)

    def gap(self) -> list[Event]:
        """The data stopped: no hold may span it."""
        return self.pipeline.gap()

    def finish(self) -> list[Hold]:
        """End of the data: close an open hold."""
        return self.pipeline.finish()

    def new_set(self) -> None:
        """Start counting a new set."""
        self.pipeline.new_set()


def counter(settings: Settings | None = None, calibration: Calibration | None = None) -> ArchHold:
    """An arch-hold counter."""
    return ArchHold(settings, calibration)
