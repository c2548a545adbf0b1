"""Errors raised at the hardware boundary.

Low-level errors (``OSError`` from the I2C bus, ``ValueError`` from the Adafruit driver)
are converted here with ``raise ... from err`` so callers see one family with messages
that say what to check.
"""

from insole.errors import InsoleError


class HardwareError(InsoleError):
    """Base class of acquisition and GPIO errors."""


class I2CBusMissingError(HardwareError, FileNotFoundError):
    """There is no I2C bus on this machine (not a Pi, or I2C not enabled)."""


class AdcNotFoundError(HardwareError, LookupError):
    """The I2C bus exists but no ADC answers at the configured address."""

    def __init__(self, address: int, bus: int = 1) -> None:
        super().__init__(
            f"no ADS1x15 answers at I2C address 0x{address:02x} on bus {bus}; check the wiring "
            f"(VDD to 3.3 V, GND, SDA to GPIO2/pin 3, SCL to GPIO3/pin 5, ADDR to GND for 0x48) "
            f"and run `i2cdetect -y {bus}`"
        )
        self.address = address
        self.bus = bus


class AdcReadError(HardwareError, OSError):
    """A read failed even after retries (a loose wire, a bus fault) or timed out."""


class GpioError(HardwareError, RuntimeError):
    """The GPIO pin factory is not usable."""
