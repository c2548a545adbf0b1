"""Acquisition benchmark and fault soak (used by ``insole-monitor bench``).

Throughput: for each data rate, our sampler with each strategy (``continuous``: verified
continuous-mode runs; ``single_shot``: a sleeping single-shot read per channel; see
``firmware.adc``) and the tutorial loop (``AnalogIn(ads, pin).value`` over the three
channels, i.e. the driver's busy-polling single-shot read) each scan as fast as they can for
``seconds`` on the same bus, one after the other in the same run. Figures: three-channel
scans per second against the theoretical ``data_rate / 3``, and CPU seconds per 1000 scans of
the thread doing the work (``CLOCK_THREAD_CPUTIME_ID``; on the emulated chip this includes
the emulator's own Python work, which both sides pay per transfer).

Soak: the sampler at 100 Hz on the emulated chip with a share of transfers failing, one
sensor unplugged for 5 s and the chip vanishing for 1 s: frames delivered, gaps marked, how
fast the unplugged sensor was reported and cleared, whether the sampler recovered by itself.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from adafruit_ads1x15 import ads1015, ads1115
from adafruit_ads1x15.analog_in import AnalogIn

from firmware.adc import Ads1x15Adc, open_adc
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import SYSTEM_CLOCK, Clock, FakeClock
from firmware.config import AdcConfig
from firmware.feet_adc import FeetAdc, FeetFrame
from firmware.foot_source import FootVolts, steady_stance
from firmware.health import HealthReport
from firmware.realtime import SAMPLER_PRIORITY, request_realtime, tighten_timer_slack
from firmware.sampler import Listener, Sampler
from insole.frames import SENSORS, VoltsFrame

SCAN_RATE_TARGET = 0.90
"""Share of the theoretical scan rate our sampler must reach at the top data rate."""
CPU_RATIO_TARGET = 0.25
"""Our CPU per scan must be at most this share of the plain loop's."""
DELIVERED_TARGET = 0.98
DETECT_TARGET_S = 1.0


@dataclass(frozen=True)
class RateResult:
    """Throughput and CPU of the readers at one data rate.

    ``ours``: the sampler at full speed with continuous runs (how it reaches the chip's
    limit); ``single``: the sampler with single-shot scans (what it uses when paced);
    ``plain``: the tutorial loop.
    """

    data_rate_sps: int
    theoretical_hz: float
    ours_hz: float
    ours_cpu_s_per_1000: float
    single_hz: float
    single_cpu_s_per_1000: float
    plain_hz: float
    plain_cpu_s_per_1000: float
    waits_per_scan: dict[str, float] = field(default_factory=dict)
    """Blocking calls per scan of each reader (emulated bus: each transfer's wire wait, and
    every sleep of the reader itself; on a Pi each is an ioctl or a sleep system call)."""
    cpu_ratio_slices: tuple[float, ...] = ()
    """Our CPU over the plain loop's in each round (the spread behind the medians)."""

    @property
    def ours_share(self) -> float:
        """Our scan rate as a share of the theoretical one."""
        return self.ours_hz / self.theoretical_hz

    @property
    def cpu_ratio(self) -> float:
        """Our CPU per scan divided by the plain loop's."""
        return self.ours_cpu_s_per_1000 / self.plain_cpu_s_per_1000

    @property
    def single_cpu_ratio(self) -> float:
        """The single-shot sampler's CPU per scan divided by the plain loop's."""
        return self.single_cpu_s_per_1000 / self.plain_cpu_s_per_1000

    @property
    def best_share(self) -> float:
        """The better of our two strategies' scan rates, as a share of the limit."""
        return max(self.ours_hz, self.single_hz) / self.theoretical_hz

    @property
    def best_cpu_ratio(self) -> float:
        """The better of our two strategies' CPU per scan, over the plain loop's."""
        return min(self.cpu_ratio, self.single_cpu_ratio)


def targets_met(results: list[RateResult]) -> tuple[bool, bool]:
    """(scan-rate target met at the top rate, CPU target met at every rate)."""
    top = max(results, key=lambda r: r.data_rate_sps)
    return (
        top.best_share >= SCAN_RATE_TARGET,
        all(r.best_cpu_ratio <= CPU_RATIO_TARGET for r in results),
    )


