"""The largest pause the session-log writer causes the sampler, measured at the sampler.

Run: ``python -m benchmarks.log_pause [--seconds 60]`` (prints figures; nothing is asserted).

The real chain, in one process as in ``serve``: the emulated ADS1115 (real Adafruit
driver, 400 kHz bus timing) fed by the simulated foot, the ``Sampler`` thread at 100 Hz,
and the real ``Monitor`` with its ``LogWriter`` thread writing to a real SQLite file.
Two listeners around the monitor take timestamps on the sampler thread itself:

* the gap between consecutive frames' sampler timestamps (``t_s``), i.e. what a pause
  anywhere on that thread -- or a GIL held by the writer thread -- does to sampling;
* the time the sampler spends inside ``Monitor.process`` (pipeline, batching frames for
  the writer, fan-out to subscribers).

The same run is made with a set running (every frame goes to the log writer, chunks are
committed with an fsync about once a second) and without one (nothing is logged),
alternating in halves so that a burst of load on the machine hits both alike. The figure
of merit is how much the largest gap grows when logging is on.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.adc import open_adc
from firmware.config import AdcConfig
from firmware.foot_source import simulated_foot_volts
from firmware.monitor import Monitor, SourceInfo
from firmware.sampler import Listener, Sampler
from insole.frames import VoltsFrame
from insole.store import SessionLog

RATE_HZ = 100.0
EXTRA_PAUSE_TARGET_MS = 1000.0 / RATE_HZ
"""Logging may lengthen the largest gap by at most one frame period: it never costs a frame."""


class _Stamp(Listener):
    """First listener: notes when the sampler thread starts delivering a frame."""

    def __init__(self) -> None:
        self.started_s = 0.0

    def on_frame(self, frame: VoltsFrame) -> None:
        self.started_s = time.perf_counter()


class _Record(Listener):
    """Last listener: frame timestamps and the time spent in the listeners between."""

    def __init__(self, stamp: _Stamp) -> None:
        self.stamp = stamp
        self.t_s: list[float] = []
        self.process_s: list[float] = []
        self.recording = False

    def on_frame(self, frame: VoltsFrame) -> None:
        if self.recording:
            self.process_s.append(time.perf_counter() - self.stamp.started_s)
            self.t_s.append(frame.t_s)


@dataclass(frozen=True)
class PauseFigures:
    """Frame gaps and listener time, one mode (logging on or off)."""

    frames: int
    seconds: float
    max_gap_ms: float
    p999_gap_ms: float
    median_gap_ms: float
    max_process_ms: float
    median_process_us: float

    @property
    def rate_hz(self) -> float:
        """Frames delivered per second."""
        return self.frames / self.seconds if self.seconds else 0.0


def _figures(t_s: list[list[float]], process_s: list[float], seconds: float) -> PauseFigures:
    gaps = np.concatenate([np.diff(np.asarray(run)) for run in t_s if len(run) > 1]) * 1e3
    process = np.asarray(process_s)
    return PauseFigures(
        frames=sum(len(run) for run in t_s),
        seconds=seconds,
        max_gap_ms=float(gaps.max()),
        p999_gap_ms=float(np.quantile(gaps, 0.999)),
        median_gap_ms=float(np.median(gaps)),
        max_process_ms=float(process.max()) * 1e3,
        median_process_us=float(np.median(process)) * 1e6,
    )


def measure(seconds: float = 60.0, halves: int = 2) -> tuple[PauseFigures, PauseFigures]:
    """(with logging, without logging), each over ``seconds`` in ``halves`` alternating parts."""
    part_s = seconds / halves
    runs: dict[bool, list[list[float]]] = {True: [], False: []}
    process: dict[bool, list[float]] = {True: [], False: []}
    config = AdcConfig()
    with tempfile.TemporaryDirectory(prefix="insole-pause-") as folder:
        store = SessionLog(Path(folder) / "sessions.sqlite3")
        adc = open_adc(config, "emulated", simulated_foot_volts(config), bus_hz=400_000)
        stamp = _Stamp()
        record = _Record(stamp)
        try:
            monitor = Monitor(store, SourceInfo("emulated", True, adc.description))
            try:
                with Sampler(adc, [stamp, monitor, record], rate_hz=RATE_HZ):
                    time.sleep(0.5)  # warm-up: first scans, caches
                    for _ in range(halves):
                        for logging in (True, False):
                            if logging:
                                monitor.start_set()
                            record.t_s, record.process_s = [], []
                            record.recording = True
                            time.sleep(part_s)
                            record.recording = False
                            runs[logging].append(record.t_s)
                            process[logging].extend(record.process_s)
                            if logging:
                                monitor.stop_set()
            finally:
                monitor.close()
        finally:
            adc.close()
            store.close()
    return (
        _figures(runs[True], process[True], seconds),
        _figures(runs[False], process[False], seconds),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per mode (60)")
    args = parser.parse_args(argv)
    with_log, without = measure(args.seconds)
    for name, fig in (("with logging", with_log), ("without logging", without)):
        print(
            f"{name:16} {fig.frames} frames ({fig.rate_hz:.1f}/s): largest gap "
            f"{fig.max_gap_ms:.1f} ms (99.9th pct {fig.p999_gap_ms:.1f}, median "
            f"{fig.median_gap_ms:.2f}); Monitor.process median {fig.median_process_us:.0f} us, "
            f"longest {fig.max_process_ms:.2f} ms"
        )
    extra = with_log.max_gap_ms - without.max_gap_ms
    verdict = "PASS" if extra <= EXTRA_PAUSE_TARGET_MS else "FAIL"
    print(
        f"extra pause from logging: {extra:+.1f} ms "
        f"(target <= {EXTRA_PAUSE_TARGET_MS:g}) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
