"""Per-sensor health from the stream of sampled voltages.

Each sensor is classified over a sliding window (default 0.5 s) of its own samples:

============ ===========================================================================
state        rule (all over the window)
============ ===========================================================================
saturated    every sample at or above ``saturated_v`` (shorted FSR, input at the rail)
stuck_zero   every sample below ``zero_v`` while another sensor is loaded, after an
             abrupt drop to 0 V (unplugged sensor, broken wire). An unloaded FSR reads
             0 V too (it is an open circuit, like a cut wire), so a point that was simply
             unloaded — a resting little toe, a point let go at the end of a hold — is
             not a fault: a foot takes tens of milliseconds or more to unload a point,
             while a cut wire goes from a loaded level to 0 V between two samples. A
             level that was already falling fast the sample before (more than
             ``falling_share`` of it) is a point being let go whose last samples happen
             to straddle the FSR's turn-on (a late sample makes that likely), not a cut
noisy        at least ``noisy_share`` (20 %) of sample-to-sample steps jump by more than
             ``noisy_v`` straight back against a jump just as big (loose contact); a foot
             pressing or letting go moves one way, and one step, e.g. a sensor unplugged,
             is a single jump, not noise
ok           none of the above
============ ===========================================================================

A new state is reported once it has held for ``settle_s`` (default 0.2 s), so an onset is
reported within ``window_s + settle_s`` (0.7 s) and a recovery within ``settle_s`` plus one
frame. The window statistics are kept incrementally: O(1) work per frame and sensor.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from insole.frames import SENSORS, VoltsFrame

HEALTH_STATES = ("ok", "stuck_zero", "saturated", "noisy")

_MESSAGES = {
    "ok": "ok",
    "stuck_zero": "reads 0 V while the other sensors are loaded: unplugged or broken wire?",
    "saturated": "reads the full-scale voltage: shorted sensor or wiring fault?",
    "noisy": "reading jumps from sample to sample: loose contact?",
}


@dataclass(frozen=True)
class SensorHealth:
    """The state of one sensor and since when (sampler time, seconds)."""

    sensor: str
    state: str
    since_s: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "sensor": self.sensor,
            "state": self.state,
            "since_s": self.since_s,
            "message": self.message,
        }


@dataclass(frozen=True)
class HealthReport:
    """Health of all three sensors at ``t_s`` (``SENSORS`` order)."""

    t_s: float
    sensors: tuple[SensorHealth, ...]

    @property
    def ok(self) -> bool:
        """Whether every sensor is ``ok``."""
        return all(s.state == "ok" for s in self.sensors)

    def state_of(self, sensor: str) -> str:
        """The state of ``sensor`` (one of ``HEALTH_STATES``)."""
        return self.sensors[SENSORS.index(sensor)].state

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"t_s": .., "ok": .., "sensors": {name: {...}}}``."""
        return {
            "t_s": self.t_s,
            "ok": self.ok,
            "sensors": {s.sensor: s.to_dict() for s in self.sensors},
        }


