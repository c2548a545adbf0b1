"""Every benchmark in one run: a table of figures, targets and PASS/FAIL, and BENCHMARKS.md.

Run: ``python -m benchmarks`` (see ``--help``; ``--quick`` for a smoke run of a minute or
so, ``--only NAME`` for some measurements). Each measurement declares its figure rows up
front, so the table always has every row: a measurement that cannot run (a part missing,
an error) fills its rows with the reason and FAIL instead of dropping them.

Each figure stands beside its alternative measured in the same run (our sampler beside a
plain ``AnalogIn(...).value`` loop, the log beside a CSV of the same frames, the largest
sampler gap with logging beside the same without logging, ...) so that the comparison
holds on a noisy machine even when the absolute numbers move.
"""

from __future__ import annotations

import importlib
import io
import os
import platform
import re
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "BENCHMARKS.md"


@dataclass(frozen=True)
class Row:
    """A figure row as declared: stable key, what it is, and its target (``""``: none)."""

    key: str
    label: str
    target: str = ""


@dataclass
class Result:
    """A measured figure: the value, the alternative beside it, and pass/fail."""

    value: str
    alternative: str = ""
    passed: bool | None = None  # None: informational, no target


@dataclass
class Outcome:
    """What one measurement produced: figures by key, a details section, errors."""

    results: dict[str, Result] = field(default_factory=dict)
    details: str = ""
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Measurement:
    """One measurement: its rows, how to run it (quick or full), and how it is done."""

    name: str
    title: str
    rows: tuple[Row, ...]
    run: Callable[[bool], Outcome]
    method: str


def verdict(passed: bool | None) -> str:
    """PASS, FAIL or a dash for a figure without a target."""
    return "-" if passed is None else ("PASS" if passed else "FAIL")


# -- acquisition (firmware.acquisition_bench, the code behind ``insole-monitor bench``) -----

ACQ_RATES = (128, 475, 860)


def _acquisition(quick: bool) -> Outcome:
    from firmware import acquisition_bench as ab  # noqa: PLC0415 (heavy, only when run)
    from firmware.clock import FakeClock  # noqa: PLC0415

    # Per reader and rate, in three alternating slices (the medians are reported).
    seconds = 0.3 if quick else 6.0
    description, results, notes = ab.run_rates("emulated", ACQ_RATES, seconds, 400_000)
    out = Outcome()
    top = max(r.data_rate_sps for r in results)
    for r in results:
        best_hz = max(r.ours_hz, r.single_hz)
        share_ok = r.best_share >= ab.SCAN_RATE_TARGET if r.data_rate_sps == top else None
        out.results[f"acq.{r.data_rate_sps}.rate"] = Result(
            f"{best_hz:.1f}/s ({r.best_share:.0%} of {r.theoretical_hz:.1f})",
            f"plain loop {r.plain_hz:.1f}/s ({r.plain_hz / r.theoretical_hz:.0%})",
            share_ok,
        )
        best_cpu = min(r.ours_cpu_s_per_1000, r.single_cpu_s_per_1000)
        out.results[f"acq.{r.data_rate_sps}.cpu"] = Result(
            f"{best_cpu:.3f} s ({r.best_cpu_ratio:.2f} x plain)",
            f"plain loop {r.plain_cpu_s_per_1000:.3f} s",
            r.best_cpu_ratio <= ab.CPU_RATIO_TARGET,
        )
    # The same at the top rate on exact timing: what the code does without the host's
    # scheduling delays (CPU is then the Python work alone, no time spent in sleep calls).
    _desc, exact, exact_notes = ab.run_rates(
        "emulated", (max(ACQ_RATES),), seconds, 400_000, fake_clock=True
    )
    e = exact[0]
    out.results["acq.exact"] = Result(
        f"{max(e.ours_hz, e.single_hz) / e.theoretical_hz:.0%} of the limit, CPU "
        f"{e.best_cpu_ratio:.2f} x plain",
        f"plain loop {e.plain_hz / e.theoretical_hz:.0%} of the limit",
    )
    soak_s = 120.0 if quick else 600.0
    soak = ab.run_soak(soak_s, error_rate=0.01, clock=FakeClock())
    out.results["acq.soak.delivered"] = Result(
        f"{soak.delivered_share:.2%} ({soak.frames}/{soak.expected_frames})",
        f"{soak.failed_transfers} of {soak.transfers} transfers failed, "
        f"{len(soak.gaps)} gaps marked",
        soak.sampler_alive_at_end and soak.delivered_share >= ab.DELIVERED_TARGET,
    )
    detect, clear = soak.unplug_detect_s, soak.unplug_clear_s
    out.results["acq.soak.unplug"] = Result(
        "never" if detect is None else f"{detect:.2f} s",
        "cleared " + ("never" if clear is None else f"after {clear:.2f} s")
        + f"; chip gone 1 s: recovered {soak.recovered}",
        detect is not None and detect <= ab.DETECT_TARGET_S
        and clear is not None and clear <= ab.DETECT_TARGET_S and soak.recovered,
    )
    out.details = (
        ab.format_rates(description, results, 400_000, notes=notes)
        + "\n\n"
        + ab.format_rates(description, exact, 400_000, fake_clock=True, notes=exact_notes)
        + "\n\n"
        + ab.format_soak(soak, fake_clock=True)
    )
    return out


