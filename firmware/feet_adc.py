"""Two insoles at once: the left one's ADS1115 at 0x48, the right one's at 0x49, one bus.

``open_feet_adc`` opens both chips through the same backend choice as ``open_adc`` (the
real Adafruit driver on the Pi's bus, or on one emulated bus carrying two emulated chips,
each fed by its own foot model). ``FeetAdc`` only holds the pair: the sampler reads the two
chips one after the other in its one thread (six conversions per scan) and stamps both with
one time (``FeetFrame``).

Both chips share the bus, the model, the gain, the data rate and the channel wiring
(``DeviceConfig.adc_for(side)``); only the address differs (ADDR pin to GND for 0x48, to
VDD for 0x49). Scans are single-shot: a continuous run buffers several scans of one chip,
so the two feet's times would no longer match.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from firmware.adc import (
    AdcConfigError,
    Ads1x15Adc,
    ScanOrError,
    _bus_path,
    _linux_i2c_bus,
    read_together,
    resolve_backend,
    validate_adc_config,
)
from firmware.ads_emulator import ChannelVolts, EmulatedAds1x15, EmulatedI2CBus, zero_volts
from firmware.clock import SYSTEM_CLOCK, Clock
from firmware.config import SIDES, AdcConfig, DeviceConfig
from firmware.errors import AdcNotFoundError, AdcReadError, HardwareError, I2CBusMissingError
from insole.frames import VoltsFrame
from insole.resources import Closeable

log = logging.getLogger(__name__)


class FeetFrame(NamedTuple):
    """One scan of both insoles: one time stamp and each foot's volts.

    A foot is ``None`` when its chip's read failed in this scan (reported as its gap).
    """

    t_s: float
    left: VoltsFrame | None
    right: VoltsFrame | None

    def side(self, side: str) -> VoltsFrame | None:
        """The ``left`` or ``right`` frame."""
        return self.left if side == "left" else self.right


class FootAdcError(HardwareError):
    """A read or reconnect error of one insole's chip (``foot``: ``left`` or ``right``)."""

    def __init__(self, foot: str, message: str) -> None:
        super().__init__(message)
        self.foot = foot


class ChipReader(Protocol):
    """What the sampler needs of one insole's chip (``Ads1x15Adc`` or ``PendingAdc``)."""

    config: AdcConfig

    def read_scan(self) -> tuple[float, tuple[float, float, float]]:
        """One scan: ``(t_s, volts)``."""
        ...

    def reconnect(self) -> None:
        """Probe and configure the chip again."""
        ...

    def close(self) -> None:
        """Release it."""
        ...


class PendingAdc(Closeable):
    """The right insole's chip that did not answer at start (not plugged in yet).

    Every read fails with ``AdcNotFoundError`` (so the sampler reports that foot's gap and
    the monitor its "no readings" banner) until ``reconnect()`` (the sampler's, after a few
    failed scans) finds the chip; from then on it reads like any ``Ads1x15Adc``. The left
    insole goes on meanwhile.
    """

    def __init__(self, bus: Any, config: AdcConfig, *, open_chip: Callable[[], Ads1x15Adc]):
        self.bus = bus
        self.config = config
        self._open_chip = open_chip
        self.inner: Ads1x15Adc | None = None
        self._closed = False

    def read_scan(self) -> tuple[float, tuple[float, float, float]]:
        """The chip's scan, or ``AdcNotFoundError`` while it is missing."""
        if self.inner is None:
            raise AdcNotFoundError(self.config.address, self.config.i2c_bus)
        return self.inner.read_scan()

    def reconnect(self) -> None:
        """Look for the chip again (``AdcNotFoundError`` while it is still missing)."""
        if self._closed:
            raise AdcReadError("the ADC is closed")
        if self.inner is None:
            self.inner = self._open_chip()
        else:
            self.inner.reconnect()

    def close(self) -> None:
        """Release the chip if it was found (idempotent)."""
        self._closed = True
        if self.inner is not None:
            self.inner.close()


