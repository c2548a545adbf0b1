"""The second insole's ADC in wiring.json matches the firmware's default and its docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware.config import DeviceConfig
from hardware.wiring import WiringError, load_second_insole, load_wiring, parse_second_insole

WIRING_JSON = Path(__file__).resolve().parent.parent / "hardware" / "wiring.json"


def test_right_address_default_matches_the_wiring() -> None:
    second = load_second_insole()
    assert second.address == DeviceConfig().right_address == 0x49
    assert second.addr_net == "3V3"  # ADDR to VDD
    assert DeviceConfig(feet="both").adc_for("left").address == load_wiring().adc_address()


def test_second_adc_shares_the_bus_and_supply_of_the_first() -> None:
    wiring = load_wiring()
    connections = dict(load_second_insole().connections(wiring))
    for pin in ("VDD", "GND", "SDA", "SCL"):
        assert connections[pin] == wiring.net_of(f"U1.{pin}")
    assert connections["ADDR"] == "3V3"
    assert "ALRT" not in connections


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"addr_net": "GND"}, "the first ADC's address"),
        ({"addr_net": "SDA"}, "gives address 74"),
        ({"same_as": "U9"}, "not a part"),
        ({"i2c_address": "zz"}, "mistypes"),
    ],
)
def test_inconsistent_second_insole_is_rejected(change: dict[str, str], words: str) -> None:
    data = json.loads(WIRING_JSON.read_text(encoding="utf-8"))
    if change.get("addr_net") == "GND":
        change = {**change, "i2c_address": "0x48"}
    data["second_insole"].update(change)
    with pytest.raises(WiringError, match=words):
        parse_second_insole(data, load_wiring())
