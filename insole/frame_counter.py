"""The frame-handling shell every counter shares: volts or newtons, one frame or many.

A counter supplies ``_convert`` (volts -> tared newtons), ``_state`` (one frame in, the
live view out) and ``_advance`` (one frame in, events and finished records appended), and
gets ``step_volts``, ``step`` and ``feed`` from here, so the live path and the bulk path of
every mode run the same ``_advance`` and give the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from insole.frames import Frame, VoltsFrame
from insole.holds import Event

StateT = TypeVar("StateT")
RecordT = TypeVar("RecordT")

EVENTS_KEPT_IN_BULK = 64
"""Nobody listens to events in bulk mode; they are dropped past this to keep memory flat."""


class FrameCounter(Generic[StateT, RecordT]):
    """Base of the pipeline and the rep counter (see the module docstring)."""

    _convert: Callable[[Sequence[float]], tuple[float, float, float]]

    def _state(self, t: float, h: float, lt: float, bt: float) -> StateT:
        raise NotImplementedError

    def _advance(
        self, t: float, h: float, lt: float, bt: float, events: list[Event], done: list[RecordT]
    ) -> Any:
        raise NotImplementedError

    def step_volts(self, frame: VoltsFrame) -> StateT:
        """Process one frame of divider voltages."""
        h, lt, bt = self._convert((frame[1], frame[2], frame[3]))
        return self._state(frame[0], h, lt, bt)

    def step(self, frame: Frame) -> StateT:
        """Process one frame of forces (already in newtons)."""
        return self._state(frame[0], frame[1], frame[2], frame[3])

    def feed(self, frames: Iterable[Frame]) -> list[RecordT]:
        """Process frames in bulk; returns the records that finished among them."""
        events: list[Event] = []
        done: list[RecordT] = []
        advance = self._advance
        for t, h, lt, bt in frames:
            advance(t, h, lt, bt, events, done)
            if len(events) > EVENTS_KEPT_IN_BULK:
                events.clear()
        return done
