"""wiring.json is consistent, 3.3 V only, and matches the firmware and settings defaults."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from firmware.config import AdcConfig, PinConfig
from hardware.wiring import PI_HEADER, WiringError, load_wiring, parse_wiring
from insole.sensor_model import Divider
from insole.settings import Settings

WIRING_JSON = Path(__file__).resolve().parent.parent / "hardware" / "wiring.json"


@pytest.fixture
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(WIRING_JSON.read_text(encoding="utf-8"))
    return data


def test_adc_defaults_match_wiring() -> None:
    wiring = load_wiring()
    adc = AdcConfig()
    assert wiring.adc_address() == adc.address == 0x48
    assert wiring.adc_channels() == adc.channels == {"heel": 0, "little_toe": 1, "big_toe": 2}


def test_gpio_defaults_match_wiring() -> None:
    pins = PinConfig()
    expected = {
        "led_red": pins.led_red,
        "led_green": pins.led_green,
        "led_blue": pins.led_blue,
        "buzzer": pins.buzzer,
        "button": pins.button,
    }
    assert load_wiring().gpio_pins() == expected
    assert expected == {"led_red": 17, "led_green": 27, "led_blue": 22, "buzzer": 18, "button": 23}


def test_divider_resistors_match_the_default_setting_and_model() -> None:
    wiring = load_wiring()
    values = {wiring.divider_resistor(s).value_ohm for s in wiring.sensor_parts()}
    assert values == {Settings().r_fixed_ohm} == {Divider().r_fixed_ohm}


def test_everything_is_powered_from_3v3_never_5v() -> None:
    wiring = load_wiring()
    assert wiring.supply_net_of_adc() == "3V3"
    assert wiring.header_pins("3V3") == [1]
    assert PI_HEADER[1] == "3V3"
    five_volt_pins = [p for p, name in PI_HEADER.items() if name == "5V"]
    used = [int(p) for p in wiring.parts["J1"].pins]
    assert not set(five_volt_pins) & set(used)
    # Every FSR's supply side is on the 3.3 V net.
    for part in wiring.sensor_parts().values():
        assert wiring.net_of(f"{part.ref}.1") == "3V3"
    assert "3.3 V" in wiring.power_rule
    assert "never" in wiring.power_rule


def test_i2c_on_the_pi_i2c_pins() -> None:
    wiring = load_wiring()
    assert wiring.header_pins("SDA") == [3]
    assert wiring.header_pins("SCL") == [5]
    assert wiring.net_of("U1.SDA") == "SDA"
    assert wiring.net_of("U1.SCL") == "SCL"


def test_pin_on_two_nets_is_rejected(raw: dict[str, Any]) -> None:
    raw["nets"]["SDA"].append("U1.A0")
    with pytest.raises(WiringError, match=r"U1\.A0 is on two nets"):
        parse_wiring(raw)


def test_unknown_pin_is_rejected_with_the_allowed_pins(raw: dict[str, Any]) -> None:
    raw["nets"]["SDA"].append("U1.A7")
    with pytest.raises(WiringError, match="U1 has no pin 'A7'; its pins are VDD"):
        parse_wiring(raw)


def test_unconnected_pin_must_be_declared(raw: dict[str, Any]) -> None:
    raw["parts"]["U1"]["no_connect"] = ["ALRT"]
    with pytest.raises(WiringError, match=r"U1.A3 is on no net"):
        parse_wiring(raw)


def test_address_must_match_the_addr_pin(raw: dict[str, Any]) -> None:
    changed = copy.deepcopy(raw)
    changed["parts"]["U1"]["i2c_address"] = "0x49"
    with pytest.raises(WiringError, match="ADDR on net GND"):
        parse_wiring(changed).adc_address()


def test_moving_a_sensor_moves_its_channel(raw: dict[str, Any]) -> None:
    raw["nets"]["HEEL"] = ["FSR1.2", "P1.2", "R1.1", "U1.A3"]
    raw["parts"]["U1"]["no_connect"] = ["ALRT", "A0"]
    assert parse_wiring(raw).adc_channels()["heel"] == 3


def test_led_on_a_power_pin_is_rejected(raw: dict[str, Any]) -> None:
    # Pin 17 is the second 3.3 V pin, not a GPIO.
    raw["nets"]["LED_RED_DRIVE"] = ["J1.17", "R4.1"]
    raw["parts"]["J1"]["pins"] = [p for p in raw["parts"]["J1"]["pins"] if p != "11"] + ["17"]
    with pytest.raises(WiringError, match="header pin 17 is 3V3, not a GPIO"):
        parse_wiring(raw).gpio_pins()