ACQUISITION = Measurement(
    "acquisition",
    "Acquisition on the emulated ADS1115 (real Adafruit driver, 400 kHz bus timing)",
    (
        *(
            Row(
                f"acq.{sps}.rate",
                f"three-channel scans/s at {sps} SPS, our sampler",
                ">= 90% of data rate / 3" if sps == max(ACQ_RATES) else "",
            )
            for sps in ACQ_RATES
        ),
        *(
            Row(f"acq.{sps}.cpu", f"CPU s per 1000 scans at {sps} SPS, our sampler",
                "<= 0.25 x plain loop")
            for sps in ACQ_RATES
        ),
        Row("acq.exact", f"the same at {max(ACQ_RATES)} SPS on exact timing (fake clock)"),
        Row("acq.soak.delivered", "fault soak, 1% of transfers failing: frames delivered",
            ">= 98%, no crash"),
        Row("acq.soak.unplug", "fault soak: unplugged sensor reported after",
            "<= 1 s, auto recovery"),
    ),
    _acquisition,
    "`firmware.acquisition_bench` (the code of `insole-monitor bench`): per data rate, our "
    "sampler (both read strategies, the better one counts) and the tutorial loop "
    "`AnalogIn(ads, pin).value` over the three channels run one after the other on the "
    "same emulated bus, each as fast as it can for 3 s (0.3 s with --quick); CPU is the "
    "measuring thread's CPU time. The exact-timing row repeats the top rate on a fake clock "
    "(sleeps and wire times exact, CPU = the Python work alone): what the code does without "
    "this host's wake-up delays. The soak runs 10 minutes of the sampler at 100 Hz on a "
    "fake clock (2 minutes with --quick) with 1% of transfers failing, a sensor unplugged "
    "for 5 s and the chip gone for 1 s.",
)


# -- core (benchmarks.core) -------------------------------------------------------------


def _monitor_process_us(frames: int) -> tuple[float, float]:
    """Median µs of ``Monitor.process`` per frame with a set running and 8 idle readers."""
    from firmware.monitor import Monitor, SourceInfo  # noqa: PLC0415
    from insole.frames import VoltsFrame  # noqa: PLC0415
    from insole.sensor_model import Divider, FsrCurve, force_to_volts  # noqa: PLC0415
    from insole.sim_script import default_session  # noqa: PLC0415
    from insole.simulator import SimulatedFoot  # noqa: PLC0415
    from insole.store import SessionLog  # noqa: PLC0415

    curve, divider = FsrCurve(), Divider()
    volts = []
    for f, _ in zip(SimulatedFoot(default_session(), seed=3, loop=True).frames(100.0),
                    range(frames), strict=False):
        volts.append(VoltsFrame(f.t_s, *(force_to_volts(x, curve, divider) for x in f.forces_n)))
    with tempfile.TemporaryDirectory(prefix="insole-core-") as folder:
        store = SessionLog(Path(folder) / "s.sqlite3")
        try:
            with Monitor(store, SourceInfo("emulated", True, "benchmark")) as monitor:
                subs = [monitor.subscribe() for _ in range(8)]
                monitor.start_set()
                times = np.empty(len(volts))
                clock = time.perf_counter
                process = monitor.process
                for i, frame in enumerate(volts):
                    start = clock()
                    process(frame)
                    times[i] = clock() - start
                for sub in subs:
                    sub.close()
        finally:
            store.close()
    return float(np.median(times)) * 1e6, float(np.quantile(times, 0.99)) * 1e6


