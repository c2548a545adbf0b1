"""Opt-in tests on a real Raspberry Pi with the insole attached.

They run only with ``INSOLE_HARDWARE_TESTS=1``; everywhere else each one skips and says
why. Those that need a person to press a sensor or the button, or to watch the LED, also
need ``INSOLE_HARDWARE_INTERACTIVE=1`` and pytest's ``-s`` so that prompts reach the
terminal::

    sudo systemctl stop insole-monitor      # the service holds the bus and the pins
    INSOLE_HARDWARE_TESTS=1 INSOLE_HARDWARE_INTERACTIVE=1 \\
        .venv/bin/python -m pytest tests/hardware -s -v

Optional: ``INSOLE_ADC_ADDRESS`` (e.g. ``0x49``) and ``INSOLE_I2C_BUS`` when the chip is
not at the default 0x48 on bus 1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from firmware.config import AdcConfig

HARDWARE_ENV = "INSOLE_HARDWARE_TESTS"
INTERACTIVE_ENV = "INSOLE_HARDWARE_INTERACTIVE"


@pytest.fixture(autouse=True)
def _require_hardware() -> None:
    if os.environ.get(HARDWARE_ENV) != "1":
        pytest.skip(
            f"hardware test: needs a Raspberry Pi with the insole attached; opt in with "
            f"{HARDWARE_ENV}=1"
        )


@pytest.fixture
def interactive(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """A prompt that reaches the person at the terminal (skips when nobody is there)."""
    if os.environ.get(INTERACTIVE_ENV) != "1":
        pytest.skip(f"needs a person at the Pi: set {INTERACTIVE_ENV}=1 and run pytest -s")
    capture: Any = request.config.pluginmanager.getplugin("capturemanager")

    def prompt(text: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n>>> {text}", flush=True)

    return prompt


@pytest.fixture
def adc_config() -> AdcConfig:
    """The ADC as wired, with the address and bus from the environment if given."""
    base = AdcConfig()
    address = int(os.environ.get("INSOLE_ADC_ADDRESS", str(base.address)), 0)
    bus = int(os.environ.get("INSOLE_I2C_BUS", str(base.i2c_bus)))
    return AdcConfig(model=base.model, i2c_bus=bus, address=address, gain=base.gain,
                     data_rate_sps=base.data_rate_sps, channels=dict(base.channels))


@pytest.fixture
def adc(adc_config: AdcConfig) -> Iterator[Any]:
    """The real ADS1x15 through the hardware backend (never the emulated chip)."""
    from firmware.adc import open_adc

    reader = open_adc(adc_config, backend="hardware")
    try:
        yield reader
    finally:
        reader.close()
