"""A whole device on the emulated chip: real driver, sampler, Monitor, SQLite log and LED.

``Device`` wires what ``insole-monitor serve`` wires (minus the web server): the Adafruit
driver on an emulated ADS1115 fed by a scripted foot, the real ``Sampler`` calling the real
``Monitor`` (with a real ``SessionLog`` in a temporary directory) and the real ``Feedback``
on gpiozero's ``MockFactory``. A ``Probe`` listener placed after the monitor records, on the
sampler thread and in sampler time, when a banner or the fault LED appeared or went away.
With a ``FakeClock`` hours of acquisition run in seconds; faults are planned on the bus
clock so they happen at exact sampler times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware.adc import Ads1x15Adc, open_adc
from firmware.ads_emulator import TRANSIENT_ERRNOS, EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import Clock, FakeClock
from firmware.config import AdcConfig, PinConfig
from firmware.feedback import Feedback, LedState
from firmware.foot_source import FootVolts, FunctionSource
from firmware.health import HealthReport
from firmware.monitor import Monitor, SourceInfo
from firmware.sampler import Listener, Sampler
from insole.frames import VoltsFrame
from insole.store import SessionLog

T0 = 1000.0
"""The fake clock's start (sampler times are T0 + seconds into the run)."""

Forces = tuple[float, float, float]
HOLD: Forces = (45.0, 20.0, 35.0)
"""A seated arch hold: every point well above its minimum share."""
REST: Forces = (0.0, 0.0, 0.0)
SITTING_TOE_UNLOADED: Forces = (40.0, 0.0, 20.0)
"""Foot resting on heel and big toe with the little-toe ball at 0 N (seen in real data)."""


def piecewise(segments: Sequence[tuple[float, Forces]], loop: bool = True) -> FunctionSource:
    """Forces from consecutive ``(duration_s, forces)`` segments (looping by default)."""
    total_s = sum(d for d, _ in segments)

    def forces(t_s: float) -> Forces:
        t = t_s % total_s if loop else min(t_s, total_s - 1e-9)
        for duration_s, value in segments:
            if t < duration_s:
                return value
            t -= duration_s
        return segments[-1][1]

    return FunctionSource(forces)


@dataclass
class Probe(Listener):
    """Records, in sampler time, what the dashboard and the LED showed after each event."""

    monitor: Monitor
    feedback: Feedback
    frames: int = 0
    gaps: list[tuple[float, float, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    # (t_s, banner keys, led state) whenever one of them changed.
    shown: list[tuple[float, frozenset[str], LedState]] = field(default_factory=list)
    last_t_s: float = 0.0
    first_frame_s: float | None = None
    rate_hz_seen: list[float] = field(default_factory=list)

    def _look(self, t_s: float) -> None:
        keys = frozenset(b["key"] for b in self.monitor.status()["banners"])
        led = self.feedback.led_state
        if not self.shown or self.shown[-1][1:] != (keys, led):
            self.shown.append((t_s, keys, led))

    def on_frame(self, frame: VoltsFrame) -> None:
        self.frames += 1
        self.last_t_s = frame.t_s
        if self.first_frame_s is None:
            self.first_frame_s = frame.t_s
        if self.frames % 100 == 0:
            self.rate_hz_seen.append(self.monitor.status()["frame_rate_hz"])
        self._look(frame.t_s)

    def on_health(self, report: HealthReport) -> None:
        self._look(report.t_s)

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        self.gaps.append((start_s, end_s, reason))
        self._look(end_s)

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def first_shown(
        self, after_s: float, test: Callable[[frozenset[str], LedState], bool]
    ) -> float | None:
        """Sampler time (seconds after T0) of the first record after ``after_s`` passing test."""
        for t_s, keys, led in self.shown:
            if t_s - T0 >= after_s and test(keys, led):
                return t_s - T0
        return None

    def banner_keys_between(self, start_s: float, end_s: float) -> set[str]:
        """Every banner key shown between the two run times."""
        out: set[str] = set()
        for t_s, keys, _ in self.shown:
            if start_s <= t_s - T0 <= end_s:
                out |= keys
        return out


def fault_led(_keys: frozenset[str], led: LedState) -> bool:
    """The LED blinks the fault pattern."""
    return led is LedState.FAULT


class Device:
    """Emulated chip + real driver + Sampler + Monitor + SessionLog + Feedback (MockFactory)."""

    def __init__(
        self,
        data_dir: Path,
        forces: FunctionSource,
        *,
        clock: Clock | None = None,
        error_rate: float = 0.0,
        noise_lsb: float = 2.0,
        rate_hz: float = 100.0,
        seed: int = 0,
        wall_clock: Callable[[], Any] | None = None,
    ) -> None:
        self.clock = clock if clock is not None else FakeClock(T0)
        self._start_s = self.clock.monotonic()  # run time 0 on a real clock
        self.config = AdcConfig()
        self.chip = EmulatedAds1x15(
            inputs=FootVolts(forces, self.config), noise_lsb=noise_lsb, seed=seed
        )
        self.bus = EmulatedI2CBus(
            [self.chip],
            clock=self.clock,
            bus_hz=400_000,
            error_rate=error_rate,
            error_errnos=TRANSIENT_ERRNOS,
            seed=seed,
        )
        self.adc: Ads1x15Adc = open_adc(self.config, "emulated", emulator=self.bus)
        self.factory = MockFactory(pin_class=MockPWMPin)
        self.feedback = Feedback(PinConfig(), pin_factory=self.factory)
        self.log = SessionLog(data_dir / "sessions.sqlite3")
        options: dict[str, Any] = {} if wall_clock is None else {"wall_clock": wall_clock}
        self.monitor = Monitor(
            self.log, SourceInfo("emulated", True, "fault rig"), feedback=self.feedback, **options
        )
        self.probe = Probe(self.monitor, self.feedback)
        self.sampler = Sampler(self.adc, [self.monitor, self.probe], rate_hz=rate_hz)

    def channel(self, sensor: str) -> int:
        """The AIN channel ``sensor`` is wired to."""
        return self.config.channels[sensor]

    def at(self, t_s: float, action: Callable[[], object]) -> None:
        """Run ``action`` at ``t_s`` seconds into the run (bus clock)."""
        self.bus.schedule(self._origin() + t_s, action)

    def _origin(self) -> float:
        return T0 if isinstance(self.clock, FakeClock) else self._start_s

    @property
    def origin_s(self) -> float:
        """Clock reading of run time 0."""
        return self._origin()

    def run_until(self, t_s: float, real_timeout_s: float = 120.0) -> None:
        """Sample until the clock reads ``t_s`` seconds into the run (sampler keeps running)."""
        if not self.sampler.running:
            self.sampler.start()
        deadline = time.monotonic() + real_timeout_s
        while self.clock.monotonic() < self._origin() + t_s:
            assert self.sampler.running, "the sampler thread died"
            assert time.monotonic() < deadline, "the run did not reach its end in time"
            time.sleep(0.002)

    def close(self) -> None:
        """Stop sampling, close the monitor (ends a running set), the log, the pins, the bus."""
        try:
            self.sampler.close()
            self.monitor.close()
        finally:
            try:
                # Raises StorageFullError if buffered frames could not be written (never silent).
                self.log.close()
            finally:
                self.adc.close()
                self.factory.reset()
                self.factory.close()