def _core(quick: bool) -> Outcome:
    from benchmarks import core  # noqa: PLC0415

    out = Outcome()
    live_us = core.live_path_us(repeats=1 if quick else 7)
    out.results["core.live"] = Result(
        f"{live_us:.1f} µs",
        f"Pi Zero 2 (x15): {live_us * 15:.0f} µs = {1e6 / (live_us * 15):,.0f} frames/s max",
        live_us <= core.LIVE_TARGET_US,
    )
    median_us, p99_us = _monitor_process_us(3000 if quick else 30_000)
    out.results["core.monitor"] = Result(
        f"{median_us:.1f} µs", f"99th percentile {p99_us:.1f} µs; frame period 10,000 µs"
    )
    minutes = 2.0 if quick else 30.0
    total_s, read_s, holds = core.analyze_seconds(minutes)
    frames = minutes * 60 * 100
    per_30_min_s = total_s * 30.0 / minutes
    out.results["core.analyze"] = Result(
        f"{per_30_min_s:.2f} s ({frames / total_s:,.0f} frames/s)"
        + ("" if minutes == 30.0 else f", scaled from {minutes:g} min"),
        f"of which reading the CSV {read_s * 30.0 / minutes:.2f} s; {holds} holds",
        per_30_min_s <= core.ANALYZE_TARGET_S,
    )
    return out


CORE = Measurement(
    "core",
    "Core path and analyze",
    (
        Row("core.live", "per-frame core path (calibrate, smooth, balance, hold), median",
            "<= 20 µs"),
        Row("core.monitor", "Monitor.process per frame (core + log batching + 8 subscribers)"),
        Row("core.analyze", "analyze of a 30-min 100 Hz recording CSV", "<= 1.5 s"),
    ),
    _core,
    "`benchmarks.core`: `Pipeline.step_volts` over a simulated session (median of 7 runs, 1 "
    "with --quick); `Monitor.process` timed per call with a set running and 8 open "
    "subscriptions (what the sampler thread pays per frame); `analyze` = read the recording "
    "CSV + `analyze_frames` on 30 minutes of simulated 100 Hz frames (2 minutes with --quick, "
    "scaled to 30).",
)


# -- session log (benchmarks.store) ------------------------------------------------------


def _store(quick: bool) -> Outcome:
    from benchmarks import store  # noqa: PLC0415
    from tests.test_store_support import realistic_frames  # noqa: PLC0415

    # Not shorter with --quick: the fixed size of an empty database would dominate.
    minutes = 10.0 if quick else 60.0
    frames = realistic_frames(int(minutes * 60 * store.RATE_HZ), noise_n=0.15, seed=2)
    csv = store.csv_bytes(frames)
    with tempfile.TemporaryDirectory(prefix="insole-store-") as folder:
        r = store.log_hour(frames, Path(folder))
    scale = 60.0 / minutes
    size_mb_h = r["bytes"] * scale / 1e6
    out = Outcome()
    note = "" if minutes == 60.0 else f", scaled from {minutes:g} min"
    out.results["store.size"] = Result(
        f"{size_mb_h:.2f} MB/h{note}", f"CSV {csv * scale / 1e6:.2f} MB/h", size_mb_h <= 6.0
    )
    out.results["store.ratio"] = Result(
        f"{r['bytes'] / csv:.3f} ({csv / r['bytes']:.1f}x smaller)", "", r["bytes"] < csv / 5
    )
    out.results["store.write"] = Result(
        f"{r['us_per_frame']:.1f} µs",
        f"median append {r['median_append_us']:.1f} µs; largest append {r['max_pause_ms']:.1f} ms "
        f"(on the writer thread)",
    )
    return out


