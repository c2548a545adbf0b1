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

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from firmware.adc import (
    AdcConfigError,
    Ads1x15Adc,
    _bus_path,
    _linux_i2c_bus,
    resolve_backend,
    validate_adc_config,
)
from firmware.ads_emulator import ChannelVolts, EmulatedAds1x15, EmulatedI2CBus, zero_volts
from firmware.clock import SYSTEM_CLOCK, Clock
from firmware.config import SIDES, DeviceConfig
from firmware.errors import HardwareError, I2CBusMissingError
from insole.frames import VoltsFrame
from insole.resources import Closeable


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


class FeetAdc(Closeable):
    """The two insoles' chips on one bus; ``close()`` (idempotent) releases both and the bus."""

    def __init__(
        self,
        left: Ads1x15Adc,
        right: Ads1x15Adc,
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
        self.description = f"left: {left.description}; right: {right.description}"

    @property
    def adcs(self) -> Mapping[str, Ads1x15Adc]:
        """``{"left": adc, "right": adc}``."""
        return {"left": self.left, "right": self.right}

    @property
    def full_scale_v(self) -> float:
        """The largest voltage the configured gain can represent (same on both chips)."""
        return self.left.full_scale_v

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
) -> FeetAdc:
    """Open both insoles' chips (backend chosen as in ``firmware.adc.resolve_backend``).

    - ``sources``: the emulated chips' input functions per side (default 0 V);
    - ``emulator``: a ready emulated bus with chips at both addresses (faults, tests).

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
    opened: list[Ads1x15Adc] = []
    try:
        for side in SIDES:
            config = device.adc_for(side)
            prefix = "" if chosen == "hardware" else "emulated "
            opened.append(
                Ads1x15Adc(
                    bus,
                    config,
                    backend=chosen,
                    description=f"{prefix}{config.model} at 0x{config.address:02x}{where}",
                    simulated=simulated,
                    clock=clock,
                )
            )
    except BaseException:
        for adc in opened:
            adc.close()
        if close_bus is not None:
            close_bus()
        raise
    return FeetAdc(opened[0], opened[1], close_bus=close_bus)
