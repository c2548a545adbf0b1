"""Device configuration: which chip, which channels, which pins.

These defaults are the wiring in ``hardware/wiring.json`` (a test keeps the two in step).
Environment variables let a maker override them without editing code; the ``serve``
command also takes them as options.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADC_MODELS = ("ADS1115", "ADS1015")


@dataclass(frozen=True)
class AdcConfig:
    """The ADS1x15 on the I2C bus and which input each sensor is wired to."""

    model: str = "ADS1115"
    i2c_bus: int = 1
    address: int = 0x48  # ADDR pin to GND
    gain: float = 1  # ±4.096 V full scale: covers the 3.3 V divider output without clipping
    data_rate_sps: int = 860
    channels: dict[str, int] = field(
        default_factory=lambda: {"heel": 0, "little_toe": 1, "big_toe": 2}
    )


@dataclass(frozen=True)
class PinConfig:
    """BCM GPIO numbers of the feedback devices."""

    led_red: int = 17
    led_green: int = 27
    led_blue: int = 22
    buzzer: int = 18  # hardware-PWM capable, so TonalBuzzer tones are clean
    button: int = 23  # to GND, internal pull-up


@dataclass(frozen=True)
class DeviceConfig:
    """Everything the firmware needs to know about the attached hardware."""

    adc: AdcConfig = field(default_factory=AdcConfig)
    pins: PinConfig = field(default_factory=PinConfig)