STORE = Measurement(
    "store",
    "Session log size and write cost",
    (
        Row("store.size", "log size per hour of 100 Hz frames", "<= 6 MB/h"),
        Row("store.ratio", "log size / CSV size of the same frames", "< 1/5"),
        Row("store.write", "write cost per frame (appended one at a time, fsync per chunk)"),
    ),
    _store,
    "`benchmarks.store`: an hour (10 minutes with --quick, scaled) of realistic 100 Hz frames "
    "(smooth tens of newtons, 0.15 N sensor noise, timing jitter) appended one frame at a "
    "time to a real SQLite session log with a hold every 10 s; size = the database and its "
    "WAL; CSV = the same frames as a recording CSV (3 decimals for time, 2 for forces).",
)


# -- the log writer's pause at the sampler (benchmarks.log_pause) ----------------------------


def _pause(quick: bool) -> Outcome:
    from benchmarks import log_pause  # noqa: PLC0415

    with_log, without = log_pause.measure(2.0 if quick else 60.0)
    extra = with_log.max_gap_ms - without.max_gap_ms
    out = Outcome()
    out.results["pause.gap"] = Result(
        f"{with_log.max_gap_ms:.1f} ms (99.9th pct {with_log.p999_gap_ms:.1f})",
        f"without logging {without.max_gap_ms:.1f} ms (99.9th pct {without.p999_gap_ms:.1f}); "
        f"extra {extra:+.1f} ms",
        extra <= log_pause.EXTRA_PAUSE_TARGET_MS,
    )
    out.results["pause.process"] = Result(
        f"{with_log.max_process_ms:.2f} ms (median {with_log.median_process_us:.0f} µs)",
        f"without logging {without.max_process_ms:.2f} ms "
        f"(median {without.median_process_us:.0f} µs)",
    )
    out.results["pause.rate"] = Result(
        f"{with_log.rate_hz:.1f}/s", f"without logging {without.rate_hz:.1f}/s",
        with_log.rate_hz >= 0.99 * without.rate_hz,
    )
    return out


PAUSE = Measurement(
    "pause",
    "Largest pause the log writer causes the sampler",
    (
        Row("pause.gap", "largest gap between sampler frames at 100 Hz, logging",
            "<= without logging + 10 ms"),
        Row("pause.process", "longest time in Monitor.process on the sampler thread, logging"),
        Row("pause.rate", "frames delivered per second, logging", ">= 99% of without logging"),
    ),
    _pause,
    "`benchmarks.log_pause`: the real sampler thread at 100 Hz on the emulated ADS1115 with "
    "the real Monitor and LogWriter thread writing to SQLite; listeners before and after the "
    "monitor stamp every frame on the sampler thread. A set running (every frame logged) and "
    "no set (nothing logged) alternate in halves, 60 s each (2 s with --quick).",
)


# -- live latency and page size (benchmarks.live_latency, dashboard) --------------------------

LIVE_CLIENTS = (1, 4, 8)


def _live(quick: bool) -> Outcome:
    live_latency: Any = importlib.import_module("benchmarks.live_latency")
    results = live_latency.run(1.0 if quick else 10.0, list(LIVE_CLIENTS))
    target_ms = float(live_latency.LATENCY_P95_TARGET_MS)
    rate_target = float(live_latency.RATE_TARGET_HZ)
    out = Outcome()
    for row in results["latency"]:
        n = row["clients"]
        out.results[f"live.{n}.latency"] = Result(
            f"{row['p50_ms']:.1f} / {row['p95_ms']:.1f} / {row['p99_ms']:.1f} ms",
            f"max {row['max_ms']:.1f} ms over {row['events']} events",
            row["p95_ms"] <= target_ms,
        )
        out.results[f"live.{n}.rate"] = Result(
            f"{row['rate_min_hz']:.1f}/s (lowest client)",
            f"mean {row['rate_mean_hz']:.1f}/s; sampler 100 frames/s",
            row["rate_min_hz"] >= rate_target,
        )
    page = results["page"]
    total = int(page["total_bytes"])
    out.results["live.page"] = Result(
        f"{total / 1024:.1f} KB ({len(page['files'])} files)",
        f"bodies alone {int(page['body_bytes']) / 1024:.1f} KB",
        total < int(live_latency.PAGE_TARGET_BYTES),
    )
    out.details = live_latency.report(results)
    return out


