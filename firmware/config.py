"""Device configuration: which chip, which channels, which pins.

These defaults are the wiring in ``hardware/wiring.json`` (a test keeps the two in step).
Environment variables let a maker override them without editing code; the ``serve``
command also takes them as options.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

ADC_MODELS = ("ADS1115", "ADS1015")
FEET_MODES = ("one", "both")
"""``one``: a single insole on the ADC at ``AdcConfig.address`` (the default, as always);
``both``: the left insole there and the right one on a second chip at ``right_address``."""
SIDES = ("left", "right")


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
    feet: str = "one"
    right_address: int = 0x49  # the second ADS1115: ADDR pin to VDD

    def __post_init__(self) -> None:
        if self.feet not in FEET_MODES:
            raise ValueError(f"feet must be one of {', '.join(FEET_MODES)}, got {self.feet!r}")
        if self.feet == "both" and self.right_address == self.adc.address:
            raise ValueError(
                f"the two insoles need two addresses; both are 0x{self.adc.address:02x} "
                "(tie the second ADS1115's ADDR pin to VDD for 0x49)"
            )

    def adc_for(self, side: str) -> AdcConfig:
        """The chip of the ``left`` or ``right`` insole (two-foot mode; same bus and wiring)."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {', '.join(SIDES)}, got {side!r}")
        if side == "left":
            return self.adc
        return replace(self.adc, address=self.right_address)