class _Counter(Listener):
    def __init__(self) -> None:
        self.frames = 0

    def on_frame(self, frame: VoltsFrame) -> None:
        self.frames += 1

    def on_feet(self, frame: FeetFrame) -> None:
        self.frames += 1  # two insoles: a paired scan


class CountingClock:
    """A clock that counts the waits made on it (each a blocking system call when real)."""

    def __init__(self, inner: Clock) -> None:
        self.inner = inner
        self.waits = 0
        self.sleeps_for_real = getattr(inner, "sleeps_for_real", False)

    def monotonic(self) -> float:
        """The inner clock's time."""
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep on the inner clock, counting it if it waits at all."""
        if seconds > 0.0:
            self.waits += 1
        self.inner.sleep(seconds)

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Wait on the inner clock, counting it."""
        self.waits += 1
        return self.inner.wait_event(event, seconds)


def _waits(clock: Clock) -> int:
    return clock.waits if isinstance(clock, CountingClock) else 0


def _thread_cpu_s(thread_ident: int) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(thread_ident))


def _wait(clock: Clock, seconds: float) -> None:
    """Let ``seconds`` pass on ``clock`` (a fake clock moves with the measured thread)."""
    end_s = clock.monotonic() + seconds
    while (now_s := clock.monotonic()) < end_s:
        real = getattr(clock, "sleeps_for_real", False)
        time.sleep(min(0.05, end_s - now_s) if real else 0.005)


def measure_sampler(
    adc: Ads1x15Adc | FeetAdc, seconds: float, warmup_s: float = 0.3
) -> tuple[float, float, float]:
    """The sampler at full speed (``rate_hz=None``): scans/s, CPU s per 1000 scans, waits/scan.

    Waits are counted when ``adc.clock`` is a ``CountingClock`` (else 0). With two insoles
    (``FeetAdc``) a scan is a pair (six conversions).
    """
    clock = adc.clock
    counter = _Counter()
    sampler = Sampler(
        adc, [counter], rate_hz=None, name="bench-sampler", realtime_priority=SAMPLER_PRIORITY
    )
    with sampler:
        _wait(clock, warmup_s)
        ident = sampler.thread_ident
        if ident is None:  # pragma: no cover - the thread sets it first thing
            raise RuntimeError("the sampler thread did not start")
        n0, c0, w0, z0 = counter.frames, _thread_cpu_s(ident), clock.monotonic(), _waits(clock)
        _wait(clock, seconds)
        n1, c1, w1, z1 = counter.frames, _thread_cpu_s(ident), clock.monotonic(), _waits(clock)
    scans = max(1, n1 - n0)
    return scans / (w1 - w0), (c1 - c0) / scans * 1000.0, (z1 - z0) / scans


def measure_plain_loop(
    adc: Ads1x15Adc, seconds: float, warmup_s: float = 0.3
) -> tuple[float, float, float]:
    """The tutorial loop on the same bus: scans/s, CPU s per 1000 scans, waits per scan."""
    config = adc.config
    clock = adc.clock
    driver = ads1115.ADS1115 if config.model == "ADS1115" else ads1015.ADS1015
    ads = driver(adc.bus, gain=config.gain, data_rate=config.data_rate_sps, address=config.address)
    pins = [AnalogIn(ads, config.channels[name]) for name in SENSORS]
    result: list[float] = []

    def loop() -> None:
        # The same timer slack and priority as the sampler thread: the emulated bus waits out
        # its wire time with sleeps, and it must be equally precise for both readers.
        tighten_timer_slack()
        if getattr(clock, "sleeps_for_real", False):
            request_realtime(SAMPLER_PRIORITY)
        end_warmup = clock.monotonic() + warmup_s
        while clock.monotonic() < end_warmup:
            for pin in pins:
                pin.value  # noqa: B018 - the read is the point
        c0, w0, z0 = time.thread_time(), clock.monotonic(), _waits(clock)
        scans = 0
        while clock.monotonic() - w0 < seconds:
            for pin in pins:
                pin.value  # noqa: B018
            scans += 1
        result.extend(
            (
                scans / (clock.monotonic() - w0),
                (time.thread_time() - c0) / scans * 1e3,
                (_waits(clock) - z0) / scans,
            )
        )

    # On its own thread, like the sampler, so that both are measured the same way.
    thread = threading.Thread(target=loop, name="bench-plain-loop")
    thread.start()
    thread.join()
    return result[0], result[1], result[2]


