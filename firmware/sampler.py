"""The one acquisition thread: scans the ADC at a fixed rate and fans frames out to listeners.

Shape taken from python-can's Notifier: one reader thread, many listeners, each with
``on_frame(frame)``, ``on_gap(start_s, end_s, reason)``, ``on_health(report)`` and
``on_error(exc)``, called in order on the sampler thread. A listener that raises gets its
own ``on_error`` call and sampling goes on; a slow listener should be wrapped in
``QueuedListener`` (bounded queue, own thread, drops and counts on overflow) so that it
can never stall sampling.

Robustness rules:

- every ADC read has a deadline (``Ads1x15Adc``) and the thread never busy-waits;
- a transient bus error (errno 121/5/110, a conversion timeout) is retried at once, at most
  ``max_retries`` times per scan; a scan that still fails opens a *gap*, reported with
  ``on_gap(start_s, end_s, reason)`` when the next frame arrives (or at stop): ``start_s`` is
  the last good frame's time, ``end_s`` the next one's;
- after ``reconnect_after`` failed scans in a row the ADC is reopened (probe + config), with
  an exponential back-off, so a chip that vanished and came back is picked up automatically;
- per-sensor health (``firmware.health``) is reported with ``on_health`` on every change;
- timestamps come from the injected monotonic clock (mid-time of the scan), so they only
  grow.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from firmware.adc import AdcTimeoutError, Ads1x15Adc, ScanOrError
from firmware.ads_emulator import TRANSIENT_ERRNOS
from firmware.clock import SYSTEM_CLOCK, Clock
from firmware.errors import HardwareError
from firmware.feet_adc import ChipReader, FeetAdc, FeetFrame, FootAdcError
from firmware.health import HealthMonitor, HealthReport
from firmware.realtime import request_realtime, tighten_timer_slack
from insole.frames import VoltsFrame
from insole.resources import Closeable

log = logging.getLogger(__name__)

SUPPLY_V = 3.3
"""The dividers' supply (the Pi's 3.3 V rail): no input can read above it."""


class SamplerListener(Protocol):
    """What the sampler calls; see the module docstring."""

    def on_frame(self, frame: VoltsFrame) -> None:
        """A new frame."""

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        """No frames could be taken between ``start_s`` and ``end_s``."""

    def on_health(self, report: HealthReport) -> None:
        """A sensor's health changed."""

    def on_error(self, exc: BaseException) -> None:
        """An ADC fault, or an exception raised by this listener."""


class FeetListener(SamplerListener, Protocol):
    """What a sampler of two insoles (``FeetAdc``) calls besides ``on_error``."""

    def on_feet(self, frame: FeetFrame) -> None:
        """A scan of both insoles (a foot whose chip failed is ``None``)."""

    def on_foot_gap(self, foot: str, start_s: float, end_s: float, reason: str) -> None:
        """No frames of ``foot``'s insole between ``start_s`` and ``end_s``."""

    def on_foot_health(self, foot: str, report: HealthReport) -> None:
        """A sensor's health on ``foot``'s insole changed."""


class Listener:
    """Base class with do-nothing handlers: subclass and override what you need."""

    def on_frame(self, frame: VoltsFrame) -> None:
        """Ignore frames."""

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        """Ignore gaps."""

    def on_health(self, report: HealthReport) -> None:
        """Ignore health changes."""

    def on_error(self, exc: BaseException) -> None:
        """Ignore errors."""

    def on_feet(self, frame: FeetFrame) -> None:
        """Ignore scans of two insoles."""

    def on_foot_gap(self, foot: str, start_s: float, end_s: float, reason: str) -> None:
        """Ignore one insole's gaps."""

    def on_foot_health(self, foot: str, report: HealthReport) -> None:
        """Ignore one insole's health changes."""


def _dispatch(listener: SamplerListener, method: str, *args: Any) -> None:
    """Call ``listener.method(*args)``; route an exception to the listener's ``on_error``."""
    try:
        getattr(listener, method)(*args)
    except Exception as exc:  # a listener must never kill sampling
        if method == "on_error":
            log.exception("listener %r failed in on_error", listener)
            return
        try:
            listener.on_error(exc)
        except Exception:
            log.exception("listener %r failed in on_error while handling %r", listener, exc)


