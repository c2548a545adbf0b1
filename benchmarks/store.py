"""Session-log benchmark: size per hour of 100 Hz frames against CSV, and write cost.

Run: ``python -m benchmarks.store`` (add ``--minutes N`` for a shorter run).

Prints, for realistic frames (smooth forces of tens of newtons, sensor noise of
0.05-0.3 N, 100 Hz with timing jitter):

* bytes per hour in the SQLite log (frame chunks plus every table and index) and the
  size of the same frames as a recording CSV (3 decimals for time, 2 for forces),
  and their ratio (target: <= 6 MB per hour and under 1/5 of the CSV);
* write cost per frame when frames arrive one at a time as from the sampler, and the
  largest single ``append_frames`` pause (a chunk write with its fsync);
* the time to read an hour of frames back.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from insole import frame_codec
from insole.store import SessionLog
from tests.test_store_support import make_hold, realistic_frames

RATE_HZ = 100.0


def csv_bytes(frames: npt.NDArray[np.float64]) -> int:
    """Size of the frames as a plain recording CSV."""
    out = io.StringIO()
    out.write("time_s,heel_n,little_toe_n,big_toe_n\n")
    for t, heel, little, big in frames.tolist():
        out.write(f"{t:.3f},{heel:.2f},{little:.2f},{big:.2f}\n")
    return len(out.getvalue().encode())


def log_hour(frames: npt.NDArray[np.float64], directory: Path) -> dict[str, float]:
    """Log the frames one at a time (as live), with a hold every 10 s; measure."""
    path = directory / "sessions.sqlite3"
    pauses = np.empty(len(frames))
    with SessionLog(path) as log:
        sid = log.start_session(
            started_at=datetime.now(UTC),
            exercise="arch_hold",
            foot="left",
            source="benchmark",
            settings={},
        )
        rows = [frame.reshape(1, 4) for frame in frames]
        hold_every = int(10 * RATE_HZ)
        start = time.perf_counter()
        for i, row in enumerate(rows):
            before = time.perf_counter()
            log.append_frames(sid, row)
            if i and i % hold_every == 0:
                log.add_hold(sid, make_hold(float(row[0, 0]) - 9.0))
            pauses[i] = time.perf_counter() - before
        log.end_session(sid, datetime.now(UTC))
        total_s = time.perf_counter() - start
        read_start = time.perf_counter()
        back = log.frames_array(sid)
        read_s = time.perf_counter() - read_start
        assert back.shape == frames.shape
    size = sum(p.stat().st_size for p in directory.iterdir() if p.name.startswith(path.name))
    return {
        "bytes": float(size),
        "us_per_frame": total_s / len(frames) * 1e6,
        "median_append_us": float(np.median(pauses)) * 1e6,
        "max_pause_ms": float(pauses.max()) * 1e3,
        "p999_pause_ms": float(np.quantile(pauses, 0.999)) * 1e3,
        "read_s": read_s,
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the run")
    args = parser.parse_args()
    n = int(args.minutes * 60 * RATE_HZ)
    scale = 60.0 / args.minutes  # to "per hour"

    print(f"frames: {n} at {RATE_HZ:g} Hz ({args.minutes:g} min), figures scaled to 1 hour")
    print("chunk encoding alone (1 s chunks), by sensor noise:")
    for noise_n in (0.05, 0.15, 0.3):
        frames = realistic_frames(n, noise_n=noise_n, seed=1)
        step = int(RATE_HZ)
        encoded = sum(len(frame_codec.encode(frames[i : i + step])) for i in range(0, n, step))
        csv = csv_bytes(frames)
        print(
            f"  noise {noise_n:4.2f} N: {encoded * scale / 1e6:5.2f} MB/h encoded, "
            f"CSV {csv * scale / 1e6:5.2f} MB/h, CSV/encoded {csv / encoded:4.1f}, "
            f"{encoded / n:4.2f} B/frame"
        )

    for noise_n in (0.15, 0.3):
        frames = realistic_frames(n, noise_n=noise_n, seed=2)
        csv = csv_bytes(frames)
        with tempfile.TemporaryDirectory() as tmp:
            result = log_hour(frames, Path(tmp))
        print(f"whole SQLite log, noise {noise_n:g} N, frames appended one at a time:")
        print(
            f"  size {result['bytes'] * scale / 1e6:.2f} MB/h (target <= 6), "
            f"CSV {csv * scale / 1e6:.2f} MB/h, ratio CSV/log {csv / result['bytes']:.1f} "
            "(target > 5)"
        )
        print(
            f"  write cost {result['us_per_frame']:.1f} us/frame (median append "
            f"{result['median_append_us']:.1f} us), largest pause {result['max_pause_ms']:.1f} ms"
            f" (99.9th percentile {result['p999_pause_ms']:.2f} ms)"
        )
        print(f"  reading the frames back: {result['read_s'] * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