def run_rates(
    backend: str = "auto",
    rates_sps: tuple[int, ...] = (128, 475, 860),
    seconds: float = 3.0,
    bus_hz: float = 400_000,
    config: AdcConfig | None = None,
    *,
    fake_clock: bool = False,
    rounds: int = 3,
) -> tuple[str, list[RateResult], list[str]]:
    """Measure the readers at each rate: the ADC description, the results and notes.

    Each reader runs ``seconds`` in all, in ``rounds`` slices taken in turn (continuous,
    single-shot, plain loop, then again), and each figure is the median of its slices: on
    a shared machine a burst of other work then lands in one slice of one reader instead
    of in a whole reader's measurement.

    ``fake_clock`` (emulated only): exact sleeps and wire times, so the figures show what
    each way of reading can do without the host's scheduling delays; CPU is then the Python
    work alone (no time is spent in sleep calls).
    """
    base = config or AdcConfig()
    results = []
    description = ""
    notes: list[str] = []
    slice_s = seconds / max(1, rounds)
    for rate in rates_sps:
        cfg = replace(base, data_rate_sps=rate, channels=dict(base.channels))
        slices: dict[str, list[tuple[float, float, float]]] = {
            "continuous": [],
            "single_shot": [],
            "plain": [],
        }
        runs = rejected = 0
        fell_back: set[str] = set()
        for _ in range(max(1, rounds)):
            for strategy in ("continuous", "single_shot"):
                source = FootVolts(steady_stance(), cfg)
                clock = CountingClock(FakeClock() if fake_clock else SYSTEM_CLOCK)
                with open_adc(
                    cfg, backend, source, bus_hz=bus_hz, strategy=strategy, clock=clock
                ) as adc:
                    description = adc.description
                    slices[strategy].append(measure_sampler(adc, slice_s))
                    if strategy == "continuous":
                        stats = adc.stream_stats()
                        runs += stats["runs"]
                        rejected += stats["rejected_runs"]
                    if adc.strategy != strategy:
                        fell_back.add(strategy)
                    if strategy == "single_shot":
                        slices["plain"].append(measure_plain_loop(adc, slice_s))
        notes.append(f"{rate} SPS: {runs} continuous runs, {rejected} rejected")
        # Once per rate, not once per round.
        notes.extend(
            f"{rate} SPS: {strategy} runs could not keep up and fell back to single_shot "
            "(see the warning above)"
            for strategy in sorted(fell_back)
        )
        figures = {name: _medians(values) for name, values in slices.items()}
        results.append(
            RateResult(
                rate,
                rate / 3.0,
                *figures["continuous"][:2],
                *figures["single_shot"][:2],
                *figures["plain"][:2],
                waits_per_scan={name: figure[2] for name, figure in figures.items()},
                cpu_ratio_slices=tuple(
                    ours[1] / plain[1]
                    for ours, plain in zip(slices["continuous"], slices["plain"], strict=True)
                ),
            )
        )
    return description, results, notes