class FeetAdc(Closeable):
    """The two insoles' chips on one bus; ``close()`` (idempotent) releases both and the bus."""

    def __init__(
        self,
        left: Ads1x15Adc,
        right: Ads1x15Adc | PendingAdc,
        *,
        close_bus: Callable[[], None] | None = None,
    ) -> None:
        if left.config.data_rate_sps != right.config.data_rate_sps:
            raise AdcConfigError("both insoles' chips must run at the same data rate")
        self.left = left
        self.right = right
        self._close_bus = close_bus
        self._lock = threading.Lock()
        self._closed = False
        self.config = left.config
        self.clock = left.clock
        self.simulated = left.simulated
        self.backend = left.backend
        self.strategy = "single_shot"
        right_text = (
            right.description
            if isinstance(right, Ads1x15Adc)
            else f"0x{right.config.address:02x} not answering yet"
        )
        self.description = f"left: {left.description}; right: {right_text}"

    @property
    def adcs(self) -> Mapping[str, ChipReader]:
        """``{"left": adc, "right": adc}``."""
        return {"left": self.left, "right": self.right}

    @property
    def full_scale_v(self) -> float:
        """The largest voltage the configured gain can represent (same on both chips)."""
        return self.left.full_scale_v

    def read_feet(self, sides: Sequence[str] = SIDES) -> dict[str, ScanOrError]:
        """One scan of the ``sides`` chips with their conversions running at the same time.

        Each side gets its ``(t_s, volts)`` or its error (``read_together``); a chip still
        being waited for (``PendingAdc``) gets ``AdcNotFoundError``.
        """
        results: dict[str, ScanOrError] = {}
        together: dict[str, Ads1x15Adc] = {}
        for side in sides:
            chip = self.adcs[side]
            real = chip.inner if isinstance(chip, PendingAdc) else chip
            if isinstance(real, Ads1x15Adc):
                together[side] = real
            else:
                results[side] = AdcNotFoundError(chip.config.address, chip.config.i2c_bus)
        scans = read_together(list(together.values()))
        results.update(zip(together, scans, strict=True))
        return results

    def close(self) -> None:
        """Release both chips, then the bus (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.left.close()
        self.right.close()
        if self._close_bus is not None:
            self._close_bus()

    def __repr__(self) -> str:
        return f"<FeetAdc {self.description}>"


def emulated_feet_bus(
    device: DeviceConfig,
    sources: Mapping[str, ChannelVolts],
    *,
    clock: Clock = SYSTEM_CLOCK,
    bus_hz: float | None = None,
    **bus_options: Any,
) -> EmulatedI2CBus:
    """One emulated bus with the two insoles' chips, each fed by its own input function."""
    chips = [
        EmulatedAds1x15(
            device.adc.model, device.adc_for(side).address, sources.get(side, zero_volts)
        )
        for side in SIDES
    ]
    return EmulatedI2CBus(chips, clock=clock, bus_hz=bus_hz, **bus_options)


def open_feet_adc(
    device: DeviceConfig,
    backend: str = "auto",
    sources: Mapping[str, ChannelVolts] | None = None,
    *,
    emulator: EmulatedI2CBus | None = None,
    clock: Clock | None = None,
    bus_hz: float | None = None,
    dev_dir: Path = Path("/dev"),
    wait_for_right: bool = False,
) -> FeetAdc:
    """Open both insoles' chips (backend chosen as in ``firmware.adc.resolve_backend``).

    - ``sources``: the emulated chips' input functions per side (default 0 V);
    - ``emulator``: a ready emulated bus with chips at both addresses (faults, tests);
    - ``wait_for_right``: a right chip that does not answer is a ``PendingAdc`` (that
      foot shows no readings until the chip answers) instead of an error.

    A chip that does not answer raises ``AdcNotFoundError`` naming its address; the other
    chip is then closed again, never left open.
    """
    for side in SIDES:
        validate_adc_config(device.adc_for(side))
    chosen = resolve_backend(backend, device.adc, dev_dir)
    close_bus: Callable[[], None] | None
    if chosen == "hardware":
        path = _bus_path(dev_dir, device.adc.i2c_bus)
        if not path.exists():
            raise I2CBusMissingError(
                f"no I2C bus {path}: enable I2C (sudo raspi-config nonint do_i2c 0) and reboot"
            )
        bus: Any = _linux_i2c_bus(device.adc.i2c_bus, path)
        close_bus, clock = bus.deinit, clock or SYSTEM_CLOCK
        where, simulated = f" on {path}", False
    else:
        if emulator is None:
            given = dict(sources or {})
            emulator = emulated_feet_bus(
                device, given, clock=clock or SYSTEM_CLOCK, bus_hz=bus_hz
            )
            close_bus = emulator.deinit
            kind = "foot model" if given else "inputs at 0 V"
        else:
            close_bus, kind = None, "foot model"
        bus, clock = emulator, clock or emulator.clock
        where, simulated = f" ({kind})", True
    prefix = "" if chosen == "hardware" else "emulated "

    def chip(side: str) -> Ads1x15Adc:
        config = device.adc_for(side)
        return Ads1x15Adc(
            bus,
            config,
            backend=chosen,
            description=f"{prefix}{config.model} at 0x{config.address:02x}{where}",
            simulated=simulated,
            clock=clock,
        )

    left: Ads1x15Adc | None = None
    try:
        left = chip("left")
        right: Ads1x15Adc | PendingAdc
        try:
            right = chip("right")
        except AdcNotFoundError:
            if not wait_for_right:
                raise
            log.warning(
                "the right insole's ADC does not answer at 0x%02x: the left insole runs, "
                "the right one is picked up when it answers",
                device.right_address,
            )
            right = PendingAdc(bus, device.adc_for("right"), open_chip=lambda: chip("right"))
    except BaseException:
        if left is not None:
            left.close()
        if close_bus is not None:
            close_bus()
        raise
    return FeetAdc(left, right, close_bus=close_bus)
