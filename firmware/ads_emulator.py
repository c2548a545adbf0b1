"""An emulated ADS1115 / ADS1015 at register level, behind an I2C bus object.

The Adafruit driver talks to it exactly as to the real chip: the bus object implements the
five calls the driver (through ``adafruit_bus_device.I2CDevice``) makes — ``try_lock``,
``unlock``, ``writeto``, ``readfrom_into`` and ``writeto_then_readfrom`` — and the chip
behind it decodes the bytes as the data sheet (TI SBAS444 / SBAS473) describes.

Register map (pointer register, low two bits of the first written byte)::

    0 conversion  read-only, last result (two's complement, ADS1015: 12 bits left-aligned)
    1 config      OS | MUX[2:0] | PGA[2:0] | MODE | DR[2:0] | COMP_MODE | POL | LAT | QUE[1:0]
    2 lo_thresh   comparator low threshold  (power-on 0x8000)
    3 hi_thresh   comparator high threshold (power-on 0x7FFF)

Modelled behaviour:

- Single-shot (MODE=1): writing OS=1 while powered down starts one conversion at the end of
  the write; the OS bit reads 0 until ``1/DR`` later, then 1, and the conversion register
  then holds the new result (it keeps the previous one meanwhile). OS=1 written during a
  conversion does not restart it.
- Continuous (MODE=0): conversions run back to back every ``1/DR``; a config written
  during a conversion takes effect from the next one ("the conversion in progress completes
  with the previous settings"), including MODE=1, which powers the device down after the
  conversion in progress. OS reads 0 while it is converting.
- Inputs: each AINx is clamped to [GND - 0.3 V, VDD + 0.3 V] by the ESD diodes; the
  differential value is converted with the PGA full-scale range and clipped to the code range.
- Optional wire time: at 100 or 400 kHz each transfer takes its bits (start, address byte
  with ACK, data bytes with ACK, repeated start, stop) divided by the bus frequency, slept on
  the injected clock (a real sleep on the system clock, an instant advance on a fake one).
- Faults: a stalled converter (OS never returns to 1), a share of transfers failing with
  ``OSError`` (errno 121/5/110, seeded), a disconnected sensor (channel reads ~0 V or a chosen
  voltage), a stuck channel (zero or full scale), a missing chip (no ACK: the driver's probe
  raises ``ValueError``, transfers raise
  errno 121), a chip that vanishes and returns (with power-on register values).

The comparator bits (COMP_MODE, COMP_POL, COMP_LAT, COMP_QUE) and the threshold registers
are stored and read back; the ALERT/RDY pin itself is not modelled (nothing here wires it).
"""

from __future__ import annotations

import errno as errno_codes
import functools
import math
import os
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from firmware.clock import SYSTEM_CLOCK, Clock

ChannelVolts = Callable[[int, float], float]
"""Input voltage of AIN ``channel`` (0-3) at time ``t_s`` (on the chip's clock)."""

# --- data sheet tables --------------------------------------------------------------------

POINTER_CONVERSION = 0
POINTER_CONFIG = 1
POINTER_LO_THRESH = 2
POINTER_HI_THRESH = 3

OS_BIT = 0x8000
MODE_BIT = 0x0100
MUX_SHIFT = 12
PGA_SHIFT = 9
DR_SHIFT = 5

POWER_ON_CONFIG = 0x8583
"""Config register after power-up: single-shot, AIN0-AIN1, ±2.048 V, 128 SPS (1115)."""
POWER_ON_LO_THRESH = 0x8000
POWER_ON_HI_THRESH = 0x7FFF

PGA_FULL_SCALE_V: tuple[float, ...] = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256)
"""Full-scale range (±V) per PGA[2:0] code."""

GND = -1
"""Pseudo channel number for the ground reference of single-ended MUX settings."""

MUX_INPUTS: tuple[tuple[int, int], ...] = (
    (0, 1),
    (0, 3),
    (1, 3),
    (2, 3),
    (0, GND),
    (1, GND),
    (2, GND),
    (3, GND),
)
"""(positive, negative) input per MUX[2:0] code."""

ESD_CLAMP_V = 0.3
"""Inputs beyond GND - 0.3 V or VDD + 0.3 V are clamped by the protection diodes."""


