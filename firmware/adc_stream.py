"""Full-speed scans: the ADS1x15 in continuous mode with the input rotated every conversion.

Why: in single-shot mode every conversion costs a config write, a done-check and a result
read on the critical path (at 860 SPS and 400 kHz the write alone is 8 % of a conversion),
so a scan cannot reach 90 % of ``DR / 3``. In continuous mode the chip converts back to back
and "the conversion in progress completes with the previous settings": a config written
during conversion *k* selects the input of conversion *k + 1*. So, once per conversion, we
read the result of *k - 1* and write the input of *k + 1*, both inside conversion *k*, and
the bus work overlaps the conversions completely. The driver's own continuous mode cannot
do this (3.0.5 re-reads the old input when switching pins), so the config words are written
with the driver's ``_write_register``; results are read with its ``get_last_result``.

The risk is timing: we cannot see conversion boundaries (OS reads 0 throughout), and the
chip's oscillator may be 10 % off. So each *run* of scans is verified before its data is
released:

1. start from power-down (the start write gives time 0 within one transfer);
2. act at ``k * period + lead`` for each conversion, recording the time span of each action;
3. end the run by writing MODE=1 (power down after the last conversion) and poll OS until it
   reads 1, so the end of conversion ``M`` is bracketed by the last "busy" and the first
   "idle" check: that bounds the chip's real period;
4. accept the run only if its period agrees with what earlier runs found and, for every
   period and start time within the bounds, every action fell inside the conversion it was
   meant for; otherwise raise ``StreamPhaseError`` (``AdcTimeoutError`` to the caller, and
   the sampler retries); the next run is half as long.

Before the first run the period is *calibrated* with runs that switch nothing (see
``calibrate``). Runs then double (up to ``max_run_scans`` and ~100 ms, and only as long as
the last step surely fits its conversion), so the cost of the start and of the end check is
spread over many conversions. If even one scan cannot fit (a slow bus), ``feasible`` is
false and ``firmware.adc`` falls back to single-shot scans with a warning.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from firmware.ads_emulator import (
    CHIP_MODELS,
    MODE_BIT,
    MUX_SHIFT,
    OS_BIT,
    PGA_SHIFT,
    POINTER_CONFIG,
    POINTER_CONVERSION,
)
from firmware.clock import Clock
from firmware.config import AdcConfig
from firmware.i2c_combined import CombinedI2C

MAX_BUS_HZ = 400_000
"""The ADS1x15's fastest mode without the high-speed master code (which Linux does not send)."""
START_WRITE_MIN_S = (1 + 9 + 3 * 9 + 1) / MAX_BUS_HZ
"""Shortest time from the start of a config write to its STOP (38 bits)."""
READ_LATCH_MIN_S = (1 + 9 + 9 + 1 + 9) / MAX_BUS_HZ
"""Shortest time from the start of a register read to the moment the chip latches it."""
STEP_BITS = (1 + 9 + 27) + (1 + 9 + 9) + (1 + 9) + 18 + 1
"""Wire bits of a combined step: config write, pointer write, a 2-byte read, STOP."""
PAD_BYTE_BITS = 9
"""Each byte read past the result (8 bits and the master's ACK)."""

COMPARATOR_OFF = 0x0003
"""COMP_QUE = 11: comparator disabled (as the driver writes by default)."""

GAIN_TO_PGA = {2 / 3: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5}


class StreamPhaseError(Exception):
    """A run could not be verified; its data must not be used."""


def config_word(config: AdcConfig, mux: int, *, continuous: bool) -> int:
    """The config register value for ``mux`` (OS=0, comparator off)."""
    model = CHIP_MODELS[config.model]
    dr = model.rates_sps.index(config.data_rate_sps)
    pga = GAIN_TO_PGA[config.gain]
    mode = 0 if continuous else MODE_BIT
    return (mux & 0x7) << MUX_SHIFT | pga << PGA_SHIFT | mode | dr << 5 | COMPARATOR_OFF


