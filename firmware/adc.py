"""The ADC interface and its two backends, both running the real Adafruit ADS1x15 driver.

- ``hardware``: the driver on the Pi's I2C bus ``/dev/i2c-<n>`` (through
  ``adafruit_extended_bus.ExtendedI2C``, or Blinka's ``busio.I2C(board.SCL, board.SDA)`` for
  bus 1 when that package is missing). Blinka is imported only inside that backend.
- ``emulated``: the same driver on ``firmware.ads_emulator`` (an ADS1115/ADS1015 emulated at
  register level), fed by a foot model (``firmware.foot_source``).

The backend is chosen in one place, ``open_adc``: the ``backend`` argument, or when that is
``"auto"`` the ``INSOLE_ADC_BACKEND`` environment variable, or when that is unset too the
machine itself (``hardware`` if ``/dev/i2c-<bus>`` exists, else ``emulated``). A bus without an
answering chip is an error (``AdcNotFoundError``), never a silent fall-back to fake data.

Why reads do not busy-spin
--------------------------
The driver's ``ADS1x15.read()`` starts a single-shot conversion and then polls the config
register in a ``while`` loop with no sleep and no timeout: one CPU core at 100 % for every
conversion, forever if the chip stops answering in the middle. ``Ads1x15Adc`` keeps the
driver for every byte it sends (its config encoding, its register reads, its code-to-volts
conversion) but owns the waiting:

1. ``ADS1x15._write_config(pin)`` writes the config with OS=1 (start one conversion);
2. the thread *sleeps* for the data sheet's conversion time ``1/DR`` (scaled by a factor
   that adapts to the chip's oscillator, which may run up to 10 % slow);
3. one ``_conversion_complete()`` read confirms OS=1; if the chip is not done yet it polls
   again after a short sleep, until a deadline (then ``AdcTimeoutError``);
4. the result is read with ``get_last_result()`` *after the next channel's conversion has
   been started* (the conversion register keeps the previous result until the new one is
   finished), so the result read overlaps the next conversion instead of adding to the scan.

That is the ``single_shot`` strategy (the default, right for a paced sampler). Single-shot
cannot reach 90 % of ``DR / 3`` at 860 SPS (the config write alone is 8 % of a conversion
at 400 kHz), so for full-speed sampling ``strategy="continuous"`` uses verified
continuous-mode runs with the input rotated every conversion: see ``firmware.adc_stream``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from adafruit_ads1x15 import ads1015, ads1115
from adafruit_ads1x15.analog_in import AnalogIn

from firmware.adc_stream import ContinuousStream, StreamPhaseError
from firmware.ads_emulator import (
    CHIP_MODELS,
    POINTER_CONFIG,
    ChannelVolts,
    EmulatedAds1x15,
    EmulatedI2CBus,
    zero_volts,
)
from firmware.clock import SYSTEM_CLOCK, Clock
from firmware.config import AdcConfig
from firmware.errors import AdcNotFoundError, AdcReadError, HardwareError, I2CBusMissingError
from firmware.i2c_combined import CombinedI2C, LinuxCombinedI2C
from insole.frames import SENSORS
from insole.resources import Closeable

log = logging.getLogger(__name__)

BACKENDS = ("auto", "hardware", "emulated")
"""Allowed values of ``open_adc(backend=...)`` and of ``INSOLE_ADC_BACKEND``."""

STRATEGIES = ("single_shot", "continuous")
"""How scans are taken: a verified single shot per channel, or verified continuous runs."""

BACKEND_ENV = "INSOLE_ADC_BACKEND"
"""Environment variable that picks the backend when ``open_adc`` is given ``"auto"``."""

SINGLE_ENDED_MUX_OFFSET = 4
"""MUX code of AINx against GND is x + 4 (the driver's ``AnalogIn`` uses the same rule)."""

STREAM_COUNTERS = (
    "runs",
    "rejected_runs",
    "partial_runs",
    "dropped_scans",
    "late_stops",
    "calibrations",
    "paced_steps",
)
"""The continuous strategy's counters that ``stream_stats()`` reports."""

_DRIVER_METHODS = ("_write_config", "_conversion_complete", "get_last_result", "_conversion_value")


class AdcConfigError(HardwareError, ValueError):
    """The ADC configuration (model, gain, data rate, channels) is not one the chip supports."""


class AdcTimeoutError(AdcReadError, TimeoutError):
    """A conversion did not finish before its deadline (the chip stopped converting)."""


def _bus_path(dev_dir: Path, bus_number: int) -> Path:
    return dev_dir / f"i2c-{bus_number}"


class Ads1x15Adc(Closeable):
    """Three single-ended channels of an ADS1115/ADS1015, read without busy-waiting.

    ``read_scan()`` converts the three sensors' channels (``SENSORS`` order) one after the
    other and returns the scan's mid-time with the volts. One thread at a time may read
    (a lock enforces it). ``close()`` is idempotent; the object is a context manager.
    """

    POLL_FRACTION = 0.05
    """When a conversion is not done at the first check, poll again after this share of it."""
    MIN_WAIT_FACTOR = 0.9
    MAX_WAIT_FACTOR = 1.25
    MAX_PAUSE_S = 0.05
    """Continuous runs: after a pause this long between reads, buffered scans are dropped."""

    def __init__(
        self,
        bus: Any,
        config: AdcConfig,
        *,
        backend: str,
        description: str,
        simulated: bool,
        clock: Clock = SYSTEM_CLOCK,
        close_bus: Callable[[], None] | None = None,
        strategy: str = "single_shot",
        max_run_scans: int = 32,
        combined: CombinedI2C | None = None,
    ) -> None:
        validate_adc_config(config)
        if strategy not in STRATEGIES:
            raise AdcConfigError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
        self.strategy = strategy
        self.max_run_scans = max_run_scans
        self.combined = combined
        self._owned_combined: LinuxCombinedI2C | None = None
        self._stream: ContinuousStream | None = None
        self._buffer: deque[tuple[float, list[int]]] = deque()
        self._last_call_s = 0.0
        self.config = config
        self.backend = backend
        self.description = description
        self.simulated = simulated
        self.clock = clock
        self.bus = bus
        self._close_bus = close_bus
        self._lock = threading.Lock()
        self._closed = False
        model = CHIP_MODELS[config.model]
        self.conversion_s = 1.0 / config.data_rate_sps
        # Generous deadline: twice the nominal time (the oscillator is ±10 %) plus bus time.
        self.deadline_s = 2.0 * self.conversion_s + 0.02
        self._wait_factor = 1.0
        self._in_flight_s: float | None = None  # start time of a conversion not yet seen done
        self._bits = model.bits
        self._pins = tuple(config.channels[s] + SINGLE_ENDED_MUX_OFFSET for s in SENSORS)
        self._ads: Any = None
        self._analog: tuple[AnalogIn, ...] = ()
        self.reconnect()

    # --- lifecycle ---------------------------------------------------------------------------

    def reconnect(self) -> None:
        """(Re)create the driver on the bus: probes the address and writes the config.

        Raises ``AdcNotFoundError`` if no chip answers, ``AdcReadError`` on a bus fault.
        Used at start and by the sampler when a vanished chip comes back.
        """
        driver_class = ads1115.ADS1115 if self.config.model == "ADS1115" else ads1015.ADS1015
        with self._lock:
            try:
                ads = driver_class(
                    self.bus,
                    gain=self.config.gain,
                    data_rate=self.config.data_rate_sps,
                    address=self.config.address,
                )
            except ValueError as err:
                if "No I2C device" in str(err):
                    raise AdcNotFoundError(self.config.address, self.config.i2c_bus) from err
                raise AdcConfigError(
                    f"the ADS1x15 driver rejected the configuration: {err}"
                ) from err
            except OSError as err:
                raise AdcReadError(
                    err.errno, f"I2C error while configuring the ADC: {err.strerror or err}"
                ) from err
            missing = [m for m in _DRIVER_METHODS if not hasattr(ads, m)]
            if missing:
                raise HardwareError(
                    f"this adafruit-circuitpython-ads1x15 version lacks {missing}; "
                    "version 3.0.x is supported"
                )
            self._ads = ads
            self._in_flight_s = None  # the driver's constructor leaves the chip idle
            self._buffer.clear()
            instant_bus = isinstance(self.bus, EmulatedI2CBus) and self.bus.bus_hz is None
            self._stream = ContinuousStream(
                ads,
                self.config,
                self.clock,
                self._pins,
                self.max_run_scans,
                wire_time=not instant_bus,
                combined=self.combined,
            )
            # AnalogIn carries the driver's code-to-volts rule for the configured gain.
            self._analog = tuple(AnalogIn(ads, pin - SINGLE_ENDED_MUX_OFFSET) for pin in self._pins)

    def use_combined(self, combined: LinuxCombinedI2C) -> None:
        """Let continuous runs use ``combined`` for their steps; closed with the ADC."""
        with self._lock:
            self.combined = combined
            self._owned_combined = combined
            if self._stream is not None:
                self._stream.combined = combined

    def close(self) -> None:
        """Release the bus (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._ads = None
            if self._owned_combined is not None:
                self._owned_combined.close()
            if self._close_bus is not None:
                self._close_bus()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def __repr__(self) -> str:
        return f"<Ads1x15Adc {self.description}>"

    # --- reading -----------------------------------------------------------------------------

    def stream_stats(self) -> dict[str, int]:
        """Counters of the continuous strategy.

        Runs, rejected runs (no scan kept), partial runs (some scans dropped around a missed
        step), dropped scans, late stops (runs whose stop came after the last conversion),
        calibrations.
        """
        stream = self._stream
        return {name: getattr(stream, name, 0) for name in STREAM_COUNTERS}

    @property
    def full_scale_v(self) -> float:
        """The largest voltage the configured gain can represent."""
        analog = self._analog[0]
        return float(analog.convert_to_voltage(((1 << (self._bits - 1)) - 1) << (16 - self._bits)))

    def read_volts(self) -> tuple[float, float, float]:
        """Voltages of ``heel``, ``little_toe``, ``big_toe`` (one scan)."""
        return self.read_scan()[1]

    def read_scan(self) -> tuple[float, tuple[float, float, float]]:
        """One scan: ``(t_s, volts)`` with ``t_s`` the mean of the conversion mid-times.

        Raises ``AdcReadError`` (with the bus errno) on a bus fault and ``AdcTimeoutError`` when
        a conversion misses its deadline.
        """
        with self._lock:
            ads = self._driver()
            try:
                if self.strategy == "continuous":
                    return self._stream_scan(ads)
                return self._scan(ads)
            except StreamPhaseError as err:
                stream = self._stream
                if stream is not None and stream.rejected_in_a_row >= 5 and not stream.feasible:
                    # Degraded mode, announced: a step (one read and one write) takes too
                    # long for a conversion on this bus and host.
                    log.warning(
                        "continuous runs cannot keep up at %d SPS here (a step takes %.0f µs "
                        "of a %.0f µs conversion); falling back to single-shot scans",
                        self.config.data_rate_sps,
                        stream.step_s * 1e6,
                        self.conversion_s * 1e6,
                    )
                    self.strategy = "single_shot"
                raise AdcTimeoutError(110, f"continuous scan rejected: {err}") from err
            except OSError as err:
                if isinstance(err, AdcReadError):
                    raise
                raise AdcReadError(
                    err.errno, f"I2C transfer to the ADC failed: {err.strerror or err}"
                ) from err

    def _driver(self) -> Any:
        """The driver object; ``AdcReadError`` when the ADC is closed or not open."""
        if self._ads is None:
            raise AdcReadError("the ADC is closed" if self._closed else "the ADC is not open")
        return self._ads

    def _scan(self, ads: Any) -> tuple[float, tuple[float, float, float]]:
        scan = _SingleShotScan(self, ads)
        clock = self.clock
        for index in range(len(self._pins)):
            start_s = scan.start(index)
            clock.sleep(start_s + self.conversion_s * self._wait_factor - clock.monotonic())
        return scan.finish()

    def _stream_scan(self, ads: Any) -> tuple[float, tuple[float, float, float]]:
        """Next scan of a verified continuous run (see ``firmware.adc_stream``)."""
        stream = self._stream
        assert stream is not None
        now_s = self.clock.monotonic()
        if self._buffer and now_s - self._last_call_s > self.MAX_PAUSE_S:
            self._buffer.clear()  # the caller paused: old scans would arrive late
        self._last_call_s = now_s
        if not self._buffer:
            if self._in_flight_s is not None:
                stream.ensure_idle(self.clock.monotonic() + self.deadline_s)
            self._in_flight_s = self.clock.monotonic()
            self._buffer.extend(stream.run())
            self._in_flight_s = None
            # The pause is counted from when the scans were ready, not from the call that
            # waited for the run (a run may last up to ~110 ms with a slow oscillator).
            self._last_call_s = self.clock.monotonic()
        t_s, codes = self._buffer.popleft()
        volts = tuple(
            float(analog.convert_to_voltage(ads._conversion_value(code)))
            for analog, code in zip(self._analog, codes, strict=True)
        )
        return t_s, (volts[0], volts[1], volts[2])

    def _wait_done(self, ads: Any, start_s: float) -> None:
        """Return once the conversion started at ``start_s`` is done; never spins."""
        clock = self.clock
        deadline_s = start_s + self.deadline_s
        first_check = True
        while not ads._conversion_complete():
            if first_check:
                # The chip is slower than we assumed: wait a little longer next time.
                self._wait_factor = min(self.MAX_WAIT_FACTOR, self._wait_factor + 0.02)
                first_check = False
            now_s = clock.monotonic()
            if now_s >= deadline_s:
                raise AdcTimeoutError(
                    110,
                    f"ADC conversion not finished {now_s - start_s:.4f} s after it started "
                    f"(expected {self.conversion_s:.4f} s at {self.config.data_rate_sps} SPS)",
                )
            clock.sleep(min(self.conversion_s * self.POLL_FRACTION, deadline_s - now_s))
        if first_check:
            # Done at the first check: try a slightly shorter wait, so that the check lands
            # just after the conversion ends rather than well after it.
            self._wait_factor = max(self.MIN_WAIT_FACTOR, self._wait_factor - 0.002)


class _SingleShotScan:
    """One single-shot scan of one chip, taken a conversion at a time.

    ``start(index)`` waits (sleeping) for the previous conversion, starts the next and
    reads the previous result, so that the result read overlaps the next conversion;
    ``finish()`` waits for the last one and returns ``(t_s, volts)``. Between the steps the
    caller sleeps until the conversion is due, alone (``Ads1x15Adc._scan``) or together
    with other chips whose conversions run at the same time (``read_together``).
    """

    def __init__(self, adc: Ads1x15Adc, ads: Any) -> None:
        self.adc = adc
        self.ads = ads
        self.codes: list[int] = []
        self.mid_times: list[float] = []
        self.previous_start_s = 0.0
        if adc._in_flight_s is not None:
            # The last scan was cut short by a bus error while a conversion may still run:
            # the chip ignores a start request until it is done, so let it finish first.
            adc._wait_done(ads, adc._in_flight_s)

    def start(self, index: int) -> float:
        """Start conversion ``index`` (reading the previous result); returns its start."""
        adc, ads, clock = self.adc, self.ads, self.adc.clock
        if index:
            adc._wait_done(ads, self.previous_start_s)
        adc._in_flight_s = clock.monotonic()
        ads._write_config(adc._pins[index])  # OS=1: one single-shot conversion of AINx vs GND
        start_s = clock.monotonic()
        self.mid_times.append(start_s + adc.conversion_s / 2.0)
        if index:
            # Pipelined: the previous result stays in the conversion register until this
            # conversion ends, so reading it now costs no scan time.
            self.codes.append(ads.get_last_result(False))
        self.previous_start_s = start_s
        return start_s

    def due_s(self) -> float:
        """When the conversion in progress should be done."""
        adc = self.adc
        return self.previous_start_s + adc.conversion_s * adc._wait_factor

    def finish(self) -> tuple[float, tuple[float, float, float]]:
        """Wait for the last conversion; ``(mean mid-time, volts)`` of the scan."""
        adc, ads = self.adc, self.ads
        adc._wait_done(ads, self.previous_start_s)
        adc._in_flight_s = None
        self.codes.append(ads.get_last_result(False))
        volts = tuple(
            float(analog.convert_to_voltage(ads._conversion_value(code)))
            for analog, code in zip(adc._analog, self.codes, strict=True)
        )
        return sum(self.mid_times) / len(self.mid_times), (volts[0], volts[1], volts[2])


ScanOrError = tuple[float, tuple[float, float, float]] | HardwareError


def read_together(adcs: Sequence[Ads1x15Adc]) -> list[ScanOrError]:
    """One single-shot scan of several chips whose conversions run at the same time.

    Chips on one bus convert independently, so the scan of two takes about as long as
    that of one: each step starts the next conversion on every chip, then the thread
    sleeps until the last of them is due. A chip that fails (bus error, timeout, closed)
    gets its error in its place of the result and drops out of the scan; the others go
    on. Every chip must use the ``single_shot`` strategy.
    """
    if any(adc.strategy != "single_shot" for adc in adcs):
        raise AdcConfigError("read_together needs chips with the single_shot strategy")
    results: dict[int, ScanOrError] = {}
    scans: dict[int, _SingleShotScan] = {}
    with contextlib.ExitStack() as locks:
        for adc in adcs:
            locks.enter_context(adc._lock)
        for i, adc in enumerate(adcs):
            try:
                scans[i] = _SingleShotScan(adc, adc._driver())
            except (HardwareError, OSError) as err:
                results[i] = _read_error(err)
        for index in range(max((len(adc._pins) for adc in adcs), default=0)):
            for i, scan in list(scans.items()):
                try:
                    scan.start(index)
                except (HardwareError, OSError) as err:
                    results[i] = _read_error(err)
                    del scans[i]
            if scans:
                clock = next(iter(scans.values())).adc.clock
                clock.sleep(max(scan.due_s() for scan in scans.values()) - clock.monotonic())
        for i, scan in scans.items():
            try:
                results[i] = scan.finish()
            except (HardwareError, OSError) as err:
                results[i] = _read_error(err)
    return [results[i] for i in range(len(adcs))]


def _read_error(err: HardwareError | OSError) -> HardwareError:
    """A bus fault as ``read_scan`` reports it (``AdcReadError`` with the errno)."""
    if isinstance(err, HardwareError):
        return err
    return AdcReadError(err.errno, f"I2C transfer to the ADC failed: {err.strerror or err}")


Adc = Ads1x15Adc
"""The ADC interface: both backends return this class (over different buses)."""


def validate_adc_config(config: AdcConfig) -> None:
    """Reject settings the chip cannot do, naming the allowed values."""
    if config.model not in CHIP_MODELS:
        raise AdcConfigError(
            f"ADC model must be one of {sorted(CHIP_MODELS)}, got {config.model!r}"
        )
    rates = sorted(set(CHIP_MODELS[config.model].rates_sps))
    if config.data_rate_sps not in rates:
        raise AdcConfigError(
            f"{config.model} data rate must be one of {rates} SPS, got {config.data_rate_sps!r}"
        )
    gains = (2 / 3, 1, 2, 4, 8, 16)
    if config.gain not in gains:
        raise AdcConfigError(f"gain must be one of 2/3, 1, 2, 4, 8, 16; got {config.gain!r}")
    if not 0x48 <= config.address <= 0x4B:
        raise AdcConfigError(f"address must be 0x48-0x4B, got 0x{config.address:02x}")
    if set(config.channels) != set(SENSORS) or not all(
        c in range(4) for c in config.channels.values()
    ):
        raise AdcConfigError(
            f"channels must map each of {list(SENSORS)} to an input 0-3, got {config.channels!r}"
        )
    if len(set(config.channels.values())) != len(SENSORS):
        raise AdcConfigError(f"each sensor needs its own input, got {config.channels!r}")


def resolve_backend(backend: str, config: AdcConfig, dev_dir: Path = Path("/dev")) -> str:
    """The backend ``open_adc`` will use: ``"hardware"`` or ``"emulated"``.

    ``"auto"`` defers to ``INSOLE_ADC_BACKEND``; if that is unset or ``auto`` too, the
    machine decides: ``hardware`` when ``/dev/i2c-<bus>`` exists.
    """
    if backend not in BACKENDS:
        raise AdcConfigError(f"ADC backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "auto":
        backend = os.environ.get(BACKEND_ENV, "auto").strip().lower() or "auto"
        if backend not in BACKENDS:
            raise AdcConfigError(
                f"{BACKEND_ENV} must be one of {list(BACKENDS)}, got {os.environ[BACKEND_ENV]!r}"
            )
    if backend == "auto":
        backend = "hardware" if _bus_path(dev_dir, config.i2c_bus).exists() else "emulated"
    return backend


def open_adc(
    config: AdcConfig | None = None,
    backend: str = "auto",
    source: ChannelVolts | None = None,
    *,
    emulator: EmulatedI2CBus | None = None,
    clock: Clock | None = None,
    bus_hz: float | None = None,
    dev_dir: Path = Path("/dev"),
    strategy: str = "single_shot",
) -> Ads1x15Adc:
    """Open the ADC: the one place where the backend is chosen (see ``resolve_backend``).

    - ``source``: input volts of the emulated chip (``firmware.foot_source``); default 0 V.
    - ``emulator``: a ready emulated bus (with its chip and faults) instead of a new one.
    - ``clock``: the clock of the emulated chip and of the read deadlines.
    - ``bus_hz``: wire time of a new emulated bus (``None``, 100_000 or 400_000).
    - ``strategy``: ``single_shot`` (default; any rate) or ``continuous`` (full-speed runs).
    """
    config = config or AdcConfig()
    validate_adc_config(config)
    chosen = resolve_backend(backend, config, dev_dir)
    if chosen == "hardware":
        return _open_hardware(config, dev_dir, clock or SYSTEM_CLOCK, strategy)
    return _open_emulated(
        config, source=source, emulator=emulator, clock=clock, bus_hz=bus_hz, strategy=strategy
    )


def _open_emulated(
    config: AdcConfig,
    *,
    source: ChannelVolts | None,
    emulator: EmulatedI2CBus | None,
    clock: Clock | None,
    bus_hz: float | None,
    strategy: str,
) -> Ads1x15Adc:
    close_bus: Callable[[], None] | None = None  # a bus given by the caller stays theirs
    if emulator is None:
        chip = EmulatedAds1x15(config.model, config.address, source or zero_volts)
        emulator = EmulatedI2CBus([chip], clock=clock or SYSTEM_CLOCK, bus_hz=bus_hz)
        close_bus = emulator.deinit
    kind = "foot model" if source is not None else "inputs at 0 V"
    return Ads1x15Adc(
        emulator,
        config,
        backend="emulated",
        description=f"emulated {config.model} at 0x{config.address:02x} ({kind})",
        simulated=True,
        clock=clock or emulator.clock,
        close_bus=close_bus,
        strategy=strategy,
        combined=emulator,
    )


def _open_hardware(config: AdcConfig, dev_dir: Path, clock: Clock, strategy: str) -> Ads1x15Adc:
    path = _bus_path(dev_dir, config.i2c_bus)
    if not path.exists():
        raise I2CBusMissingError(
            f"no I2C bus {path}: enable I2C (sudo raspi-config nonint do_i2c 0, or "
            f"dtparam=i2c_arm=on in /boot/firmware/config.txt) and reboot; "
            f"or use the emulated ADC ({BACKEND_ENV}=emulated)"
        )
    bus = _linux_i2c_bus(config.i2c_bus, path)
    combined = None
    try:
        adc = Ads1x15Adc(
            bus,
            config,
            backend="hardware",
            description=f"{config.model} at 0x{config.address:02x} on {path}",
            simulated=False,
            clock=clock,
            close_bus=bus.deinit,
            strategy=strategy,
        )
        if strategy == "continuous":
            combined = open_combined(path, config.address)
            if combined is not None:
                adc.use_combined(combined)
        return adc
    except BaseException:
        if combined is not None:
            combined.close()
        bus.deinit()
        raise


def open_combined(path: Path, address: int) -> LinuxCombinedI2C | None:
    """Combined transfers on ``path`` if the adapter takes them, else ``None`` (logged).

    Checked with a harmless request of the same shape a step uses (two writes, one read):
    the pointer set to the config register twice, then the register read.
    """
    try:
        combined = LinuxCombinedI2C(path)
    except OSError as err:
        log.warning("cannot open %s for combined transfers (%s); using two per step", path, err)
        return None
    try:
        pointer = bytes((POINTER_CONFIG,))
        combined.writes_then_readfrom(address, (pointer, pointer), bytearray(2))
    except OSError as err:
        combined.close()
        log.warning(
            "the I2C adapter of %s refused a combined transfer (%s): continuous runs use two "
            "transfers per step (more CPU, same data)",
            path,
            err.strerror or err,
        )
        return None
    return combined


def _linux_i2c_bus(bus_number: int, path: Path) -> Any:
    """A ``busio.I2C``-compatible object for ``/dev/i2c-<n>`` (Blinka imported only here)."""
    try:
        from adafruit_extended_bus import (  # type: ignore[import-untyped]  # noqa: PLC0415
            ExtendedI2C,
        )
    except ModuleNotFoundError as err:
        if err.name != "adafruit_extended_bus":
            raise HardwareError(_missing_module_message(err)) from err
        ExtendedI2C = None  # noqa: N806
    try:
        if ExtendedI2C is not None:
            # frequency=None: Linux sets the bus speed in the device tree, not per process.
            return ExtendedI2C(bus_number, frequency=None)
        if bus_number != 1:
            raise HardwareError(
                f"I2C bus {bus_number} needs the adafruit-extended-bus package "
                "(pip install adafruit-extended-bus)"
            )
        import board  # noqa: PLC0415 (hardware only)
        import busio  # noqa: PLC0415 (hardware only)

        return busio.I2C(board.SCL, board.SDA)
    except ImportError as err:
        raise HardwareError(_missing_module_message(err)) from err
    except PermissionError as err:
        raise HardwareError(
            f"no permission to open {path}: add the user to the i2c group "
            "(sudo adduser $USER i2c) and log in again"
        ) from err
    except (OSError, RuntimeError, ValueError) as err:
        raise HardwareError(f"cannot open I2C bus {path}: {err}") from err


def _missing_module_message(err: ImportError) -> str:
    """What to install when Blinka (under the ADS1x15 driver) cannot import a module."""
    if err.name == "gpiod":
        return (
            "Blinka needs libgpiod's Python binding on a Pi: `sudo apt install "
            "python3-libgpiod` and use a venv made with --system-site-packages "
            "(firmware/pi/install.sh does both)"
        )
    return f"a module for the I2C bus is missing ({err}); reinstall with firmware/pi/install.sh"
