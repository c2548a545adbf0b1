"""Capturing a personal target from a demonstrated correct hold.

The runner (or the physiotherapist guiding them) performs one correct hold for a few
seconds; the mean shares over that time become the personal target. The capture refuses
a demonstration in which the foot was not loaded for most of the time or in which a point
carried almost nothing, because such a target would teach the wrong thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from insole.errors import InsoleError
from insole.frames import SENSORS

MIN_LOADED_FRACTION = 0.8
MIN_TARGET_SHARE = 0.05


class TargetCaptureError(InsoleError, ValueError):
    """The demonstrated hold cannot serve as a target; the message says why."""


@dataclass
class TargetCapture:
    """Accumulates shares over ``duration_s`` from the first frame it sees."""

    duration_s: float = 3.0
    load_floor_n: float = 20.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.duration_s <= 30.0:
            raise TargetCaptureError(
                f"capture duration must be from 1 to 30 s, got {self.duration_s!r}"
            )
        self._start_s: float | None = None
        self._frames = 0
        self._loaded = 0
        self._sums = [0.0, 0.0, 0.0]

    def add(self, t_s: float, forces_n: tuple[float, float, float]) -> bool:
        """Account one (smoothed) frame; returns True once the duration is covered."""
        if self._start_s is None:
            self._start_s = t_s
        self._frames += 1
        total = forces_n[0] + forces_n[1] + forces_n[2]
        if total >= self.load_floor_n:
            self._loaded += 1
            for i in (0, 1, 2):
                self._sums[i] += forces_n[i] / total
        return t_s - self._start_s >= self.duration_s

    def result(self) -> tuple[float, float, float]:
        """The target shares, or ``TargetCaptureError`` saying what was wrong."""
        if self._frames == 0:
            raise TargetCaptureError("no frames arrived during the capture: is the insole on?")
        if self._loaded < MIN_LOADED_FRACTION * self._frames:
            raise TargetCaptureError(
                f"the foot was loaded above {self.load_floor_n:g} N for only "
                f"{100 * self._loaded / self._frames:.0f} % of the capture (needs "
                f"{100 * MIN_LOADED_FRACTION:.0f} %): press down on all three points and hold"
            )
        shares = [s / self._loaded for s in self._sums]
        for name, share in zip(SENSORS, shares, strict=True):
            if share < MIN_TARGET_SHARE:
                raise TargetCaptureError(
                    f"{name} carried only {100 * share:.0f} % of the load: a correct hold "
                    "presses all three points down"
                )
        return (shares[0], shares[1], shares[2])