LIVE = Measurement(
    "live",
    "Live stream latency and live page size",
    (
        *(
            row
            for n in LIVE_CLIENTS
            for row in (
                Row(f"live.{n}.latency", f"sampled -> SSE client p50/p95/p99, {n} client(s)",
                    "p95 <= 50 ms"),
                Row(f"live.{n}.rate", f"frame events/s each client sees, {n} client(s)",
                    ">= 20/s"),
            )
        ),
        Row("live.page", "live page transfer (HTML, assets, manifest, headers)", "< 200 KB"),
    ),
    _live,
    "`benchmarks.live_latency`: the real service (`serve --source emulated`) in a subprocess; "
    "1, 4 and 8 SSE clients read from one thread and stamp each frame event on arrival "
    "against the frame's sampler timestamp (the same system-wide monotonic clock); 10 s per "
    "client count (1 s with --quick). The page figure is the live page and everything it "
    "loads, with response headers.",
)


# -- review page render (benchmarks.review_render, dashboard) ----------------------------------


def _review(quick: bool) -> Outcome:
    review_render: Any = importlib.import_module("benchmarks.review_render")
    argv = ["--runs", "1", "--minutes", "5"] if quick else ["--runs", "5"]
    text = io.StringIO()
    with redirect_stdout(text):
        review_render.main(argv)
    printed = text.getvalue()
    match = re.search(r"GET /review/\d+ \((\d+) KB\)\s+median\s+([\d.]+) ms.*?max\s+([\d.]+) ms",
                      printed)
    if match is None:
        raise RuntimeError(f"benchmarks.review_render printed no detail-page line:\n{printed}")
    size_kb, median_ms, worst_ms = (float(x) for x in match.groups())
    target_s = float(review_render.TARGET_S)
    out = Outcome()
    out.results["review.render"] = Result(
        f"{median_ms:.0f} ms median, worst {worst_ms:.0f} ms"
        + ("" if not quick else " (5-min session)"),
        f"page {size_kb:.0f} KB",
        worst_ms / 1000.0 < target_s,
    )
    out.details = printed.strip()
    return out


REVIEW = Measurement(
    "review",
    "Session review page",
    (Row("review.render", "review page of a 1-hour 100 Hz session, server render", "< 1 s"),),
    _review,
    "`benchmarks.review_render`: a simulated one-hour session (frames and holds) in a real "
    "session log, `/review/<id>` rendered through the Flask test client, 5 renders after a "
    "first one (a 5-minute session and 1 render with --quick), with the cache of finished "
    "sessions off: what a first view costs (a cached view has its own line below).",
)


# -- memory and start-up (benchmarks.memory, benchmarks.startup) ------------------------------


def _memory(quick: bool) -> Outcome:
    from benchmarks import memory  # noqa: PLC0415

    fig = memory.measure(4.0 if quick else 360.0, sample_every_s=1.0 if quick else 5.0)
    mb = memory.MB
    out = Outcome()
    out.results["memory.start"] = Result(
        f"{fig.after_start / mb:.1f} MB", f"imports alone {fig.imports_only / mb:.1f} MB",
        fig.after_start / mb <= memory.SIZE_TARGET_MB,
    )
    out.results["memory.end"] = Result(
        f"{fig.after_run / mb:.1f} MB after {fig.run_s / 60:.1f} min",
        f"peak {fig.peak / mb:.1f} MB",
        fig.peak / mb <= memory.SIZE_TARGET_MB,
    )
    out.results["memory.growth"] = Result(
        f"{fig.growth_bytes_per_h / mb:+.1f} MB/h",
        f"slope over {fig.samples} samples, extrapolated from {fig.run_s / 60:.1f} min",
        fig.growth_bytes_per_h / mb <= memory.GROWTH_TARGET_MB_PER_H,
    )
    out.details = "resident size over the run: " + fig.curve_text(max(5.0, fig.run_s / 12))
    return out


