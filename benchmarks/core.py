"""Per-frame core path and ``analyze`` throughput.

Run: ``python -m benchmarks.core`` (prints figures; nothing is asserted).

* live path: volts -> calibrate -> smooth -> balance -> hold counter -> LiveState, per frame
  (median of repeated runs over a simulated session); target 20 µs on a desktop core so
  that a Pi Zero 2 (about 15x slower) keeps up with 200+ frames per second.
* analyze: read a 30-minute 100 Hz recording CSV and count its holds; target 1.5 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from insole.analysis import analyze_frames
from insole.frames import VoltsFrame
from insole.pipeline import Pipeline
from insole.recording_csv import read_recording, write_recording
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.sim_script import default_session
from insole.simulator import SimulatedFoot

LIVE_TARGET_US = 20.0
ANALYZE_TARGET_S = 1.5


def live_path_us(repeats: int = 7) -> float:
    """Median microseconds per frame of ``Pipeline.step_volts``."""
    curve, divider = FsrCurve(), Divider()
    frames = list(SimulatedFoot(default_session(), seed=1).frames(100.0))
    volts = [
        VoltsFrame(f.t_s, *(force_to_volts(x, curve, divider) for x in f.forces_n)) for f in frames
    ]
    runs = []
    for _ in range(repeats):
        pipeline = Pipeline()
        step = pipeline.step_volts
        start = time.perf_counter()
        for frame in volts:
            step(frame)
        runs.append((time.perf_counter() - start) / len(volts) * 1e6)
    return statistics.median(runs)


def analyze_seconds(minutes: float = 30.0) -> tuple[float, float, int]:
    """Seconds to read + analyse a ``minutes`` long 100 Hz recording; also the read share."""
    foot = SimulatedFoot(default_session(), seed=2, loop=True)
    n = int(minutes * 60 * 100)
    frames = []
    gen = foot.frames(100.0)
    for _ in range(n):
        frames.append(next(gen))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.csv"
        write_recording(path, frames)
        start = time.perf_counter()
        loaded = read_recording(path)
        read_s = time.perf_counter() - start
        analysis = analyze_frames(loaded)
        total_s = time.perf_counter() - start
    return total_s, read_s, len(analysis.holds)


def main() -> None:
    """Print the figures with their targets."""
    live = live_path_us()
    total, read, holds = analyze_seconds()
    print(
        f"live path per frame (median of 7): {live:6.2f} us   target <= {LIVE_TARGET_US:g} us"
        f"   {'PASS' if live <= LIVE_TARGET_US else 'FAIL'}"
    )
    print(
        f"analyze 30 min @ 100 Hz:           {total:6.2f} s    target <= {ANALYZE_TARGET_S:g} s"
        f"    {'PASS' if total <= ANALYZE_TARGET_S else 'FAIL'}"
        f"   (read {read:.2f} s, {holds} holds)"
    )


if __name__ == "__main__":
    main()
