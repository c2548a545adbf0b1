"""Clocks for the acquisition code: the real monotonic clock and a fake one for tests.

Everything that waits or time-stamps in ``firmware`` (the emulated chip's conversion and
wire times, the ADC deadlines, the sampler's schedule) takes a ``Clock`` so that tests can
run hours of acquisition in milliseconds: with a ``FakeClock`` a ``sleep`` just moves time
forward, so a thread that sleeps never really waits.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic time source that can also wait."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (no-op for zero or negative)."""
        ...

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` or until ``event`` is set; whether it is set."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``time.sleep``."""

    sleeps_for_real = True
    """A sleep gives up the CPU (so a loop on this clock may run at real-time priority)."""

    def monotonic(self) -> float:
        """Seconds of ``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Really sleep (the thread gives up the CPU)."""
        if seconds > 0.0:
            time.sleep(seconds)

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """``event.wait(seconds)``: a stop request ends the wait at once."""
        return event.wait(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()
"""The shared real clock (stateless)."""


class FakeClock:
    """A clock that only moves when someone sleeps on it or calls ``advance``.

    Thread-safe: several threads may sleep on it; each sleep advances the common time, so
    time runs as fast as the code does.
    """

    sleeps_for_real = False
    """A loop on this clock never waits: it must stay at normal priority."""

    def __init__(self, start_s: float = 1000.0) -> None:
        self._now_s = start_s
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """The current fake time in seconds."""
        with self._lock:
            return self._now_s

    def sleep(self, seconds: float) -> None:
        """Advance the fake time by ``seconds`` and return at once."""
        if seconds > 0.0:
            self.advance(seconds)
        else:
            # Still yield the GIL so that a fake-clock loop cannot starve other threads.
            time.sleep(0)

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Advance time by ``seconds`` unless ``event`` is already set."""
        if not event.is_set():
            self.sleep(seconds)
        return event.is_set()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (must not be negative)."""
        if seconds < 0.0:
            raise ValueError(f"a clock cannot go backwards: advance({seconds!r})")
        with self._lock:
            self._now_s += seconds
        time.sleep(0)