MEMORY = Measurement(
    "memory",
    "Memory of the running service",
    (
        Row("memory.start", "resident size after start", "<= 150 MB"),
        Row("memory.end", "resident size after the run (set running, 1 live stream)", "<= 150 MB"),
        Row("memory.growth", "growth per hour", "<= 5 MB/h"),
    ),
    _memory,
    "`benchmarks.memory`: `serve --source emulated` in a subprocess; VmRSS once the first "
    "frame is served, then a 6-minute real-time run standing in for the "
    "hour with a set running (restarted every minute) and one live stream read (4 s with "
    "--quick); growth = least-squares slope of VmRSS over the second half of the run, times 3600 "
    "(the first minutes fill SQLite's page caches and the allocator's pools, then level off).",
)


def _startup(quick: bool) -> Outcome:
    from benchmarks import startup  # noqa: PLC0415

    fig = startup.measure(1 if quick else 5)
    out = Outcome()
    out.results["startup.first_frame"] = Result(
        f"{fig.first_frame_s:.2f} s"
        + (f" (median of {fig.runs}, {fig.first_frame_min_s:.2f}-{fig.first_frame_max_s:.2f})"
           if fig.runs > 1 else ""),
        f"python -c pass {fig.bare_python_s:.2f} s; import firmware.service {fig.imports_s:.2f} s",
        fig.first_frame_s <= startup.FIRST_FRAME_TARGET_S,
    )
    return out


STARTUP = Measurement(
    "startup",
    "Start-up",
    (Row("startup.first_frame", "launch of serve --source emulated -> first frame over HTTP",
         "<= 2 s"),),
    _startup,
    "`benchmarks.startup`: the clock starts just before `python -m firmware.cli serve "
    "--source emulated` is launched over a fresh data directory and stops when `GET "
    "/api/live` first returns a frame (polled every 5 ms); median of 5 launches (1 with "
    "--quick). Beside it the bare interpreter and the imports alone.",
)


# -- exercise modes (benchmarks.exercises) -------------------------------------------------------

EXERCISE_MODES = ("arch_hold", "sit_to_stand", "squat", "band_hold", "lunge")


def _exercises(quick: bool) -> Outcome:
    from benchmarks import exercises  # noqa: PLC0415

    out = Outcome()
    for mode in EXERCISE_MODES:
        frames = exercises._frames(mode)
        live_us = exercises.per_frame_us(mode, frames, bulk=False, repeats=1 if quick else 5)
        bulk_us = exercises.per_frame_us(mode, frames, bulk=True, repeats=1 if quick else 5)
        out.results[f"exercise.{mode}"] = Result(
            f"{live_us:.1f} µs", f"bulk (analyze) {bulk_us:.1f} µs", live_us <= 20.0
        )
    return out


EXERCISES = Measurement(
    "exercises",
    "Exercise modes",
    tuple(
        Row(f"exercise.{mode}", f"per-frame counter step, {mode.replace('_', ' ')} mode",
            "<= 20 µs")
        for mode in EXERCISE_MODES
    ),
    _exercises,
    "`benchmarks.exercises`: each mode's counter stepped frame by frame over its example "
    "recording (median of 5 runs, 1 with --quick), beside the bulk `feed` that `analyze` "
    "uses. The 20 µs budget of the arch hold's live path applies to every mode, since each "
    "runs in the same place on the sampler thread.",
)


MEASUREMENTS: tuple[Measurement, ...] = (
    ACQUISITION, CORE, EXERCISES, STORE, PAUSE, LIVE, REVIEW, MEMORY, STARTUP,
)
NAMES = tuple(m.name for m in MEASUREMENTS)


# -- what stands in the way when a figure misses (written into BENCHMARKS.md) --------------------

