"""Helpers for tests that drive a monitor by hand: its source, scripted frames, drained events."""

from __future__ import annotations

from firmware.broadcast import Event, Subscription
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from tests.scripted import scripted, to_volts

SIM = SourceInfo("emulated", True, "test insole")
"""The source a monitor reports when the test feeds it frames itself."""

Segments = list[tuple[float, tuple[float, float, float]]]
"""Consecutive (duration_s, forces_n) pieces, as :func:`tests.scripted.scripted` takes them."""


def feed(monitor: Monitor, segments: Segments, t0: float = 0.0) -> float:
    """Push the frames of ``segments`` through ``monitor`` from ``t0`` on, as the sampler would.

    Returns the time just after the last frame, where the next ``feed`` may carry on.
    """
    frames = to_volts(scripted(segments))
    for f in frames:
        monitor.process(VoltsFrame(f.t_s + t0, *f[1:]))
    return t0 + frames[-1].t_s + 0.01


def drain(sub: Subscription) -> list[Event]:
    """Every event waiting on ``sub``, oldest first, without blocking."""
    out = []
    while (event := sub.get(0)) is not None:
        out.append(event)
    return out