class _Window:
    """Sliding window of one sensor's samples with running counts."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float, float]] = deque()  # (t_s, volts, jump 0/1)
        self.n_zero = 0
        self.n_saturated = 0
        self.n_jumps = 0
        self.n_diffs = 0
        self.last_step = 0.0

    def add(
        self, t_s: float, volts: float, zero_v: float, saturated_v: float, jump_v: float
    ) -> None:
        jump = -1.0  # no predecessor in the window
        if self.samples:
            step = volts - self.samples[-1][1]
            # A loose contact flickers: a big step straight back against a big step. A
            # foot pressing or letting go moves one way, however steeply (at light loads
            # the FSR's volts rise very fast with force), so a ramp is not noise.
            flicker = abs(step) > jump_v and abs(self.last_step) > jump_v
            jump = float(flicker and step * self.last_step < 0.0)
            self.last_step = step
            self.n_jumps += int(jump)
            self.n_diffs += 1
        self.samples.append((t_s, volts, jump))
        self.n_zero += abs(volts) < zero_v
        self.n_saturated += volts >= saturated_v

    def trim(self, oldest_s: float, zero_v: float, saturated_v: float) -> None:
        samples = self.samples
        while samples and samples[0][0] < oldest_s:
            _, volts, _ = samples.popleft()
            self.n_zero -= abs(volts) < zero_v
            self.n_saturated -= volts >= saturated_v
            if samples and samples[0][2] >= 0.0:
                # The next sample's difference was taken against the one just removed.
                self.n_jumps -= int(samples[0][2])
                self.n_diffs -= 1
                t_next, v_next, _ = samples[0]
                samples[0] = (t_next, v_next, -1.0)

    def jump_share(self) -> float:
        return self.n_jumps / self.n_diffs if self.n_diffs else 0.0


class HealthMonitor:
    """Classifies the three sensors frame by frame; ``update`` returns a report on change."""

    def __init__(
        self,
        *,
        window_s: float = 0.5,
        settle_s: float = 0.2,
        zero_v: float = 0.01,
        loaded_v: float = 0.1,
        saturated_v: float = 3.25,
        drop_from_v: float = 0.2,
        abrupt_s: float = 0.05,
        falling_share: float = 0.25,
        noisy_v: float = 0.1,
        noisy_share: float = 0.2,
        min_samples: int = 5,
    ) -> None:
        self.window_s = window_s
        self.settle_s = settle_s
        self.zero_v = zero_v
        self.loaded_v = loaded_v
        self.saturated_v = saturated_v
        self.drop_from_v = drop_from_v
        self.abrupt_s = abrupt_s
        self.falling_share = falling_share
        self.noisy_v = noisy_v
        self.noisy_share = noisy_share
        self.min_samples = min_samples
        self._windows = [_Window() for _ in SENSORS]
        self._reported = [SensorHealth(s, "ok", 0.0, _MESSAGES["ok"]) for s in SENSORS]
        self._pending: list[tuple[str, float] | None] = [None for _ in SENSORS]
        self._last_t_s = 0.0
        self._previous: tuple[float, float, float] | None = None
        self._before_previous: tuple[float, float, float] | None = None
        self._dropped = [False for _ in SENSORS]

    def report(self) -> HealthReport:
        """The current (last reported) health."""
        return HealthReport(self._last_t_s, tuple(self._reported))

    def update(self, frame: VoltsFrame) -> HealthReport | None:
        """Add one frame; a ``HealthReport`` if any sensor's reported state changed."""
        t_s = frame.t_s
        previous_t_s = self._last_t_s
        self._last_t_s = t_s
        volts = frame.volts
        self._track_drops(volts, self._previous, t_s - previous_t_s)
        self._before_previous, self._previous = self._previous, volts
        oldest_s = t_s - self.window_s
        for window, v in zip(self._windows, volts, strict=True):
            window.add(t_s, v, self.zero_v, self.saturated_v, self.noisy_v)
            window.trim(oldest_s, self.zero_v, self.saturated_v)
        changed = False
        for index, window in enumerate(self._windows):
            others_loaded = any(volts[j] >= self.loaded_v for j in range(len(volts)) if j != index)
            state = self._classify(window, t_s, others_loaded and self._dropped[index])
            changed |= self._settle(index, state, t_s)
        return self.report() if changed else None

    def _track_drops(
        self,
        volts: tuple[float, float, float],
        previous: tuple[float, float, float] | None,
        dt_s: float,
    ) -> None:
        """Remember which sensors fell from a steady loaded level to 0 V between two samples."""
        before = self._before_previous
        for index, v in enumerate(volts):
            if abs(v) >= self.zero_v:
                self._dropped[index] = False
            elif (
                previous is not None
                and previous[index] >= self.drop_from_v
                and dt_s <= self.abrupt_s
                # Already falling fast: a point being let go, not a wire cut.
                and (
                    before is None
                    or before[index] - previous[index] <= self.falling_share * previous[index]
                )
            ):
                self._dropped[index] = True

    def _classify(self, window: _Window, t_s: float, others_loaded: bool) -> str:
        samples = window.samples
        n = len(samples)
        # Judge only a window that really spans (most of) window_s.
        if n < self.min_samples or t_s - samples[0][0] < 0.8 * self.window_s:
            return "ok"
        if window.n_saturated == n:
            return "saturated"
        if window.n_zero == n and others_loaded:
            return "stuck_zero"
        if window.n_jumps >= self.min_samples and window.jump_share() >= self.noisy_share:
            return "noisy"
        return "ok"

    def _settle(self, index: int, state: str, t_s: float) -> bool:
        reported = self._reported[index]
        if state == reported.state:
            self._pending[index] = None
            return False
        pending = self._pending[index]
        if pending is None or pending[0] != state:
            pending = (state, t_s)
            self._pending[index] = pending
        if t_s - pending[1] < self.settle_s:
            return False
        self._reported[index] = SensorHealth(SENSORS[index], state, pending[1], _MESSAGES[state])
        self._pending[index] = None
        return True
