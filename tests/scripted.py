"""Piecewise-constant force sequences for rule tests (exact, noise-free, easy to reason about)."""

from __future__ import annotations

from insole.frames import Frame

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
