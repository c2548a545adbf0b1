"""Piecewise-constant force sequences for rule tests (exact, noise-free, easy to reason about)."""

from __future__ import annotations

from insole.frames import Frame, VoltsFrame
from insole.sensor_model import Divider, FsrCurve, force_to_volts

HOLD = (45.0, 20.0, 35.0)  # a plausible seated arch hold: every point well above 10 %
REST = (0.0, 0.0, 0.0)
BIG_TOE_UP = (60.0, 38.0, 2.0)


def scripted(
    segments: list[tuple[float, tuple[float, float, float]]], rate_hz: float = 100.0
) -> list[Frame]:
    """Frames for consecutive (duration_s, forces) segments, sampled at ``rate_hz``."""
    frames: list[Frame] = []
    t0 = 0.0
    for duration, forces in segments:
        n = round(duration * rate_hz)
        start = len(frames)
        frames.extend(Frame((start + i) / rate_hz, *forces) for i in range(n))
        t0 += duration
    return frames


def to_volts(frames: list[Frame]) -> list[VoltsFrame]:
    """The divider voltages the default curve and divider give for these forces."""
    curve, divider = FsrCurve(), Divider()
    return [
        VoltsFrame(f.t_s, *(force_to_volts(x, curve, divider) for x in f.forces_n))
        for f in frames
    ]