class QueuedListener(Closeable):
    """Runs another listener on its own thread behind a bounded queue.

    The sampler's calls only enqueue (never block); when the queue is full the event is
    dropped and counted in ``dropped``. ``close()`` delivers what is queued (up to the
    timeout) and stops the thread; it is idempotent.
    """

    def __init__(
        self, inner: SamplerListener, maxsize: int = 1000, name: str | None = None
    ) -> None:
        self.inner = inner
        self.dropped = 0
        self.delivered = 0
        self._queue: queue.Queue[tuple[str, tuple[Any, ...]] | None] = queue.Queue(maxsize)
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=name or f"listener-{type(inner).__name__}"
        )
        self._thread.start()

    def _put(self, method: str, *args: Any) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait((method, args))
        except queue.Full:
            self.dropped += 1

    def on_frame(self, frame: VoltsFrame) -> None:
        """Queue a frame."""
        self._put("on_frame", frame)

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        """Queue a gap."""
        self._put("on_gap", start_s, end_s, reason)

    def on_health(self, report: HealthReport) -> None:
        """Queue a health report."""
        self._put("on_health", report)

    def on_error(self, exc: BaseException) -> None:
        """Queue an error."""
        self._put("on_error", exc)

    def on_feet(self, frame: FeetFrame) -> None:
        """Queue a scan of two insoles."""
        self._put("on_feet", frame)

    def on_foot_gap(self, foot: str, start_s: float, end_s: float, reason: str) -> None:
        """Queue one insole's gap."""
        self._put("on_foot_gap", foot, start_s, end_s, reason)

    def on_foot_health(self, foot: str, report: HealthReport) -> None:
        """Queue one insole's health report."""
        self._put("on_foot_health", foot, report)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            method, args = item
            _dispatch(self.inner, method, *args)
            self.delivered += 1

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver the queued events, then stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._queue.put(None, timeout=timeout_s)
                break
            except queue.Full:  # pragma: no cover - only with a listener stuck for timeout_s
                log.warning("listener %r is stuck; dropping its queue", self.inner)
                with contextlib.suppress(queue.Empty):
                    while True:
                        self._queue.get_nowait()
                        self.dropped += 1
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning(
                "listener thread %s did not stop within %.1f s", self._thread.name, timeout_s
            )



@dataclass(frozen=True)
class SamplerStats:
    """Counters of a sampler run."""

    frames: int
    failed_scans: int
    retries: int
    gaps: int
    reconnects: int
    frame_rate_hz: float
    running: bool


def _is_transient(err: HardwareError) -> bool:
    return isinstance(err, AdcTimeoutError) or getattr(err, "errno", None) in TRANSIENT_ERRNOS


class _Chip:
    """The read state of one chip: failures in a row, an open gap, the last frame, health."""

    def __init__(self, foot: str | None, adc: ChipReader, health: HealthMonitor) -> None:
        self.foot = foot  # None: the one-insole sampler (events without a foot)
        self.adc = adc
        self.health = health
        self.consecutive_failures = 0
        self.gap_start_s: float | None = None
        self.gap_reason = ""
        self.last_t_s: float | None = None
        self.resume_s: float | None = None  # two insoles: back-off, no read before this

    def label(self) -> str:
        return f"{self.foot} insole (0x{self.adc.config.address:02x})"


def _saturation_v(adc: Ads1x15Adc | FeetAdc) -> float:
    # Saturated: at the rail (the divider is fed from the Pi's 3.3 V) or the top code.
    return min(adc.full_scale_v, SUPPLY_V) - 0.05


