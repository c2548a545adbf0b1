"""Cost of ``Feedback.handle("frame", ...)`` on the live path, on gpiozero's MockFactory.

Run: ``python -m benchmarks.feedback``. Prints microseconds per call for frames that leave
the LED state unchanged (the common case: hundreds per second) and for frames that flip it
every time (worst case: pin writes on every call). Mock pins make pin writes cheaper than
lgpio's, so the second figure is a lower bound on a Pi; the first does not touch pins.
"""

from __future__ import annotations

import time
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware.config import PinConfig
from firmware.feedback import Feedback

BALANCED: dict[str, Any] = {"balanced": True, "off_point": None, "total_n": 60.0,
                            "hold": {"state": "entering"}}
OFF_BALANCE: dict[str, Any] = {"balanced": False, "off_point": "heel", "total_n": 60.0,
                               "hold": {"state": "idle"}}


def per_call_us(fb: Feedback, frames: list[dict[str, Any]], repeat: int) -> float:
    """Best of five runs, in microseconds per ``handle`` call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            for frame in frames:
                fb.handle("frame", frame)
        best = min(best, (time.perf_counter() - start) / (repeat * len(frames)))
    return best * 1e6


def main() -> None:
    """Print the figures."""
    factory = MockFactory(pin_class=MockPWMPin)
    try:
        with Feedback(PinConfig(), pin_factory=factory) as fb:
            steady = per_call_us(fb, [BALANCED], 20_000)
            flipping = per_call_us(fb, [BALANCED, OFF_BALANCE], 500)
    finally:
        factory.reset()
        factory.close()
    print(f"handle('frame') with the state unchanged: {steady:.2f} µs per call")
    print(f"handle('frame') flipping the LED colour every call: {flipping:.1f} µs per call")
    print(f"at 200 frames/s the steady case costs {steady * 200 / 1e4:.3f} % of one core")


if __name__ == "__main__":
    main()
