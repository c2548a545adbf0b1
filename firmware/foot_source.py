"""Force sources that drive the emulated ADC: a simulated foot or a replayed recording.

The chain is the real circuit run backwards::

    forces (N) --FsrCurve--> FSR resistance --Divider--> volts on AINx (per AdcConfig.channels)

``FootVolts`` is the emulated chip's input function (``ChannelVolts``): it asks a
``ForceSource`` for the three forces at the chip's time (relative to the first call, so a
replay starts at its beginning when sampling starts) and turns them into volts.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from firmware.config import AdcConfig
from insole.errors import RecordingFormatError
from insole.frames import SENSORS, Frame
from insole.recording_csv import read_recording
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.sim_script import Script, default_session
from insole.simulator import SimulatedFoot

DEFAULT_CURVE = FsrCurve()
DEFAULT_DIVIDER = Divider()


class ForceSource(Protocol):
    """Anything that can say the three forces at a time (the simulator, a replay)."""

    def forces_at(self, t_s: float) -> tuple[float, float, float]:
        """Forces in newtons on ``heel``, ``little_toe``, ``big_toe`` at ``t_s`` seconds."""
        ...


class FunctionSource:
    """A force source from a plain function of time (tests, benchmarks, quick demos)."""

    def __init__(self, forces: Callable[[float], tuple[float, float, float]]) -> None:
        self._forces = forces

    def forces_at(self, t_s: float) -> tuple[float, float, float]:
        """``forces(t_s)``."""
        return self._forces(t_s)


class ReplaySource:
    """A recording played back: linear interpolation between frames, at ``speed``.

    ``loop=True`` starts over after the last frame; otherwise the foot is lifted (0 N) once
    the recording has ended and ``finished_at(t_s)`` becomes true.
    """

    def __init__(self, frames: Sequence[Frame], *, speed: float = 1.0, loop: bool = False) -> None:
        if len(frames) < 2:
            raise RecordingFormatError(0, f"a replay needs at least 2 frames, got {len(frames)}")
        if not speed > 0.0:
            raise ValueError(f"replay speed must be > 0 (1.0 = real time), got {speed!r}")
        times = [f.t_s for f in frames]
        for index in range(1, len(times)):
            if times[index] <= times[index - 1]:
                raise RecordingFormatError(
                    index + 1,
                    f"frame times must increase, got {times[index]} after {times[index - 1]}",
                )
        self._times = times
        self._frames = list(frames)
        self.speed = speed
        self.loop = loop
        self.duration_s = times[-1] - times[0]

    def _recording_time(self, t_s: float) -> float:
        t_rec = max(0.0, t_s) * self.speed
        if self.loop:
            t_rec %= self.duration_s
        return self._times[0] + t_rec

    def finished_at(self, t_s: float) -> bool:
        """Whether the (non-looping) replay has run out at ``t_s``."""
        return not self.loop and max(0.0, t_s) * self.speed > self.duration_s

    def forces_at(self, t_s: float) -> tuple[float, float, float]:
        """Interpolated forces at ``t_s`` seconds after the replay started."""
        if self.finished_at(t_s):
            return (0.0, 0.0, 0.0)
        t_rec = self._recording_time(t_s)
        right = min(bisect.bisect_right(self._times, t_rec), len(self._times) - 1)
        left = max(right - 1, 0)
        a, b = self._frames[left], self._frames[right]
        span_s = b.t_s - a.t_s
        w = 0.0 if span_s <= 0.0 else min(max((t_rec - a.t_s) / span_s, 0.0), 1.0)
        fa, fb = a.forces_n, b.forces_n
        return (
            fa[0] + (fb[0] - fa[0]) * w,
            fa[1] + (fb[1] - fa[1]) * w,
            fa[2] + (fb[2] - fa[2]) * w,
        )


class FootVolts:
    """Input function of the emulated chip: forces -> FSR -> divider -> volts per channel.

    ``curves`` is one ``FsrCurve`` for all sensors or one per sensor (``SENSORS`` order).
    Inputs not wired to a sensor read 0 V. Time 0 of the source is the first call.
    """

    def __init__(
        self,
        source: ForceSource,
        config: AdcConfig | None = None,
        *,
        curves: FsrCurve | Sequence[FsrCurve] = DEFAULT_CURVE,
        divider: Divider = DEFAULT_DIVIDER,
    ) -> None:
        config = config or AdcConfig()
        self.source = source
        self.divider = divider
        per_sensor = (curves,) * len(SENSORS) if isinstance(curves, FsrCurve) else tuple(curves)
        if len(per_sensor) != len(SENSORS):
            raise ValueError(f"give one FsrCurve or {len(SENSORS)} (one per sensor)")
        self.curves = per_sensor
        # AIN channel -> index of the sensor wired to it.
        self._sensor_of_channel = {ch: SENSORS.index(name) for name, ch in config.channels.items()}
        self._origin_s: float | None = None
        self._lock = threading.Lock()

    def elapsed_s(self, t_s: float) -> float:
        """Seconds of source time at chip time ``t_s`` (the first call is time 0)."""
        with self._lock:
            if self._origin_s is None:
                self._origin_s = t_s
            return t_s - self._origin_s

    def __call__(self, channel: int, t_s: float) -> float:
        """Volts on AIN ``channel`` at chip time ``t_s``."""
        index = self._sensor_of_channel.get(channel)
        if index is None:
            return 0.0
        force_n = self.source.forces_at(self.elapsed_s(t_s))[index]
        return force_to_volts(force_n, self.curves[index], self.divider)


def steady_stance(
    heel_n: float = 120.0, little_toe_n: float = 40.0, big_toe_n: float = 60.0, sway: float = 0.05
) -> FunctionSource:
    """A seated foot pressing on all three points with a slow (0.3 Hz) sway of ``sway`` share.

    Used where no simulator is given (benchmarks, the emulated default): every sensor loaded,
    so per-sensor health rules have something to watch.
    """

    def forces(t_s: float) -> tuple[float, float, float]:
        phase = 2.0 * math.pi * 0.3 * t_s
        s = sway * math.sin(phase)
        return (heel_n * (1.0 + s), little_toe_n * (1.0 - s), big_toe_n * (1.0 - s / 2.0))

    return FunctionSource(forces)


def simulated_foot_volts(
    config: AdcConfig | None = None,
    *,
    script: Script | None = None,
    seed: int = 0,
    divider: Divider = DEFAULT_DIVIDER,
) -> FootVolts:
    """The emulated chip's inputs from ``insole.simulator`` (default script, looping)."""
    foot = SimulatedFoot(script or default_session(), seed=seed, loop=True)
    return FootVolts(foot, config, divider=divider)


def replay_foot_volts(
    path: str | Path,
    config: AdcConfig | None = None,
    *,
    speed: float = 1.0,
    loop: bool = False,
    divider: Divider = DEFAULT_DIVIDER,
) -> FootVolts:
    """The emulated chip's inputs from a recording CSV (``time_s,heel_n,...``) played back.

    Raises ``RecordingFormatError`` naming the bad line.
    """
    replay = ReplaySource(read_recording(Path(path)), speed=speed, loop=loop)
    return FootVolts(replay, config, divider=divider)
