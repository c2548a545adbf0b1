"""Choosing gpiozero's pin factory in one place, with the reasons when none works.

gpiozero resolves its pin factory lazily: from ``GPIOZERO_PIN_FACTORY`` if set, otherwise by
trying lgpio, RPi.GPIO, pigpio and its native factory in turn, emitting a
``PinFactoryFallback`` warning for each one that fails. Left alone, those warnings go to
stderr one by one and the final error only says "Unable to load any default pin factory".
:func:`resolve_pin_factory` collects them into one :class:`~firmware.errors.GpioError` whose
message says what to install, so ``serve`` and ``doctor`` report it the same way.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

from gpiozero import Device
from gpiozero.exc import GPIOZeroError, PinWarning

from firmware.errors import GpioError

PIN_FACTORY_ENV = "GPIOZERO_PIN_FACTORY"
"""gpiozero's own environment variable naming the pin factory (``lgpio``, ``mock``, ...)."""

LGPIO_FIX = (
    "on Raspberry Pi OS Bookworm install Debian's lgpio (`sudo apt install python3-lgpio`) and "
    "create the venv with `python3 -m venv --system-site-packages`, or `pip install rpi-lgpio` "
    "inside the venv"
)
"""How to get the lgpio pin factory, the default on a Pi 5 and the one we recommend."""


@dataclass(frozen=True)
class PinFactoryInfo:
    """The pin factory gpiozero will use, and how it was chosen."""

    factory: Any
    """The gpiozero ``Factory`` instance (also installed as ``gpiozero.Device.pin_factory``)."""
    name: str
    """Class name, e.g. ``LGPIOFactory`` or ``MockFactory``."""
    from_env: bool
    """True when ``GPIOZERO_PIN_FACTORY`` chose it."""
    fallbacks: tuple[str, ...]
    """Why the preferred factories were skipped (gpiozero's fallback messages)."""

    @property
    def is_mock(self) -> bool:
        """True for gpiozero's mock factory: nothing reaches a real pin."""
        return self.name == "MockFactory"


def resolve_pin_factory() -> PinFactoryInfo:
    """The pin factory gpiozero resolves on this machine (``Device.pin_factory``).

    Installs it as gpiozero's process-wide default, as gpiozero itself would on the first
    device, so later devices built without ``pin_factory`` use the same one.

    Raises:
        GpioError: no factory is usable; the message lists why each candidate failed and how
            to install lgpio.

    """
    env_name = os.environ.get(PIN_FACTORY_ENV)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PinWarning)
        try:
            Device.ensure_pin_factory()
        except (GPIOZeroError, ImportError, OSError, RuntimeError) as err:
            reasons = [str(w.message) for w in caught] + [str(err)]
            chosen = f"{PIN_FACTORY_ENV}={env_name!r}" if env_name else "auto-detection"
            raise GpioError(
                f"no usable GPIO pin factory ({chosen}): {'; '.join(reasons)}. To fix: "
                f"{LGPIO_FIX}; on a machine without GPIO set {PIN_FACTORY_ENV}=mock to "
                f"simulate pins"
            ) from err
    factory = Device.pin_factory
    return PinFactoryInfo(
        factory=factory,
        name=type(factory).__name__,
        from_env=env_name is not None,
        fallbacks=tuple(str(w.message) for w in caught),
    )


def release_default_pin_factory() -> None:
    """Close gpiozero's process-wide pin factory and forget it (idempotent).

    For short-lived users such as ``doctor``, and for tests that resolve the factory from
    the environment; the service keeps its factory for the whole run.
    """
    factory = Device.pin_factory
    if factory is not None:
        Device.pin_factory = None
        factory.close()