def _medians(values: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The median of each figure (scans/s, CPU per 1000 scans, waits per scan) over slices."""
    return (
        statistics.median(v[0] for v in values),
        statistics.median(v[1] for v in values),
        statistics.median(v[2] for v in values),
    )


def format_rates(
    description: str,
    results: list[RateResult],
    bus_hz: float | None,
    fake_clock: bool = False,
    notes: Sequence[str] = (),
) -> str:
    """The throughput table, with the targets and pass/fail."""
    bus = f", bus timing {bus_hz / 1000:.0f} kHz" if bus_hz else ""
    if fake_clock:
        bus += ", fake clock (exact timing; CPU = Python work only)"
    lines = [
        f"Acquisition: {description}{bus}",
        "| SPS | limit scans/s | continuous scans/s | single-shot scans/s | plain loop scans/s "
        "| continuous CPU s/1000 scans | single-shot CPU | plain loop CPU "
        "| CPU vs plain: cont. / single |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lim = r.theoretical_hz
        lines.append(
            f"| {r.data_rate_sps} | {lim:.1f} | {r.ours_hz:.1f} ({r.ours_hz / lim:.0%}) "
            f"| {r.single_hz:.1f} ({r.single_hz / lim:.0%}) "
            f"| {r.plain_hz:.1f} ({r.plain_hz / lim:.0%}) | {r.ours_cpu_s_per_1000:.3f} "
            f"| {r.single_cpu_s_per_1000:.3f} | {r.plain_cpu_s_per_1000:.3f} "
            f"| {r.cpu_ratio:.2f} / {r.single_cpu_ratio:.2f} |"
        )
    if results:
        top = max(results, key=lambda r: r.data_rate_sps)
        share_ok, cpu_ok = targets_met(results)
        lines.append(
            f"target: >= {SCAN_RATE_TARGET:.0%} of the limit at {top.data_rate_sps} SPS: "
            f"best {top.best_share:.1%} {'PASS' if share_ok else 'FAIL'}; CPU <= "
            f"{CPU_RATIO_TARGET:.2f} x plain loop at every rate: worst best-ratio "
            f"{max(r.best_cpu_ratio for r in results):.2f} {'PASS' if cpu_ok else 'FAIL'}"
        )
    for r in results:
        if len(r.cpu_ratio_slices) > 1:
            lines.append(
                f"{r.data_rate_sps} SPS CPU vs plain in each round: "
                + ", ".join(f"{x:.2f}" for x in r.cpu_ratio_slices)
                + " (the table gives the median of each reader's rounds)"
            )
        waits = r.waits_per_scan
        if waits.get("plain"):
            lines.append(
                f"{r.data_rate_sps} SPS blocking calls per scan (bus transfers + sleeps): "
                f"continuous {waits['continuous']:.1f}, single-shot {waits['single_shot']:.1f}, "
                f"plain loop {waits['plain']:.1f} (continuous / plain "
                f"{waits['continuous'] / waits['plain']:.2f})"
            )
    lines.extend(notes)
    return "\n".join(lines)


@dataclass
class SoakResult:
    """What the fault soak saw."""

    duration_s: float
    rate_hz: float
    error_rate: float
    expected_frames: int
    frames: int
    failed_scans: int
    retries: int
    gaps: list[tuple[float, float, str]] = field(default_factory=list)
    reconnects: int = 0
    transfers: int = 0
    failed_transfers: int = 0
    unplug_detect_s: float | None = None
    unplug_clear_s: float | None = None
    sampler_alive_at_end: bool = False
    recovered: bool = False

    @property
    def delivered_share(self) -> float:
        """Frames delivered over frames expected at the configured rate."""
        return self.frames / self.expected_frames if self.expected_frames else 0.0

    @property
    def passed(self) -> bool:
        """All soak targets met."""
        return (
            self.sampler_alive_at_end
            and self.recovered
            and self.delivered_share >= DELIVERED_TARGET
            and self.unplug_detect_s is not None
            and self.unplug_detect_s <= DETECT_TARGET_S
            and self.unplug_clear_s is not None
            and self.unplug_clear_s <= DETECT_TARGET_S
        )


class _SoakRecorder(Listener):
    def __init__(self) -> None:
        self.frames = 0
        self.last_t_s = 0.0
        self.gaps: list[tuple[float, float, str]] = []
        self.health: list[HealthReport] = []

    def on_frame(self, frame: VoltsFrame) -> None:
        self.frames += 1
        self.last_t_s = frame.t_s

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        self.gaps.append((start_s, end_s, reason))

    def on_health(self, report: HealthReport) -> None:
        self.health.append(report)


def run_soak(
    duration_s: float,
    *,
    error_rate: float = 0.01,
    rate_hz: float = 100.0,
    unplug_for_s: float = 5.0,
    vanish_for_s: float = 1.0,
    clock: Clock | None = None,
    bus_hz: float = 400_000,
    seed: int = 1,
) -> SoakResult:
    """Run the sampler through the faults on the emulated chip (real clock unless given)."""
    clock = clock or SYSTEM_CLOCK
    config = AdcConfig()
    chip = EmulatedAds1x15(config.model, config.address, FootVolts(steady_stance(), config))
    bus = EmulatedI2CBus(
        [chip],
        clock=clock,
        bus_hz=bus_hz,
        error_rate=error_rate,
        error_errnos=(121, 5, 110),
        seed=seed,
    )
    unplugged = SENSORS.index("little_toe")
    channel = config.channels["little_toe"]
    start_s = clock.monotonic()
    unplug_at_s = start_s + 0.3 * duration_s
    vanish_at_s = start_s + 0.7 * duration_s
    bus.schedule(unplug_at_s, lambda: chip.disconnect_sensor(channel))
    bus.schedule(unplug_at_s + unplug_for_s, lambda: chip.reconnect_sensor(channel))
    if vanish_for_s > 0.0:
        bus.schedule(vanish_at_s, chip.vanish)
        bus.schedule(vanish_at_s + vanish_for_s, chip.reappear)
    recorder = _SoakRecorder()
    with open_adc(config, "emulated", emulator=bus) as adc:
        sampler = Sampler(adc, [recorder], rate_hz=rate_hz, clock=clock)
        with sampler:
            while clock.monotonic() < start_s + duration_s:
                if isinstance(clock, FakeClock):
                    time.sleep(0.01)  # fake time runs on the sampler's sleeps
                else:
                    time.sleep(min(0.5, start_s + duration_s - clock.monotonic()))
                if not sampler.running:
                    break
            alive = sampler.running
            stats = sampler.stats()
    detect = clear = None
    for report in recorder.health:
        state = report.sensors[unplugged].state
        if detect is None and state == "stuck_zero" and report.t_s >= unplug_at_s:
            detect = report.t_s - unplug_at_s
        elif detect is not None and clear is None and state == "ok":
            clear = report.t_s - (unplug_at_s + unplug_for_s)
    return SoakResult(
        duration_s=duration_s,
        rate_hz=rate_hz,
        error_rate=error_rate,
        expected_frames=round(duration_s * rate_hz),
        frames=stats.frames,
        failed_scans=stats.failed_scans,
        retries=stats.retries,
        gaps=recorder.gaps,
        reconnects=stats.reconnects,
        transfers=bus.transfers,
        failed_transfers=bus.failed_transfers,
        unplug_detect_s=detect,
        unplug_clear_s=clear,
        sampler_alive_at_end=alive,
        recovered=recorder.last_t_s > vanish_at_s + vanish_for_s,
    )


def format_soak(result: SoakResult, fake_clock: bool) -> str:
    """The soak figures with targets and pass/fail."""

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    detect, clear = result.unplug_detect_s, result.unplug_clear_s
    clock = "fake clock (accelerated)" if fake_clock else "real time"
    lines = [
        f"Fault soak: {result.duration_s:.0f} s ({clock}) at {result.rate_hz:.0f} Hz, "
        f"{result.error_rate:.1%} of transfers failing ({result.failed_transfers} of "
        f"{result.transfers}), sensor unplugged 5 s, chip gone 1 s",
        "| figure | value | target | |",
        "|---|---:|---:|---|",
        f"| sampler alive at end | {result.sampler_alive_at_end} | True "
        f"| {mark(result.sampler_alive_at_end)} |",
        f"| frames delivered | {result.frames}/{result.expected_frames} "
        f"({result.delivered_share:.2%}) | >= {DELIVERED_TARGET:.0%} "
        f"| {mark(result.delivered_share >= DELIVERED_TARGET)} |",
        f"| retried scans / failed scans / gaps marked | {result.retries} / "
        f"{result.failed_scans} / {len(result.gaps)} | gaps marked | "
        f"{mark(len(result.gaps) >= (1 if result.failed_scans else 0))} |",
        f"| unplugged sensor reported after | "
        f"{'never' if detect is None else f'{detect:.2f} s'} | <= {DETECT_TARGET_S:.0f} s "
        f"| {mark(detect is not None and detect <= DETECT_TARGET_S)} |",
        f"| replugged sensor cleared after | {'never' if clear is None else f'{clear:.2f} s'} "
        f"| <= {DETECT_TARGET_S:.0f} s | {mark(clear is not None and clear <= DETECT_TARGET_S)} |",
        f"| chip gone and back: reconnects, frames after | {result.reconnects}, "
        f"{result.recovered} | automatic | {mark(result.recovered)} |",
    ]
    return "\n".join(lines)