WHEN_MISSED: dict[str, str] = {
    "acq.": "CPU per scan: with the 400 kHz wire time modelled, each poll of the tutorial "
    "loop is itself a blocking 120 µs transfer, so the loop is no CPU hog at 860 SPS (about 10 "
    "transfers per conversion), and on this machine each blocking call (a transfer's wait or a "
    "sleep) costs about 30 µs of CPU. Our sampler makes about 3.5 per conversion (result read, "
    "next input's write, one paced sleep, the end check of a run): the read and the write are "
    "the minimum for three inputs through the driver, and the blocking-call ratio printed under "
    "the table (about 0.3 at 860 SPS) is the floor of the CPU ratio whatever the Python does. "
    "At 128 SPS, where the loop polls about 50 times per conversion, the ratio is 0.2. The "
    "scan rate no longer depends much on the host: a late wake-up costs only the scans around "
    "it and the sampler asks for real-time priority. See docs/acquisition.md.",
    "acq.soak": "The soak delivers 98 % or more over 10 minutes; a shortened soak (--quick) "
    "cannot, since the 1 s the chip is gone alone is 0.8 % of 2 minutes.",
    "core.": "The core figures are single-thread CPU time: on a shared 2-core machine under "
    "load they grow with the load average (compare the load above); a quiet run meets them.",
    "live.": "Latency is measured across two processes on 2 shared cores: with other jobs "
    "running, a stream thread or the client waits for a core. The median (the sampling "
    "interval plus the 25 Hz throttle) stays under 10 ms; the tail is scheduling.",
    "memory.growth": "The resident size climbs by about 2 MB in the first minutes (SQLite's "
    "page caches, the allocator's per-thread pools) and then levels off; the slope of a "
    "six-minute run still carries the end of that rise (with --quick it is nothing else), so "
    "it overstates the hourly growth. `python -m benchmarks.memory --minutes 40` fits the "
    "slope over a longer settled stretch; docs/benchmarks.md reports such a run.",
    "pause.": "Gaps on the sampler thread on a loaded machine are scheduling delays that hit "
    "the runs with and without logging alike; compare the 99.9th percentiles.",
}


def explanations(failed: Sequence[str]) -> list[str]:
    """The notes for the figure keys that missed their target (longest matching prefix)."""
    notes: list[str] = []
    for key in failed:
        prefixes = [p for p in WHEN_MISSED if key.startswith(p)]
        if prefixes:
            note = WHEN_MISSED[max(prefixes, key=len)]
            if note not in notes:
                notes.append(note)
    return notes


# -- running and reporting --------------------------------------------------------------------


def run_measurement(measurement: Measurement, quick: bool) -> Outcome:
    """Run one measurement; an error fills its rows with the reason (and FAIL)."""
    start = time.monotonic()
    try:
        outcome = measurement.run(quick)
    except ModuleNotFoundError as err:
        outcome = Outcome(error=f"not available: {err}")
    except Exception as err:  # a broken measurement must not hide the others' figures
        # One line for the table (the last line of a multi-line message says most).
        lines = [x.strip() for x in str(err).splitlines() if x.strip()] or [""]
        text = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
        outcome = Outcome(
            error=f"error: {type(err).__name__}: {text}"[:200],
            details="".join(traceback.format_exception(err))[-3000:],
        )
    outcome.seconds = time.monotonic() - start
    for row in measurement.rows:
        if row.key not in outcome.results:
            outcome.results[row.key] = Result(
                outcome.error or "not measured", "", False
            )
    return outcome