@dataclass(frozen=True)
class ChipModel:
    """What differs between the ADS1115 and the ADS1015."""

    name: str
    bits: int
    rates_sps: tuple[int, ...]  # index = DR[2:0]

    def conversion_time_s(self, dr_code: int) -> float:
        """Time of one conversion at DR code ``dr_code``."""
        return 1.0 / self.rates_sps[dr_code & 0x7]


ADS1115 = ChipModel("ADS1115", 16, (8, 16, 32, 64, 128, 250, 475, 860))
ADS1015 = ChipModel("ADS1015", 12, (128, 250, 490, 920, 1600, 2400, 3300, 3300))
CHIP_MODELS = {m.name: m for m in (ADS1115, ADS1015)}

TRANSIENT_ERRNOS = (errno_codes.EREMOTEIO, errno_codes.EIO, errno_codes.ETIMEDOUT)
"""121 (no ACK: loose wire), 5 (bus I/O error), 110 (bus timed out)."""

StuckLevel = Literal["zero", "full_scale"]


@dataclass(frozen=True)
class _Settings:
    """The config fields that shape one conversion."""

    mux: int
    pga: int
    dr: int


@functools.lru_cache(maxsize=256)
def _settings_of(config: int) -> _Settings:
    # Cached: a continuous run writes the same few config words thousands of times.
    return _Settings(
        (config >> MUX_SHIFT) & 0x7, (config >> PGA_SHIFT) & 0x7, (config >> DR_SHIFT) & 0x7
    )


def zero_volts(channel: int, t_s: float) -> float:
    """Input function of a chip with nothing connected: every input at 0 V."""
    del channel, t_s
    return 0.0


