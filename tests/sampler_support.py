"""Running a real sampler thread against an emulated bus on a fake clock."""

from __future__ import annotations

import time

from firmware.clock import FakeClock
from firmware.sampler import Sampler

T0 = 1000.0
"""FakeClock's start, in seconds."""


def run_on_fake_clock(sampler: Sampler, clock: FakeClock, until_s: float) -> None:
    """Run ``sampler`` until ``clock`` reads ``until_s`` seconds after :data:`T0`, then stop it.

    The emulated bus advances the fake clock as the sampler reads it; the real-time deadline only
    catches a clock that stopped advancing (a hung bus), it is not a speed assertion.
    """
    with sampler:
        deadline = time.monotonic() + 30.0
        while clock.monotonic() < T0 + until_s:
            assert sampler.running, "the sampler thread died"
            assert time.monotonic() < deadline, "fake time stopped advancing"
            time.sleep(0.002)
