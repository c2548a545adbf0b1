"""Exercise modes: per-frame cost of each counter and how reliably each counts its script.

Run: ``python -m benchmarks.exercises [--seeds N]`` (prints figures; nothing is asserted).

* live path per mode: ``counter.step(frame)`` (forces in, live state out), median of
  repeated runs over the mode's example session; the arch hold's budget is 20 µs on a
  desktop core (``benchmarks.core``), the other modes should stay near it.
* bulk path per mode: ``counter.feed`` (what ``analyze`` runs).
* counting reliability: each mode's example script simulated with N seeds; the share
  of seeds with the scripted number of reps (holds), and of seeds whose records match
  the scripted outcomes exactly (rep modes: outcome, phase
  of the loss and knee drift per rep; band hold: outcome, pulls and snap per hold). The
  committed examples use one seed each; this shows how far the rules generalise.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from insole.exercises import MODES, make_counter
from insole.exercises.examples import EXAMPLES, EXPECTED, EXPECTED_BAND, example_name
from insole.frames import Frame
from insole.recording_csv import read_recording
from insole.sim_script import Script
from insole.simulator import SimulatedFoot

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"


def _frames(mode: str) -> list[Frame]:
    name = "arch_hold_session.csv" if mode == "arch_hold" else example_name(mode)
    return read_recording(EXAMPLES_DIR / name)


def per_frame_us(mode: str, frames: list[Frame], bulk: bool, repeats: int = 5) -> float:
    """Median microseconds per frame of ``step`` (or ``feed`` when ``bulk``)."""
    runs = []
    for _ in range(repeats):
        counter = make_counter(mode)
        start = time.perf_counter()
        if bulk:
            counter.feed(frames)
        else:
            step = counter.step
            for frame in frames:
                step(frame)
        runs.append((time.perf_counter() - start) / len(frames) * 1e6)
    return statistics.median(runs)


def _signature(mode: str, records: list[Any]) -> list[tuple[Any, ...]]:
    if mode == "band_hold":
        return [(b.outcome, b.pulls, b.snapped) for b in records]
    return [(r.outcome, r.lost_phase, r.knee_drift) for r in records]


def reliability(mode: str, seeds: int) -> tuple[float, float]:
    """Shares of seeds with the scripted number of records, and with every record exact."""
    text, _ = EXAMPLES[mode]
    expected = EXPECTED_BAND if mode == "band_hold" else EXPECTED[mode]
    counted = exact = 0
    for seed in range(seeds):
        counter = make_counter(mode)
        records = counter.feed(SimulatedFoot(Script.parse(text), seed).frames(100.0))
        records += counter.finish()
        counted += len(records) == len(expected)
        exact += _signature(mode, records) == expected
    return counted / seeds, exact / seeds


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exercises")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per mode (default 20)")
    args = parser.parse_args(argv)
    print(
        f"{'mode':<14} {'step µs/frame':>14} {'feed µs/frame':>14} {'count right':>12} "
        f"{'all exact':>10}"
    )
    for mode in MODES:
        frames = _frames(mode)
        live = per_frame_us(mode, frames, bulk=False)
        bulk = per_frame_us(mode, frames, bulk=True)
        if mode == "arch_hold":
            counted = exact = "-"
        else:
            shares = reliability(mode, args.seeds)
            counted, exact = (f"{100 * x:.0f} %" for x in shares)
        print(f"{mode:<14} {live:>14.1f} {bulk:>14.1f} {counted:>12} {exact:>10}")
    print(f"(exact counts: seeds 0..{args.seeds - 1} of each example script)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