class EmulatedAds1x15:
    """One emulated ADS1115 or ADS1015: registers, conversions, inputs and faults.

    ``inputs(channel, t_s)`` gives the voltage on AIN0-AIN3; it is sampled at the middle of
    each conversion. ``oscillator_error`` stretches (> 0) or shortens every conversion, as the
    chip's internal oscillator may (data sheet: data rate ±10 %). All methods are thread-safe,
    so a test or a benchmark may inject faults while a sampler thread reads the chip.
    """

    def __init__(
        self,
        model: str = "ADS1115",
        address: int = 0x48,
        inputs: ChannelVolts = zero_volts,
        *,
        vdd_v: float = 3.3,
        noise_lsb: float = 0.0,
        oscillator_error: float = 0.0,
        seed: int = 0,
    ) -> None:
        if model not in CHIP_MODELS:
            raise ValueError(f"unknown ADC model {model!r}; allowed: {sorted(CHIP_MODELS)}")
        if not 0x48 <= address <= 0x4B:
            raise ValueError(f"ADS1x15 address must be 0x48-0x4B (ADDR pin), got 0x{address:02x}")
        self.model = CHIP_MODELS[model]
        self.address = address
        self.inputs = inputs
        self.vdd_v = vdd_v
        self.noise_lsb = noise_lsb
        if not -0.1 <= oscillator_error <= 0.1:
            raise ValueError(
                "oscillator_error must be within ±0.1 (the data sheet's ±10 %), "
                f"got {oscillator_error!r}"
            )
        self.oscillator_error = oscillator_error
        # Conversion time per DR code (looked up on every transfer in continuous mode).
        self._periods = tuple(
            self.model.conversion_time_s(dr) * (1.0 + oscillator_error) for dr in range(8)
        )
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self.present = True
        self.stalled = False
        self._overrides: dict[int, float] = {}
        self._stuck: dict[int, StuckLevel] = {}
        self._power_on()

    # --- state -----------------------------------------------------------------------------

    def _power_on(self) -> None:
        self._pointer = POINTER_CONVERSION
        self._config = POWER_ON_CONFIG & ~OS_BIT
        self._conversion = 0
        self._lo_thresh = POWER_ON_LO_THRESH
        self._hi_thresh = POWER_ON_HI_THRESH
        # Single shot: (ready time, settings, sample time) of the conversion in progress.
        self._pending: tuple[float, _Settings, float] | None = None
        # Continuous: epochs of (start time, settings); conversions of an epoch run back to
        # back from its start until the next epoch starts (always on a conversion boundary).
        self._epochs: list[tuple[float, _Settings | None]] = []  # None: power down
        self._latched = 0  # conversions of the first epoch already in the conversion register
        # Continuous settling has nothing to do before this time (the next conversion end or
        # epoch start); -inf whenever the epochs change. Most transfers land in between.
        self._quiet_until_s = -math.inf
        self.conversions = 0

    def registers(self, t_s: float) -> dict[str, int]:
        """The four registers as the chip would return them at ``t_s`` (for tests and tools)."""
        with self._lock:
            self._settle(t_s)
            return {
                "conversion": self._conversion,
                "config": self._config_readback(t_s),
                "lo_thresh": self._lo_thresh,
                "hi_thresh": self._hi_thresh,
            }

    # --- faults ----------------------------------------------------------------------------

    def disconnect_sensor(self, channel: int, volts: float = 0.0) -> None:
        """Unplug the sensor on ``channel``: the input floats to ``volts`` (pulled to ~0 V)."""
        with self._lock:
            self._overrides[self._check_channel(channel)] = volts

    def stick_channel(self, channel: int, level: StuckLevel = "zero") -> None:
        """Make ``channel`` read code 0 (``"zero"``) or the top code (``"full_scale"``)."""
        if level not in ("zero", "full_scale"):
            raise ValueError(f"stuck level must be 'zero' or 'full_scale', got {level!r}")
        with self._lock:
            self._stuck[self._check_channel(channel)] = level

    def reconnect_sensor(self, channel: int) -> None:
        """Undo ``disconnect_sensor``/``stick_channel`` on ``channel``."""
        with self._lock:
            self._overrides.pop(channel, None)
            self._stuck.pop(channel, None)

    def stall(self, stalled: bool = True) -> None:
        """Conversions never finish (OS stays 0): exercises the readers' deadlines."""
        with self._lock:
            self.stalled = stalled
            self._quiet_until_s = -math.inf

    def vanish(self) -> None:
        """The chip stops answering (power or SDA lost): no ACK, errno 121 on the bus."""
        with self._lock:
            self.present = False

    def reappear(self) -> None:
        """The chip answers again, with its power-on register values (it was reset)."""
        with self._lock:
            self.present = True
            self._power_on()

    @staticmethod
    def _check_channel(channel: int) -> int:
        if channel not in range(4):
            raise ValueError(f"AIN channel must be 0-3, got {channel!r}")
        return channel

    # --- I2C side (called by the bus with the bus lock held) ---------------------------------

    def i2c_write(self, data: Sequence[int], t_s: float) -> None:
        """Bytes written in one transfer, ending at ``t_s``: pointer, then register MSB, LSB."""
        with self._lock:
            if len(data) < 3:
                # An address-only probe (just an ACK) or a pointer-only write (selects the
                # register for later reads): no register changes, so nothing to settle yet
                # (the next read or write settles up to its own, later, time).
                if data:
                    self._pointer = data[0] & 0x3
                return
            self._settle(t_s)
            self._pointer = data[0] & 0x3
            value = (data[1] << 8) | data[2]
            if self._pointer == POINTER_CONFIG:
                self._write_config(value, t_s)
            elif self._pointer == POINTER_LO_THRESH:
                self._lo_thresh = value
            elif self._pointer == POINTER_HI_THRESH:
                self._hi_thresh = value
            # The conversion register is read-only: a write to it is ignored.

    def i2c_read(self, count: int, t_s: float) -> bytes:
        """``count`` bytes of the register at the pointer, as latched at ``t_s``."""
        with self._lock:
            self._settle(t_s)
            if self._pointer == POINTER_CONVERSION:
                value = self._conversion
            elif self._pointer == POINTER_CONFIG:
                value = self._config_readback(t_s)
            elif self._pointer == POINTER_LO_THRESH:
                value = self._lo_thresh
            else:
                value = self._hi_thresh
            pair = bytes(((value >> 8) & 0xFF, value & 0xFF))
            # Reading past the second byte repeats the register (the pointer does not move).
            return (pair * (count // 2 + 1))[:count]

    # --- conversion engine -------------------------------------------------------------------

    def _period_s(self, dr_code: int) -> float:
        return self._periods[dr_code & 0x7]

    def _write_config(self, value: int, t_s: float) -> None:
        new = _settings_of(value)
        single_shot = bool(value & MODE_BIT)
        was_continuous = bool(self._epochs)
        self._config = value & ~OS_BIT
        if not was_continuous:
            self._quiet_until_s = -math.inf
            if single_shot:
                if value & OS_BIT and self._pending is None:
                    conv_s = self._period_s(new.dr)
                    self._pending = (t_s + conv_s, new, t_s + conv_s / 2.0)
                return
            self._pending = None
            self._epochs = [(t_s, new)]
            self._latched = 0
            return
        # Continuous: the conversion in progress completes with the previous settings; the
        # new ones (or the power-down, when MODE=1) take effect at the next boundary.
        # OS=1 is ignored: the device is not in power-down.
        target = None if single_shot else new
        start_s, settings = self._epochs[-1]
        if start_s > t_s:
            self._epochs[-1] = (start_s, target)  # replaces a change not yet in effect
            return
        assert settings is not None  # a power-down epoch is settled away once it starts
        period_s = self._period_s(settings.dr)
        boundary_s = start_s + (math.floor((t_s - start_s) / period_s) + 1) * period_s
        self._epochs.append((boundary_s, target))
        self._quiet_until_s = min(self._quiet_until_s, boundary_s)

    def _settle(self, t_s: float) -> None:
        """Bring the conversion register up to date with time ``t_s``."""
        if self._pending is not None and t_s >= self._pending[0] and not self.stalled:
            _, settings, sample_s = self._pending
            self._conversion = self._convert(settings, sample_s)
            self._pending = None
        if self._epochs and t_s >= self._quiet_until_s:
            self._settle_continuous(t_s)

    def _settle_continuous(self, t_s: float) -> None:
        # Finish epochs that ended before the latest one that has started.
        while len(self._epochs) > 1 and self._epochs[1][0] <= t_s:
            start_s, settings = self._epochs[0]
            assert settings is not None
            next_start_s = self._epochs[1][0]
            period_s = self._period_s(settings.dr)
            done = round((next_start_s - start_s) / period_s)
            if done > self._latched:
                self._conversion = self._convert(settings, next_start_s - period_s / 2.0)
            self._epochs.pop(0)
            self._latched = 0
            if self._epochs[0][1] is None:
                self._epochs = []  # MODE=1 took effect: powered down, OS reads 1
                return
        start_s, settings = self._epochs[0]
        assert settings is not None
        period_s = self._period_s(settings.dr)
        done = math.floor((t_s - start_s) / period_s)
        if done > self._latched and not self.stalled:
            end_s = start_s + done * period_s
            self._conversion = self._convert(settings, end_s - period_s / 2.0)
            self._latched = done
        if not self.stalled:
            next_s = start_s + (self._latched + 1) * period_s
            if len(self._epochs) > 1:
                next_s = min(next_s, self._epochs[1][0])
            self._quiet_until_s = next_s

    def _config_readback(self, t_s: float) -> int:
        busy = bool(self._epochs) or (
            self._pending is not None and (t_s < self._pending[0] or self.stalled)
        )
        return self._config if busy else self._config | OS_BIT

    def _pin_volts(self, channel: int, t_s: float) -> float:
        if channel == GND:
            return 0.0
        volts = self._overrides.get(channel)
        if volts is None:
            volts = self.inputs(channel, t_s)
        return min(max(volts, -ESD_CLAMP_V), self.vdd_v + ESD_CLAMP_V)

    def _convert(self, settings: _Settings, sample_s: float) -> int:
        """One conversion result as the 16-bit register value."""
        self.conversions += 1
        positive, negative = MUX_INPUTS[settings.mux]
        full_code = 1 << (self.model.bits - 1)
        stuck = self._stuck.get(positive)
        if stuck == "zero":
            code = 0
        elif stuck == "full_scale":
            code = full_code - 1
        else:
            diff_v = self._pin_volts(positive, sample_s) - self._pin_volts(negative, sample_s)
            code_f = diff_v / PGA_FULL_SCALE_V[settings.pga] * full_code
            if self.noise_lsb:
                code_f += self._rng.gauss(0.0, self.noise_lsb)
            code = min(max(math.floor(code_f + 0.5), -full_code), full_code - 1)
        # 12-bit results are left-aligned in the 16-bit register (low four bits read 0).
        return (code << (16 - self.model.bits)) & 0xFFFF


def _bits_for_bytes(count: int) -> int:
    """Bits of ``count`` bytes on the wire: 8 data bits plus the ACK bit each."""
    return 9 * count


ADDRESS_PHASE_BITS = 1 + _bits_for_bytes(1)
"""START condition plus the address byte and its ACK."""
STOP_BITS = 1


class EmulatedI2CBus:
    """An I2C bus carrying emulated chips, with the interface of ``busio.I2C``.

    ``bus_hz`` (``None``, 100_000 or 400_000) adds the wire time of each transfer;
    ``error_rate`` makes that share of transfers fail with an ``OSError`` whose errno is
    drawn from ``error_errnos`` (a failed transfer changes nothing on the chip). The random
    generator is seeded so that a fault run can be repeated.
    """

    def __init__(
        self,
        chips: Iterable[EmulatedAds1x15] = (),
        *,
        clock: Clock = SYSTEM_CLOCK,
        bus_hz: float | None = None,
        error_rate: float = 0.0,
        error_errnos: Sequence[int] = (errno_codes.EREMOTEIO,),
        seed: int = 0,
    ) -> None:
        if bus_hz is not None and not 10_000 <= bus_hz <= 3_400_000:
            raise ValueError(
                f"bus_hz must be None or 10 kHz-3.4 MHz (100_000, 400_000), got {bus_hz!r}"
            )
        self.clock = clock
        self.bus_hz = bus_hz
        self.error_rate = error_rate
        self.error_errnos = tuple(error_errnos)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._chips: dict[int, EmulatedAds1x15] = {}
        self._plan: list[tuple[float, Callable[[], object]]] = []
        for chip in chips:
            self.attach(chip)
        self.transfers = 0
        self.failed_transfers = 0
        self.wire_time_s = 0.0
        self._deinited = False

    def attach(self, chip: EmulatedAds1x15) -> None:
        """Put ``chip`` on the bus at its address."""
        if chip.address in self._chips:
            raise ValueError(f"address 0x{chip.address:02x} is already taken on this bus")
        self._chips[chip.address] = chip

    def schedule(self, t_s: float, action: Callable[[], object]) -> None:
        """Run ``action`` (e.g. ``chip.vanish``) at the first transfer at or after ``t_s``.

        Faults planned on the bus clock are exact even when a fake clock races ahead of the
        test thread.
        """
        with self._state_lock:
            self._plan.append((t_s, action))
            self._plan.sort(key=lambda item: item[0])

    def _run_due(self, t_s: float) -> None:
        while True:
            with self._state_lock:
                if not self._plan or self._plan[0][0] > t_s:
                    return
                _, action = self._plan.pop(0)
            action()

    def chip(self, address: int = 0x48) -> EmulatedAds1x15:
        """The chip at ``address`` (for fault injection)."""
        return self._chips[address]

    # --- busio.I2C interface -----------------------------------------------------------------

    def try_lock(self) -> bool:
        """Take the bus for one device transaction; ``False`` if another holder has it."""
        return self._lock.acquire(blocking=False)

    def unlock(self) -> None:
        """Release the bus."""
        self._lock.release()

    def scan(self) -> list[int]:
        """Addresses that ACK (like ``i2cdetect``)."""
        return sorted(a for a, c in self._chips.items() if c.present)

    def deinit(self) -> None:
        """Release the bus (nothing to free; kept for ``busio.I2C`` compatibility)."""
        self._deinited = True

    def __enter__(self) -> EmulatedI2CBus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.deinit()

    def writeto(
        self, address: int, buffer: bytes | bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        """Write ``buffer[start:end]`` to the device at ``address``, then STOP."""
        data = bytes(buffer[start:end])
        bits = ADDRESS_PHASE_BITS + _bits_for_bytes(len(data)) + STOP_BITS
        chip, t_begin = self._begin(address, bits)
        chip.i2c_write(data, self._end(t_begin, bits))

    def readfrom_into(
        self, address: int, buffer: bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        """Read into ``buffer[start:end]`` from the device at ``address``."""
        stop = len(buffer) if end is None else end
        count = stop - start
        bits = ADDRESS_PHASE_BITS + _bits_for_bytes(count) + STOP_BITS
        chip, t_begin = self._begin(address, bits)
        latch_s = self._at(t_begin, ADDRESS_PHASE_BITS)
        buffer[start:stop] = chip.i2c_read(count, latch_s)
        self._end(t_begin, bits)

    def writeto_then_readfrom(
        self,
        address: int,
        buffer_out: bytes | bytearray,
        buffer_in: bytearray,
        *,
        out_start: int = 0,
        out_end: int | None = None,
        in_start: int = 0,
        in_end: int | None = None,
    ) -> None:
        """Write, repeated START, read: one combined transfer (how registers are read)."""
        data = bytes(buffer_out[out_start:out_end])
        stop = len(buffer_in) if in_end is None else in_end
        count = stop - in_start
        write_bits = ADDRESS_PHASE_BITS + _bits_for_bytes(len(data))
        bits = write_bits + ADDRESS_PHASE_BITS + _bits_for_bytes(count) + STOP_BITS
        chip, t_begin = self._begin(address, bits)
        chip.i2c_write(data, self._at(t_begin, write_bits))
        buffer_in[in_start:stop] = chip.i2c_read(
            count, self._at(t_begin, write_bits + ADDRESS_PHASE_BITS)
        )
        self._end(t_begin, bits)

    def writes_then_readfrom(
        self, address: int, writes: Sequence[bytes], buffer_in: bytearray
    ) -> None:
        """Each of ``writes`` as a message, then one read into ``buffer_in``: one transfer.

        The messages are joined by repeated STARTs and end with one STOP, as Linux's
        ``I2C_RDWR`` sends them (``firmware.i2c_combined``). The chip acts on each write at
        the end of its last byte and latches the read when its data phase begins. A fault
        (``error_rate``, a missing chip) fails the whole transfer before it reaches the chip.
        """
        bits = 0
        acts: list[tuple[bytes, int]] = []
        for data in writes:
            bits += ADDRESS_PHASE_BITS + _bits_for_bytes(len(data))
            acts.append((data, bits))
        read_at = bits + ADDRESS_PHASE_BITS
        bits = read_at + _bits_for_bytes(len(buffer_in)) + STOP_BITS
        chip, t_begin = self._begin(address, bits)
        for data, end_bits in acts:
            chip.i2c_write(data, self._at(t_begin, end_bits))
        buffer_in[:] = chip.i2c_read(len(buffer_in), self._at(t_begin, read_at))
        self._end(t_begin, bits)

    # --- wire time and faults ----------------------------------------------------------------

    def _at(self, t_begin: float, bits: int) -> float:
        return t_begin if self.bus_hz is None else t_begin + bits / self.bus_hz

    def _end(self, t_begin: float, bits: int) -> float:
        """Wait until the transfer that began at ``t_begin`` is off the wire; its end time."""
        if self.bus_hz is None:
            return t_begin
        end_s = t_begin + bits / self.bus_hz
        self.clock.sleep(end_s - self.clock.monotonic())
        return end_s

    def _begin(self, address: int, bits: int) -> tuple[EmulatedAds1x15, float]:
        """Start a transfer: count it, inject faults, find the chip that ACKs."""
        if self._deinited:
            raise OSError(errno_codes.ENODEV, "the emulated I2C bus was deinitialised")
        t_begin = self.clock.monotonic()
        if self._plan:
            self._run_due(t_begin)
            # A planned action may take time (a stall): the transfer begins after it.
            t_begin = self.clock.monotonic()
        with self._state_lock:
            self.transfers += 1
            failing = self.error_rate > 0.0 and self._rng.random() < self.error_rate
            code = self._rng.choice(self.error_errnos) if failing else 0
            if self.bus_hz is not None:
                self.wire_time_s += bits / self.bus_hz
        chip = self._chips.get(address)
        if chip is None or not chip.present:
            self._end(t_begin, ADDRESS_PHASE_BITS + STOP_BITS)
            raise OSError(errno_codes.EREMOTEIO, os.strerror(errno_codes.EREMOTEIO))
        if failing:
            with self._state_lock:
                self.failed_transfers += 1
            self._end(t_begin, ADDRESS_PHASE_BITS + STOP_BITS)
            raise OSError(code, os.strerror(code))
        return chip, t_begin