def _first_line(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line
    except OSError:
        pass
    return ""


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python, numpy and OS of this machine."""
    cpu = _first_line("/proc/cpuinfo", "model name") or _first_line("/proc/cpuinfo", "Model")
    # A virtual machine may name only the family ("AMD EPYC"): add what identifies the part.
    family = _first_line("/proc/cpuinfo", "cpu family")
    model = _first_line("/proc/cpuinfo", "model\t")
    mhz = _first_line("/proc/cpuinfo", "cpu MHz")
    extra = ", ".join(
        part
        for part in (
            f"family {family} model {model}" if family and model else "",
            f"{float(mhz):.0f} MHz" if mhz else "",
        )
        if part
    )
    if cpu and extra:
        cpu = f"{cpu} ({extra})"
    mem_kb = _first_line("/proc/meminfo", "MemTotal").split()
    os_name = _first_line("/etc/os-release", "PRETTY_NAME").split("=", 1)[-1].strip('"')
    return {
        "CPU": cpu or platform.processor() or platform.machine(),
        "cores": str(os.cpu_count()),
        "RAM": f"{int(mem_kb[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "Python": platform.python_version(),
        "numpy": np.__version__,
        "OS": f"{os_name} ({platform.system()} {platform.release()}, {platform.machine()})",
    }


def load_average() -> str:
    """The 1/5/15-minute load average."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Report:
    """A whole run: when, where, how, and every measurement's outcome."""

    command: str
    quick: bool
    started: datetime
    machine: dict[str, str]
    load_before: str
    load_after: str = ""
    outcomes: list[tuple[Measurement, Outcome]] = field(default_factory=list)

    def rows(self) -> list[tuple[Measurement, Row, Result]]:
        """Every figure row in order."""
        return [(m, row, o.results[row.key]) for m, o in self.outcomes for row in m.rows]

    @property
    def failed(self) -> list[str]:
        """Keys of the figures that missed their target."""
        return [row.key for _m, row, res in self.rows() if res.passed is False]


def run(names: Sequence[str], quick: bool, command: str,
        progress: Callable[[str], None] = print) -> Report:
    """Run the named measurements in order."""
    report = Report(command, quick, datetime.now(UTC), machine(), load_average())
    for measurement in MEASUREMENTS:
        if measurement.name not in names:
            continue
        progress(f"running {measurement.name} ...")
        outcome = run_measurement(measurement, quick)
        progress(f"  {measurement.name}: {outcome.seconds:.1f} s"
                 + (f" ({outcome.error})" if outcome.error else ""))
        report.outcomes.append((measurement, outcome))
    report.load_after = load_average()
    return report


def format_table(report: Report) -> str:
    """The figures as a plain-text table for the terminal."""
    header = ("figure", "value", "beside it (same run)", "target", "")
    lines = [header] + [
        (row.label, res.value, res.alternative, row.target or "-", verdict(res.passed))
        for _m, row, res in report.rows()
    ]
    widths = [min(70, max(len(line[i]) for line in lines)) for i in range(4)]
    out = []
    for line in lines:
        cells = [line[i].ljust(widths[i]) for i in range(4)]
        out.append("  ".join([*cells, line[4]]).rstrip())
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def format_markdown(report: Report) -> str:
    """BENCHMARKS.md: machine, command, date, load, the table, then details and methods."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{report.command}` on {report.started:%Y-%m-%d %H:%M} UTC"
        + (" (**--quick smoke run: shortened measurements, not the reference figures**)"
           if report.quick else "")
        + ". Run it again to refresh this file; `docs/benchmarks.md` explains each figure.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {_md(v)} |" for k, v in report.machine.items()),
        f"| load average (1/5/15 min) | before {report.load_before}, after {report.load_after} |",
        "",
        "| figure | value | beside it (same run) | target | |",
        "|---|---|---|---|---|",
        *(
            f"| {_md(row.label)} | {_md(res.value)} | {_md(res.alternative)} "
            f"| {_md(row.target or '-')} | {verdict(res.passed)} |"
            for _m, row, res in report.rows()
        ),
        "",
    ]
    failed = report.failed
    lines.append(
        f"**{len(failed)} of {sum(r.passed is not None for _m, _r, r in report.rows())} "
        "targets missed**" + (f": {', '.join(failed)}." if failed else ".")
    )
    notes = explanations(failed)
    if notes:
        lines += ["", "What stands in the way of the missed targets:", ""]
        lines += [f"- {note}" for note in notes]
    for measurement, outcome in report.outcomes:
        lines += ["", f"## {measurement.title}", "", measurement.method,
                  "", f"Took {outcome.seconds:.0f} s."]
        if outcome.error:
            lines += ["", f"Not measured: {outcome.error}"]
        if outcome.details:
            lines += ["", "```", outcome.details.strip(), "```"]
    return "\n".join(lines) + "\n"
