"""Low-pass smoothing of the three forces, for frames at uneven spacing.

Body sway lives below about 1 Hz (see docs/simulator.md for the figures from force-plate
recordings) while FSR and ADC noise is broadband, so a first-order low-pass at a few hertz
keeps the sway the runner must see and removes most of the flicker. Frames do not arrive
evenly (I2C retries, scheduling), so the filter weight comes from each frame's own time
step: ``alpha = dt / (tau + dt)`` with ``tau = 1 / (2 π f_c)`` (the backward-Euler form of
an RC filter). It uses only +, / and *, so a recording gives the same numbers whether it is
fed frame by frame or in chunks.
"""

from __future__ import annotations

import math

RESET_AFTER_S = 1.0
"""A time step longer than this (a gap) restarts the filter from the new reading."""


class LowPass:
    """First-order low-pass over the three channels."""

    __slots__ = ("_t_s", "_tau_s", "_y0", "_y1", "_y2")

    def __init__(self, cutoff_hz: float) -> None:
        if not (math.isfinite(cutoff_hz) and cutoff_hz > 0):
            raise ValueError(f"cutoff_hz must be a positive number, got {cutoff_hz!r}")
        self._tau_s = 1.0 / (2.0 * math.pi * cutoff_hz)
        self._t_s: float | None = None
        self._y0 = self._y1 = self._y2 = 0.0

    def reset(self) -> None:
        """Forget the history: the next frame is taken as it is."""
        self._t_s = None

    def update(self, t_s: float, x0: float, x1: float, x2: float) -> tuple[float, float, float]:
        """Filter one frame; returns the smoothed three values."""
        last = self._t_s
        self._t_s = t_s
        if last is None or not 0.0 <= t_s - last <= RESET_AFTER_S:
            self._y0, self._y1, self._y2 = x0, x1, x2
            return (x0, x1, x2)
        dt = t_s - last
        alpha = dt / (self._tau_s + dt)
        y0 = self._y0 = self._y0 + alpha * (x0 - self._y0)
        y1 = self._y1 = self._y1 + alpha * (x1 - self._y1)
        y2 = self._y2 = self._y2 + alpha * (x2 - self._y2)
        return (y0, y1, y2)
