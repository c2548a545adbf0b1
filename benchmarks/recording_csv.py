"""Recording CSV read/write speed on a 30-minute 100 Hz recording (180,000 rows).

Run: ``python -m benchmarks.recording_csv``. Prints the best of several runs for each
reader form; the target is a read well under 0.4 s so that ``analyze`` of such a file
fits in 1.5 s.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from insole.recording_csv import (
    iter_recording,
    read_recording,
    read_recording_arrays,
    write_recording,
)
from insole.sim_script import Script
from insole.simulator import SimulatedFoot

ROWS = 180_000
RATE_HZ = 100.0


def _ignore(fraction: float) -> None:
    """A progress callback that draws nothing (measures the chunked path's cost)."""


def _best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Make the file in memory from the simulator, then time each reader form."""
    foot = SimulatedFoot(Script.parse("hold 10; rest 5"), seed=1, loop=True)
    frames = [f for f, _ in zip(foot.frames(RATE_HZ), range(ROWS), strict=False)]
    buffer = io.StringIO()
    write_s = _best_of(1, lambda: write_recording(buffer, frames, decimals=2))
    text = buffer.getvalue()
    print(f"rows: {len(frames)}, file size: {len(text) / 1e6:.1f} MB (2 decimals)")
    print(f"write_recording (2 decimals):   {write_s:.3f} s")
    for name, reader in (
        ("read_recording_arrays", lambda: read_recording_arrays(io.StringIO(text))),
        ("read_recording", lambda: read_recording(io.StringIO(text))),
        ("read_recording + progress", lambda: read_recording(io.StringIO(text), progress=_ignore)),
        ("iter_recording (all chunks)", lambda: list(iter_recording(io.StringIO(text)))),
    ):
        print(f"{name + ':':31} {_best_of(5, reader):.3f} s (best of 5)")


if __name__ == "__main__":
    main()