class Sampler:
    """The acquisition thread over an open ADC (which it does not own or close).

    ``adc`` is one insole's ``Ads1x15Adc`` (listeners get ``on_frame``, ``on_gap`` and
    ``on_health``) or both insoles' ``FeetAdc``: then every scan reads the left chip and
    the right chip (six conversions, the two chips converting at the same time, so the
    ceiling stays ``data_rate / 3``; a chip that failed is retried on its own) and
    listeners get ``on_feet(FeetFrame)`` with one time
    for both, and ``on_foot_gap(foot, start_s, end_s, reason)`` /
    ``on_foot_health(foot, report)`` per insole. A fault of one chip is that foot's gap
    (its frames are ``None`` meanwhile, its errors arrive as ``FootAdcError``); its back-off
    and reconnects never hold up the other chip's scans.

    ``rate_hz=None`` scans as fast as the chips allow (benchmarks). ``realtime_priority``
    asks for ``SCHED_FIFO`` on the thread when it runs on the real clock (best effort, see
    ``firmware.realtime``; ``realtime`` tells whether it was granted). Use as a context
    manager or call ``start()`` and ``close()``; ``close()`` is idempotent and joins the
    thread.
    """

    CATCH_UP_PERIODS = 5
    """A paced sampler keeps its schedule after scans that ran late by up to this many
    periods (the next scans follow at once); further behind, it starts afresh."""

    def __init__(
        self,
        adc: Ads1x15Adc | FeetAdc,
        listeners: Iterable[SamplerListener] = (),
        *,
        rate_hz: float | None = 100.0,
        clock: Clock | None = None,
        max_retries: int = 2,
        reconnect_after: int = 3,
        backoff_s: tuple[float, float] = (0.02, 2.0),
        health: HealthMonitor | None = None,
        late_gap_s: float = 0.25,
        name: str = "insole-sampler",
        realtime_priority: int | None = None,
    ) -> None:
        feet = isinstance(adc, FeetAdc)
        if rate_hz is not None:
            # Three conversions per scan (two insoles' chips convert at the same time): the
            # chip's data rate sets the ceiling.
            ceiling_hz = adc.config.data_rate_sps / 3.0
            if not 0.0 < rate_hz <= ceiling_hz:
                raise ValueError(
                    f"rate_hz must be > 0 and at most {ceiling_hz:.1f} (data rate "
                    f"{adc.config.data_rate_sps} SPS / 3 channels), got {rate_hz!r}"
                )
        if rate_hz is not None and getattr(adc, "strategy", "single_shot") == "continuous":
            raise ValueError(
                "continuous runs deliver scans in bursts: use them with rate_hz=None (full "
                "speed), or open the ADC with strategy='single_shot' for a paced rate"
            )
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        if feet and health is not None:
            raise ValueError("two insoles get one health monitor each: leave health=None")
        self.adc = adc
        self.rate_hz = rate_hz
        self.clock = clock or adc.clock or SYSTEM_CLOCK
        self.max_retries = max_retries
        self.reconnect_after = reconnect_after
        self.backoff_s = backoff_s
        saturated_v = _saturation_v(adc)
        if isinstance(adc, FeetAdc):
            self._chips = tuple(
                _Chip(side, chip_adc, HealthMonitor(saturated_v=saturated_v))
                for side, chip_adc in adc.adcs.items()
            )
        else:
            self._chips = (_Chip(None, adc, health or HealthMonitor(saturated_v=saturated_v)),)
        self.health = self._chips[0].health
        self.late_gap_s = late_gap_s
        self.realtime_priority = realtime_priority
        self.realtime = False  # whether the thread got its real-time priority
        self._listeners: tuple[SamplerListener, ...] = tuple(listeners)
        self._listeners_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name)
        self._started = False
        self._closed = False
        self.thread_ident: int | None = None
        # Counters (written by the sampler thread only); with two insoles a scan is a pair
        # and failures, gaps and reconnects add up over both chips.
        self.frames = 0
        self.failed_scans = 0
        self.retries = 0
        self.gaps = 0
        self.reconnects = 0
        self._frame_rate_hz = 0.0

    @property
    def feet(self) -> bool:
        """Whether this sampler reads two insoles."""
        return self._chips[0].foot is not None

    # --- listeners -----------------------------------------------------------------------

    def add_listener(self, listener: SamplerListener) -> None:
        """Start calling ``listener`` (thread-safe)."""
        with self._listeners_lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: SamplerListener) -> None:
        """Stop calling ``listener`` (thread-safe; unknown listeners are ignored)."""
        with self._listeners_lock:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

    def _emit(self, method: str, *args: Any) -> None:
        for listener in self._listeners:
            _dispatch(listener, method, *args)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sampler:
        """Start the thread (once)."""
        if self._closed:
            raise RuntimeError("this sampler was closed; create a new one")
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop sampling and join the thread (idempotent)."""
        self._closed = True
        self._stop.set()
        if self._started and self._thread.is_alive():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("sampler thread did not stop within %.1f s", timeout_s)

    stop = close

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def frame_rate_hz(self) -> float:
        """Frames (two insoles: paired scans) per second over the last full second."""
        return self._frame_rate_hz

    def stats(self) -> SamplerStats:
        """A snapshot of the counters."""
        return SamplerStats(
            self.frames,
            self.failed_scans,
            self.retries,
            self.gaps,
            self.reconnects,
            self._frame_rate_hz,
            self.running,
        )

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        self.thread_ident = threading.get_ident()
        tighten_timer_slack()
        clock = self.clock
        # Real-time priority only for real sleeps: a fake-clock loop never sleeps, and at
        # SCHED_FIFO it would starve the test that drives it.
        if self.realtime_priority is not None and getattr(clock, "sleeps_for_real", False):
            self.realtime = request_realtime(self.realtime_priority)
        period_s = 1.0 / self.rate_hz if self.rate_hz else 0.0
        next_s = clock.monotonic()
        rate_start_s, rate_frames = next_s, 0
        while not self._stop.is_set():
            if period_s:
                delay_s = next_s - clock.monotonic()
                if delay_s > 0.0 and clock.wait_event(self._stop, delay_s):
                    break
            delivered = self._scan_feet() if self.feet else self._scan_one()
            now_s = clock.monotonic()
            if period_s:
                next_s += period_s
                if now_s - next_s > self.CATCH_UP_PERIODS * period_s:
                    # Far behind (a fault, a reconnect): start afresh, no burst to catch up.
                    next_s = now_s
                # A little behind (one slow scan on a busy machine): the next scans follow at
                # once until the schedule is met again, so the rate holds on average.
            if delivered:
                rate_frames += 1
            if now_s - rate_start_s >= 1.0:
                self._frame_rate_hz = rate_frames / (now_s - rate_start_s)
                rate_start_s, rate_frames = now_s, 0
        end_s = self.clock.monotonic()
        for chip in self._chips:
            self._close_gap(chip, end_s, "sampler stopped")

    def _scan_one(self) -> bool:
        chip = self._chips[0]
        scan = self._read(chip)
        if scan is None:
            return False
        t_s, volts = scan
        frame = VoltsFrame(t_s, *volts)
        self._arrived(chip, t_s)
        self.frames += 1
        self._emit("on_frame", frame)
        self._check_health(chip, frame)
        return True

    def _active_chips(self) -> list[_Chip]:
        """The chips to read in this scan: those not backing off (reconnected if due)."""
        clock = self.clock
        resting = [c.resume_s for c in self._chips if c.resume_s is not None]
        if len(resting) == len(self._chips):
            # Both chips are backing off: sleep until the first may be tried again.
            wait_s = min(resting) - clock.monotonic()
            if wait_s > 0.0 and clock.wait_event(self._stop, wait_s):
                return []
        active: list[_Chip] = []
        for chip in self._chips:
            if chip.resume_s is not None:
                if clock.monotonic() < chip.resume_s:
                    continue
                chip.resume_s = None
                if chip.consecutive_failures >= self.reconnect_after:
                    self._reconnect(chip)
            active.append(chip)
        return active

    def _scan_feet(self) -> bool:
        active = self._active_chips()
        first: dict[str, ScanOrError] = {}
        if len(active) > 1 and isinstance(self.adc, FeetAdc):
            try:
                # Both chips convert at the same time: a pair costs about one chip's scan.
                first = self.adc.read_feet([chip.foot or "" for chip in active])
            except Exception:  # a bug must be seen; the chips are then read one by one
                log.exception("unexpected error while reading both ADCs")
        scans: dict[str, tuple[float, tuple[float, float, float]]] = {}
        for chip in active:
            foot = chip.foot or ""
            got = first.get(foot)
            if got is not None and not isinstance(got, HardwareError):
                chip.consecutive_failures = 0
                scans[foot] = got
                continue
            # Failed in the paired scan (or read alone): retried on its own.
            scan = self._read(chip, got)
            if scan is not None:
                scans[foot] = scan
        if not scans:
            return False
        # One time for both feet: the mean of the two chips' scan mid-times.
        t_s = sum(scan[0] for scan in scans.values()) / len(scans)
        frames = {foot: VoltsFrame(t_s, *scan[1]) for foot, scan in scans.items()}
        for chip in self._chips:
            if chip.foot in frames:
                self._arrived(chip, t_s)
        self.frames += 1
        self._emit("on_feet", FeetFrame(t_s, frames.get("left"), frames.get("right")))
        for chip in self._chips:
            frame = frames.get(chip.foot or "")
            if frame is not None:
                self._check_health(chip, frame)
        return True

    def _read(
        self, chip: _Chip, failed: HardwareError | None = None
    ) -> tuple[float, tuple[float, float, float]] | None:
        """A scan of ``chip`` with retries (``failed``: the first attempt's error, if any)."""
        error: BaseException | None = None
        for attempt in range(self.max_retries + 1):
            try:
                if attempt == 0 and failed is not None:
                    raise failed
                scan = chip.adc.read_scan()
            except HardwareError as err:
                error = err
                if not _is_transient(err) or attempt == self.max_retries:
                    break
                self.retries += 1
            except Exception as err:  # a bug must be seen, but must not end acquisition
                log.exception("unexpected error while reading the ADC")
                error = err
                break
            else:
                chip.consecutive_failures = 0
                return scan
        assert error is not None
        self._failed(chip, error)
        return None

    def _failed(self, chip: _Chip, error: BaseException) -> None:
        self.failed_scans += 1
        chip.consecutive_failures += 1
        if chip.gap_start_s is None:
            chip.gap_start_s = (
                chip.last_t_s if chip.last_t_s is not None else self.clock.monotonic()
            )
            chip.gap_reason = str(error)
            # Once per gap, not once per failed scan: listeners see the fault, not a flood.
            if chip.foot is None:
                self._emit("on_error", error)
            else:
                foot_error = FootAdcError(chip.foot, f"{chip.label()}: {error}")
                foot_error.__cause__ = error
                self._emit("on_error", foot_error)
        failures = chip.consecutive_failures
        if failures > 1:
            # A lone failed scan is retried on the next tick; a run of them backs off.
            low_s, high_s = self.backoff_s
            backoff_s = min(high_s, low_s * 2 ** min(failures - 2, 16))
            if chip.foot is not None:
                # Two insoles: the other chip keeps being read meanwhile.
                chip.resume_s = self.clock.monotonic() + backoff_s
                return
            if self.clock.wait_event(self._stop, backoff_s):
                return
        if failures >= self.reconnect_after:
            self._reconnect(chip)

    def _reconnect(self, chip: _Chip) -> None:
        try:
            chip.adc.reconnect()
        except HardwareError as err:
            log.debug("ADC reconnect failed: %s", err)
        else:
            self.reconnects += 1
            log.info(
                "%s reconnected after %d failed scans",
                "ADC" if chip.foot is None else chip.label(),
                chip.consecutive_failures,
            )

    def _close_gap(self, chip: _Chip, end_s: float, fallback_reason: str) -> None:
        if chip.gap_start_s is None:
            return
        start_s, reason = chip.gap_start_s, chip.gap_reason or fallback_reason
        chip.gap_start_s = None
        self._gap(chip, start_s, end_s, reason)

    def _gap(self, chip: _Chip, start_s: float, end_s: float, reason: str) -> None:
        self.gaps += 1
        if chip.foot is None:
            self._emit("on_gap", start_s, end_s, reason)
        else:
            self._emit("on_foot_gap", chip.foot, start_s, end_s, reason)

    def _arrived(self, chip: _Chip, t_s: float) -> None:
        """A frame of ``chip`` at ``t_s``: end its gap, or report a late frame as one."""
        if chip.gap_start_s is not None:
            self._close_gap(chip, t_s, "ADC read failed")
        elif chip.last_t_s is not None and t_s - chip.last_t_s > self.late_gap_s:
            self._gap(
                chip,
                chip.last_t_s,
                t_s,
                f"no frame for {t_s - chip.last_t_s:.3f} s (the sampler was delayed)",
            )
        chip.last_t_s = t_s

    def _check_health(self, chip: _Chip, frame: VoltsFrame) -> None:
        report = chip.health.update(frame)
        if report is None:
            return
        if chip.foot is None:
            self._emit("on_health", report)
        else:
            self._emit("on_foot_health", chip.foot, report)