def spoiled_conversions(missed_steps: Sequence[int]) -> set[int]:
    """Conversions whose result cannot be trusted when the given steps missed their slot.

    Step ``k`` belongs inside conversion ``k``: it reads the result of conversion ``k - 1``
    and selects the input of conversion ``k + 1``. Late, its read may return conversion
    ``k``'s result and its input may reach conversion ``k + 1`` too late (that conversion
    repeats the input of ``k``); early, its read may return ``k - 2``'s result and its input
    may already reach conversion ``k``. So a missed step spoils ``k - 1``, ``k`` and
    ``k + 1``; the next step on time selects the right input again.
    """
    return {j for k in missed_steps for j in (k - 1, k, k + 1) if j >= 0}


class ContinuousStream:
    """Verified runs of continuous conversions over the three sensor inputs."""

    CALIBRATED_WIDTH = 0.01
    """Calibrate until the period is known within 1 % before switching inputs."""
    END_CHECK_FRACTION = 0.5
    """Aim the first end-of-run check this share of a conversion early (to see it busy)..."""
    END_CHECK_MAX_S = 0.0006
    """... but no more than this (slow data rates would poll for milliseconds)."""
    POLL_MAX_S = 0.00005
    END_WINDOW_GUARD_FRACTION = 0.03
    """A run's second end check lies this share of a conversion after the window of its
    end..."""
    END_WINDOW_MAX_FRACTION = 0.4
    """... if that window (half of it) is at most this share of a conversion (else: polls)."""
    EARLY_GUARD_FRACTION = 0.02
    """Act this share of a conversion after its earliest possible start."""
    POLL_FRACTION = 0.02

    MAX_RUN_S = 0.1
    """Longest run (its first scan waits this long to be delivered)."""
    MAX_PAD_S = 0.008
    """Longest padding of a paced step (a conversion at 128 SPS; slower rates sleep)."""
    MIN_PACED_BUS_HZ = 270_000
    """Slower buses are not paced (see ``_paceable_bit_s``)."""
    BIT_PROBE_BYTES = 64
    """Extra bytes of the longer probe read (1.4 ms at 400 kHz: jitter small against it)."""

    def __init__(
        self,
        ads: Any,
        config: AdcConfig,
        clock: Clock,
        muxes: Sequence[int],
        max_run_scans: int,
        *,
        wire_time: bool = True,
        combined: CombinedI2C | None = None,
    ) -> None:
        self.ads = ads
        # With a combined transfer a step is one bus call instead of two (see
        # ``firmware.i2c_combined``); without one, the driver's two transfers.
        self.combined = combined
        # Bus pacing needs transfers that take time on the wire (not an instant emulated bus).
        self._wire_time = wire_time
        # Time per wire bit, measured when calibrating; None: steps are not padded.
        self._bit_s: float | None = None
        self.paced_steps = 0  # steps whose transfer was padded to end at the next step
        # Physical floors on transfer times hold for a real bus (and an emulated one with wire
        # time); an emulated bus without wire time transfers instantly.
        self._start_floor_s = START_WRITE_MIN_S if wire_time else 0.0
        self._latch_floor_s = READ_LATCH_MIN_S if wire_time else 0.0
        self.config = config
        self.clock = clock
        self.muxes = tuple(muxes)
        self.nominal_s = 1.0 / config.data_rate_sps
        self.period_s = self.nominal_s  # refined by every verified run
        # Bounds of the real period: the data sheet allows ±10 % (a little more for margin).
        self._period_lo = 0.88 * self.nominal_s
        self._period_hi = 1.12 * self.nominal_s
        self._disagreements = 0  # runs in a row whose period disagreed with the known one
        self._needs_calibration = True
        self._span_s = 0.3 * self.nominal_s  # how long the read + write of one step take
        self._start_s = 0.1 * self.nominal_s  # how long the start write takes
        self._late_s = 0.0  # quickest recent wake-up delay from sleep on this host
        # Runs of at most ~100 ms: the first scan of a run is delivered when the run ends.
        # (Each run costs a start, a stop and its end checks: longer runs spread them.)
        self.max_run_scans = max(
            1, min(max_run_scans, int(self.MAX_RUN_S / (3.0 * self.nominal_s)))
        )
        self.run_scans = 1
        self.runs = 0
        self.rejected_runs = 0
        self.rejected_in_a_row = 0
        self.partial_runs = 0  # runs that lost some scans to a missed step
        self.dropped_scans = 0  # scans left out of partial runs
        self.late_stops = 0  # runs whose stop came late (the chip made extra conversions)
        self.calibrations = 0
        self._words = {
            (mux, cont): config_word(config, mux, continuous=cont)
            for mux in self.muxes
            for cont in (True, False)
        }
        # A combined step's messages: the config word of the next input, then the pointer
        # back on the conversion register for the read.
        self._step_writes = {
            mux: (
                POINTER_CONFIG.to_bytes(1, "big") + self._words[(mux, True)].to_bytes(2, "big"),
                POINTER_CONVERSION.to_bytes(1, "big"),
            )
            for mux in self.muxes
        }

    def _write(self, mux: int, continuous: bool) -> None:
        self.ads._write_register(POINTER_CONFIG, self._words[(mux, continuous)])

    @property
    def bus_paced(self) -> bool:
        """Whether steps are combined transfers padded to last until the next step."""
        return self.combined is not None and self._wire_time

    def _step(self, next_mux: int, pad_bytes: int = 0) -> int:
        """Select ``next_mux`` for the conversion after the current one; the last result.

        One combined transfer when the bus offers it (write, then read: the new input takes
        effect only at the next boundary, so the order inside the conversion does not
        matter), else the driver's read and write. ``pad_bytes`` more bytes are read after
        the result (the chip repeats its register; they are not used) so that the transfer
        itself waits out the time until the next step.
        """
        combined = self.combined
        if combined is None:
            code: int = self.ads.get_last_result(False)
            self._write(next_mux, True)
            return code
        buf = bytearray(2 + pad_bytes)
        combined.writes_then_readfrom(self.config.address, self._step_writes[next_mux], buf)
        return buf[0] << 8 | buf[1]

    def _paceable_bit_s(self) -> float | None:
        """The bus's bit time if steps can be padded safely, else ``None``.

        Measured with reads that differ only in length (the fixed cost of a transfer and
        its system call cancels out), the quickest of a few of each. The padding's wire
        time is counted at 400 kHz when a step's actions are checked, so a bus slower than
        ``MIN_PACED_BUS_HZ`` would make every step look late, and a faster one (out of
        the ADS1x15's fast mode) would break that bound: neither is paced.
        """
        if not self.bus_paced:
            return None
        combined, clock, pointer = self.combined, self.clock, bytes((POINTER_CONFIG,))
        assert combined is not None
        quickest = []
        for count in (2, 2 + self.BIT_PROBE_BYTES):
            best_s = math.inf
            for _ in range(3):
                start_s = clock.monotonic()
                combined.writes_then_readfrom(self.config.address, (pointer,), bytearray(count))
                best_s = min(best_s, clock.monotonic() - start_s)
            quickest.append(best_s)
        bit_s = (quickest[1] - quickest[0]) / (self.BIT_PROBE_BYTES * PAD_BYTE_BITS)
        if not 0.9 / MAX_BUS_HZ <= bit_s <= 1.0 / self.MIN_PACED_BUS_HZ:
            return None
        return bit_s

    def _pad_for(self, start_s: float, end_s: float) -> int:
        """Bytes to read past a step's result for it to last from ``start_s`` to ``end_s``.

        At the learned bit time; none when steps are not paced by the bus.
        """
        if not self.bus_paced or self._bit_s is None:
            return 0
        pad_bits = (min(end_s - start_s, self.MAX_PAD_S) / self._bit_s) - STEP_BITS
        return max(0, math.ceil(pad_bits / PAD_BYTE_BITS))

    def run(self) -> list[tuple[float, list[int]]]:
        """One verified run: ``(t_s, [code per sensor])`` per scan, oldest first.

        Scans touched by a missed step are left out (see ``spoiled_conversions``); the run is
        rejected (``StreamPhaseError``) only when its period cannot be trusted or no scan in
        it is clean.
        """
        if self._needs_calibration:
            # Once per start (and after the period was found to drift); if the bracket cannot
            # get within 1 % (a slow bus), runs simply stay short. A bus error in the middle
            # leaves it to do again (it also measures the bit time that paces the steps).
            self.calibrate()
            self._needs_calibration = False
        n_scans = min(self.run_scans, self._longest_safe_run())
        m = 3 * n_scans
        start_lo, t0, codes, spans = self._convert_run(m)
        busy_before, idle_by = self._await_end(t0, m, start_lo)
        codes.append(self.ads.get_last_result(False))  # conversion m - 1
        missed = self._verify(
            m, start_lo=start_lo, t0=t0, busy_before=busy_before, idle_by=idle_by, spans=spans
        )
        self._start_s = 0.8 * self._start_s + 0.2 * (t0 - start_lo)
        spoiled = spoiled_conversions(missed)
        clean = [s for s in range(n_scans) if spoiled.isdisjoint(range(3 * s, 3 * s + 3))]
        if not missed:
            self.rejected_in_a_row = 0
            self.run_scans = min(self.max_run_scans, n_scans * 2)
        elif clean:
            # A late wake-up on a busy host costs the scans around it, not the whole run
            # (the input rotation resynchronises at the next step that is on time).
            self.rejected_in_a_row = 0
            self.partial_runs += 1
            self.dropped_scans += n_scans - len(clean)
        else:
            self._reject(m)
            k = missed[0]
            raise StreamPhaseError(
                f"conversion {k} of a run was missed (actions at "
                f"{spans[k][1] - t0:.6f}-{spans[k][2] - t0:.6f} s, period "
                f"{self._period_lo:.6f}-{self._period_hi:.6f} s)"
            )
        t_origin = (start_lo + t0) / 2.0
        return [
            (t_origin + (3 * scan + 1.5) * self.period_s, codes[3 * scan : 3 * scan + 3])
            for scan in clean
        ]

    def _longest_safe_run(self) -> int:
        """Most scans per run for which the last step still fits its conversion.

        Conversion k surely spans [k * hi + start uncertainty, (k + 1) * lo]: that shrinks
        as k grows while the period is known only within [lo, hi].
        """
        n = 1
        while n < self.max_run_scans and self._fits(3 * (n + 1) - 1):
            n += 1
        return n

    def _fits(self, k: int) -> bool:
        """Whether a step surely fits inside conversion ``k`` with the known period bounds."""
        lo, hi = self._period_lo, self._period_hi
        need_s = self._span_s + 0.1 * self.nominal_s + self._start_s
        return (k + 1) * lo - k * hi >= need_s

    @property
    def step_s(self) -> float:
        """Typical time of one step (result read + next input write) on this host and bus."""
        return self._span_s

    @property
    def feasible(self) -> bool:
        """Whether even a one-scan run can fit (false on a slow bus or a slow host)."""
        return self._fits(2)

    def calibrate(self, rounds: int = 8) -> None:
        """Learn the chip's period from runs that need no timing window at all.

        One input, no switching: start continuous conversions, write MODE=1 after about
        ``j`` conversions (wherever it lands, the chip stops at the next boundary), and
        bracket when it went idle. The end is ``j`` periods after the start for exactly one
        whole ``j`` consistent with the known bounds; that gives tighter bounds, and longer
        runs tighten them further.
        """
        self.calibrations += 1
        self._bit_s = self._paceable_bit_s()
        clock = self.clock
        mux = self.muxes[0]
        # Whole conversions before the stop (written 0.3 into the next). Start short: with
        # the data sheet's ±10 % alone, 2 conversions cannot be mistaken for 3 (4 and 5 can).
        target = 1
        for _ in range(rounds):
            if self._period_hi - self._period_lo <= self.CALIBRATED_WIDTH * self.nominal_s:
                return
            start_lo = clock.monotonic()
            self._write(mux, True)
            t0 = clock.monotonic()
            clock.sleep(t0 + (target + 0.3) * self.period_s - clock.monotonic())
            written_s = clock.monotonic()
            self._write(mux, False)  # power down after the conversion in progress
            expected = int((written_s - t0) / self.period_s) + 1
            busy_before, idle_by = self._await_end(t0, expected)
            fits = []
            for j in range(max(1, expected - 2), expected + 3):
                lo = max(self._period_lo, (busy_before - t0) / j if busy_before else 0.0)
                hi = min(self._period_hi, (idle_by - start_lo) / j)
                if lo <= hi:
                    fits.append((lo, hi))
            if len(fits) != 1:
                continue  # ambiguous (or a hiccup): try again
            self._period_lo, self._period_hi = fits[0]
            self.period_s = (fits[0][0] + fits[0][1]) / 2.0
            target = min(2 * target + 1, 63)

    def _convert_run(
        self, m: int
    ) -> tuple[float, float, list[int], list[tuple[int, float, float]]]:
        """Start ``m`` conversions and read all but the last; the time span of each action."""
        clock = self.clock
        muxes = self.muxes
        period_hi = self._period_hi
        # Act as early as is surely inside conversion k (after k * the longest period the
        # chip may have): a wake-up can only be late, never early, so all the conversion's
        # remaining time is room for a late wake-up or a slow transfer on a busy host.
        guard_s = self.EARLY_GUARD_FRACTION * self.nominal_s
        codes: list[int] = []
        spans: list[tuple[int, float, float]] = []  # (conversion index, first, last)
        # The STOP of the start write cannot come before its bits are on the wire.
        start_lo = clock.monotonic() + self._start_floor_s
        self._write(muxes[0], True)  # conversion 0 starts at this write's STOP
        t0 = clock.monotonic()
        monotonic, step = clock.monotonic, self._step
        latch_floor_s = self._latch_floor_s
        # Pacing by the bus: each step's read goes on past its result until the next step
        # is due, so the transfer's own wait replaces the sleep (one system call per
        # conversion instead of two). The padding comes after the result, so the step's
        # actions end at least the padding's wire time (at the fastest bus allowed) before
        # the transfer does. A step only needs to begin late enough to verify: if a padded
        # transfer ends a little before its aim (less than the guard and the latch floor,
        # with a margin), no sleep tops it up.
        slack_s = max(0.0, guard_s + latch_floor_s - 0.01 * self.nominal_s)
        woke_s = t0
        # Inside conversion 0: select conversion 1 (a combined step's read is stale).
        pad = self._pad_for(t0, t0 + period_hi + guard_s)
        if self.combined is None:
            self._write(muxes[1], True)
        else:
            step(muxes[1], pad)
        for k in range(1, m + 1):
            now_s = monotonic()
            if pad:
                self.paced_steps += 1
            # Likewise a register read latches only once pointer and address are sent.
            first_s = t0 if k == 1 else woke_s + latch_floor_s
            spans.append((k - 1, first_s, now_s - pad * PAD_BYTE_BITS / MAX_BUS_HZ))
            if k == m:
                break
            target_s = t0 + k * period_hi + guard_s
            woke_s = now_s if now_s >= target_s - slack_s else self._sleep_until(target_s, now_s)
            if k + 1 < m:
                pad = self._pad_for(woke_s, target_s + period_hi)
                codes.append(step(muxes[(k + 1) % 3], pad))  # conversion k - 1
            else:
                pad = 0
                codes.append(self.ads.get_last_result(False))  # conversion k - 1
                # MODE=1: power down after conversion k. Written last, so the pointer stays
                # on the config register for the end-of-run checks.
                self._write(muxes[k % 3], False)
        return start_lo, t0, codes, spans

    def _sleep_until(self, target_s: float, now_s: float) -> float:
        """Sleep until ``target_s`` (a little early, see below); the time of waking up."""
        clock = self.clock
        # Ask to wake early by the quickest wake-up delay seen lately (never by the typical
        # one: a wake-up on time would then be too early).
        asked_s = target_s - self._late_s
        clock.sleep(asked_s - now_s)
        woke_s = clock.monotonic()
        if asked_s > now_s:
            late_s = woke_s - asked_s
            # Drop at once to a quicker wake-up, creep up slowly after slower ones.
            # (A stall of milliseconds counts as a slow wake-up, not as that long.)
            slow_s = min(late_s, 0.2 * self.nominal_s)
            late_s = min(late_s, self._late_s + 0.02 * (slow_s - self._late_s))
            guard_s = self.EARLY_GUARD_FRACTION * self.nominal_s
            self._late_s = max(0.0, min(late_s, guard_s + 0.5 * self.nominal_s))
        return woke_s

    def _await_end(
        self, t0: float, m: int, start_lo: float | None = None
    ) -> tuple[float | None, float]:
        """Check OS around the end of conversion ``m``: (last busy check, first idle check).

        With ``start_lo`` (a run, whose period is already known), the end can only lie in a
        window around its expected time: one check at the expected time and, if the chip
        is still busy then, one just after the window bracket the end with at most two
        transfers. Either answer of the first check narrows the period's bounds from one
        side (idle: from above; busy: from below), so runs keep refining them. Otherwise
        (calibrating, or a window too wide) the end is polled every few percent of a
        conversion from shortly before it, which narrows the bracket as far as the bus
        allows.
        """
        clock = self.clock
        expected_s = t0 + m * self.period_s
        checks: list[float] = []
        if start_lo is not None:
            half_s = (
                m * (self._period_hi - self._period_lo) / 2.0
                + (t0 - start_lo)
                + self.END_WINDOW_GUARD_FRACTION * self.nominal_s
            )
            if half_s <= self.END_WINDOW_MAX_FRACTION * self.nominal_s:
                checks = [expected_s, expected_s + half_s]
        if not checks:
            # Aim the first check early so that the end is bracketed from both sides.
            checks = [
                expected_s - min(self.END_CHECK_FRACTION * self.period_s, self.END_CHECK_MAX_S)
            ]
        poll_s = min(self.POLL_FRACTION * self.period_s, self.POLL_MAX_S)
        busy_before = None
        deadline_s = t0 + m * self.nominal_s * 1.2 + 0.02
        clock.sleep(checks.pop(0) - clock.monotonic())
        while True:
            check_lo = clock.monotonic()
            # The pointer still selects the config register (the stop was the last write):
            # a 2-byte read without a pointer write keeps the bracket short.
            idle = self.ads._read_register(POINTER_CONFIG, True) & OS_BIT
            check_hi = clock.monotonic()
            if idle:
                return busy_before, check_hi
            busy_before = check_lo
            if check_hi > deadline_s:
                raise StreamPhaseError("the chip did not stop converting at the end of a run")
            clock.sleep(checks.pop(0) - clock.monotonic() if checks else poll_s)

    def _verify(
        self,
        m: int,
        *,
        start_lo: float,
        t0: float,
        busy_before: float | None,
        idle_by: float,
        spans: list[tuple[int, float, float]],
    ) -> list[int]:
        """Check every step and learn the period; the steps that missed their conversion.

        Raises ``StreamPhaseError`` if the run's period disagrees with the known one (then
        nothing of the run can be trusted).

        The end of conversion m lies in (busy_before, idle_by]; conversion 0 began in
        [start_lo, t0]. So the real period lies in [period_lo, period_hi]. The period is a
        property of the chip: intersect with what earlier runs found (unless it drifted).
        """
        # How long a step takes is a property of the host and the bus: learn it from every
        # run, verified or not.
        # (The median step: one late wake-up must not make every step look slow.)
        typical = statistics.median(last - first for _, first, last in spans)
        self._span_s = 0.8 * self._span_s + 0.2 * typical
        self.runs += 1
        bounds = self._run_period(m, start_lo, t0, busy_before, idle_by, stop_s=spans[-1][2])
        if bounds is None:
            self._reject(m)
            # A drifted oscillator disagrees every time: learn the period again.
            self._disagreements += 1
            if self._disagreements >= 3:
                self._disagreements = 0
                self._period_lo, self._period_hi = 0.88 * self.nominal_s, 1.12 * self.nominal_s
                self.period_s = self.nominal_s
                self._needs_calibration = True
            raise StreamPhaseError(
                f"the run's end ({busy_before and busy_before - t0}-{idle_by - t0:.6f} s after "
                f"its start) fits no whole number of periods in the known "
                f"{self._period_lo:.6f}-{self._period_hi:.6f} s"
            )
        conversions, period_lo, period_hi = bounds
        self._disagreements = 0
        self._period_lo, self._period_hi = period_lo, period_hi
        self.period_s = (period_lo + period_hi) / 2.0
        # Every action for conversion k must come after it began and before it ended,
        # whatever the exact start and period were.
        missed = [
            k
            for k, first, last in spans
            if first < t0 + k * period_hi or last >= start_lo + (k + 1) * period_lo
        ]
        if conversions > m:
            self.late_stops += 1
            if m - 1 not in missed:
                missed.append(m - 1)  # the stop was late, so the last result is another's
        return missed

    def _run_period(
        self,
        m: int,
        start_lo: float,
        t0: float,
        busy_before: float | None,
        idle_by: float,
        *,
        stop_s: float,
    ) -> tuple[int, float, float] | None:
        """(conversions the chip made, period bounds) agreeing with what is known, or None.

        The end of the last conversion lies in (busy_before, idle_by]; conversion 0 began in
        [start_lo, t0]. The chip made ``m`` conversions if the stop came in time, ``m + 1``
        or ``m + 2`` if it came late (a late stop makes the run look that much slower): the
        first count whose bounds agree with what verified runs found before (at first the
        data sheet's ±10 %, with a margin) is taken. Once the period is known within 1 %
        (``calibrate``), counts one apart cannot both agree for runs this short. A larger
        count is taken only if the stop (which ended at ``stop_s``) could have come late.
        """
        for conversions in (m, m + 1, m + 2):
            run_hi = (idle_by - start_lo) / conversions
            run_lo = (busy_before - t0) / conversions if busy_before is not None else 0.0
            lo, hi = max(self._period_lo, run_lo), min(self._period_hi, run_hi)
            if lo > hi:
                continue
            if conversions == m or stop_s >= start_lo + m * lo:
                return conversions, lo, hi
            return None
        return None

    def _reject(self, m: int) -> None:
        self.rejected_runs += 1
        self.rejected_in_a_row += 1
        # A late wake-up is usually a one-off: halve the run rather than start over.
        self.run_scans = max(1, m // 6)

    def ensure_idle(self, deadline_s: float) -> None:
        """Power the chip down after an interrupted run and wait until OS reads 1."""
        self._write(self.muxes[0], False)
        while not self.ads._conversion_complete():
            if self.clock.monotonic() >= deadline_s:
                raise StreamPhaseError("the chip did not power down")
            self.clock.sleep(self.POLL_FRACTION * self.period_s)
