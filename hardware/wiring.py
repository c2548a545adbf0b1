"""The wiring source of truth (``wiring.json``): loading, checking and what follows from it.

``wiring.json`` lists every part (reference, BOM item, pins, and for the parts the firmware
drives, the role of a pin) and every net (the part pins it joins, ``REF.PIN``). J1 is the
Raspberry Pi's 40-pin header with physical pin numbers. Everything else — the schematic,
the pin tables, the firmware's default channels and GPIO numbers — is derived from or
checked against it, so a change of wiring is made in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from insole.errors import InsoleError
from insole.frames import SENSORS

HEADER_REF = "J1"
ADC_REF = "U1"

PI_HEADER: dict[int, str] = {
    # Physical pin -> function on every 40-pin Raspberry Pi (B+ and later, Zero, 4, 5).
    1: "3V3",
    2: "5V",
    3: "GPIO2 (SDA1)",
    4: "5V",
    5: "GPIO3 (SCL1)",
    6: "GND",
    7: "GPIO4",
    8: "GPIO14 (TXD)",
    9: "GND",
    10: "GPIO15 (RXD)",
    11: "GPIO17",
    12: "GPIO18 (PWM0)",
    13: "GPIO27",
    14: "GND",
    15: "GPIO22",
    16: "GPIO23",
    17: "3V3",
    18: "GPIO24",
    19: "GPIO10 (MOSI)",
    20: "GND",
    21: "GPIO9 (MISO)",
    22: "GPIO25",
    23: "GPIO11 (SCLK)",
    24: "GPIO8 (CE0)",
    25: "GND",
    26: "GPIO7 (CE1)",
    27: "GPIO0 (ID_SD)",
    28: "GPIO1 (ID_SC)",
    29: "GPIO5",
    30: "GND",
    31: "GPIO6",
    32: "GPIO12 (PWM0)",
    33: "GPIO13 (PWM1)",
    34: "GND",
    35: "GPIO19",
    36: "GPIO16",
    37: "GPIO26",
    38: "GPIO20",
    39: "GND",
    40: "GPIO21",
}
"""Raspberry Pi 40-pin header: physical pin number to its fixed function."""

ADC_INPUTS = ("A0", "A1", "A2", "A3")
GPIO_ROLES = ("led_red", "led_green", "led_blue", "buzzer", "button")
"""Roles the firmware drives; the names are ``firmware.config.PinConfig`` field names."""


class WiringError(InsoleError, ValueError):
    """``wiring.json`` is inconsistent (unknown part or pin, a pin on two nets, ...)."""


@dataclass(frozen=True)
class Part:
    """One part on the wiring: its reference, BOM item, pins and extra facts."""

    ref: str
    bom: str
    label: str
    pins: tuple[str, ...]
    roles: Mapping[str, str]
    value_ohm: float | None
    sensor: str | None
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class Wiring:
    """Parts and nets of the whole device, checked for consistency on construction."""

    title: str
    power_rule: str
    parts: Mapping[str, Part]
    nets: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for net, nodes in self.nets.items():
            if len(nodes) < 2:
                raise WiringError(f"net {net} joins fewer than two pins: {list(nodes)}")
            for node in nodes:
                ref, pin = split_node(node)
                part = self.parts.get(ref)
                if part is None:
                    raise WiringError(f"net {net}: unknown part {ref!r} in {node!r}")
                if pin not in part.pins:
                    raise WiringError(
                        f"net {net}: {ref} has no pin {pin!r}; its pins are {', '.join(part.pins)}"
                    )
                if node in seen:
                    raise WiringError(f"{node} is on two nets: {seen[node]} and {net}")
                seen[node] = net
        for part in self.parts.values():
            unused = set(part.extra.get("no_connect", ()))
            for pin in part.pins:
                node = f"{part.ref}.{pin}"
                if node not in seen and pin not in unused:
                    raise WiringError(f"{node} is on no net (list it under no_connect if intended)")
        header = self.parts.get(HEADER_REF)
        if header is None:
            raise WiringError(f"no {HEADER_REF} (Raspberry Pi header) part")
        for pin in header.pins:
            if not pin.isdigit() or int(pin) not in PI_HEADER:
                raise WiringError(f"{HEADER_REF} pin {pin!r} is not a header pin 1..40")

    # -- queries ------------------------------------------------------------------------
    def net_of(self, node: str) -> str | None:
        """Name of the net ``node`` (``REF.PIN``) is on, or None when unconnected."""
        for net, nodes in self.nets.items():
            if node in nodes:
                return net
        return None

    def header_pins(self, net: str) -> list[int]:
        """Physical Pi header pins on ``net`` (sorted)."""
        return sorted(
            int(split_node(n)[1]) for n in self.nets[net] if split_node(n)[0] == HEADER_REF
        )

    def header_pin_for(self, node: str) -> int:
        """The Pi header pin that drives ``node``, following series resistors.

        A GPIO output reaches an LED through its resistor, so a two-pin resistor on the
        way is stepped over; anything else in between is a wiring error.
        """
        visited: set[str] = set()
        current = node
        while True:
            net = self.net_of(current)
            if net is None:
                raise WiringError(f"{current} is not connected")
            if net in visited:
                raise WiringError(f"{node}: loop while looking for the header pin")
            visited.add(net)
            pins = self.header_pins(net)
            if len(pins) == 1:
                return pins[0]
            if pins:
                raise WiringError(f"{node} reaches several header pins: {pins}")
            resistors = [
                n
                for n in self.nets[net]
                if n != current and self.parts[split_node(n)[0]].value_ohm is not None
            ]
            if len(resistors) != 1:
                raise WiringError(f"{node}: no single path to a Pi header pin via net {net}")
            ref, pin = split_node(resistors[0])
            other = [p for p in self.parts[ref].pins if p != pin]
            current = f"{ref}.{other[0]}"

    def gpio_pins(self) -> dict[str, int]:
        """BCM GPIO number of each firmware role (``led_red`` ... ``button``)."""
        found: dict[str, int] = {}
        for part in self.parts.values():
            for pin, role in part.roles.items():
                header_pin = self.header_pin_for(f"{part.ref}.{pin}")
                found[role] = bcm_number(header_pin)
        missing = [role for role in GPIO_ROLES if role not in found]
        if missing:
            raise WiringError(f"no part has the role(s) {', '.join(missing)}")
        return {role: found[role] for role in GPIO_ROLES}

    def sensor_parts(self) -> dict[str, Part]:
        """The FSR part of each sensor, by sensor name."""
        parts = {p.sensor: p for p in self.parts.values() if p.sensor is not None}
        if set(parts) != set(SENSORS):
            raise WiringError(f"need one FSR for each of {', '.join(SENSORS)}, got {sorted(parts)}")
        return {name: parts[name] for name in SENSORS}

    def signal_net(self, sensor: str) -> str:
        """The net joining ``sensor``'s FSR to an ADC input (its divider output)."""
        part = self.sensor_parts()[sensor]
        nets = [
            net
            for pin in part.pins
            if (net := self.net_of(f"{part.ref}.{pin}")) is not None
            and any(self._adc_input(n) is not None for n in self.nets[net])
        ]
        if len(nets) != 1:
            raise WiringError(f"sensor {sensor} must reach exactly one ADC input, got nets {nets}")
        return nets[0]

    def _adc_input(self, node: str) -> int | None:
        ref, pin = split_node(node)
        return ADC_INPUTS.index(pin) if ref == ADC_REF and pin in ADC_INPUTS else None

    def adc_channels(self) -> dict[str, int]:
        """ADC input number (0..3) of each sensor, found through the sensor's net."""
        channels: dict[str, int] = {}
        for name in self.sensor_parts():
            inputs = [
                channel
                for n in self.nets[self.signal_net(name)]
                if (channel := self._adc_input(n)) is not None
            ]
            if len(inputs) != 1:
                raise WiringError(f"sensor {name} must reach exactly one ADC input, got {inputs}")
            channels[name] = inputs[0]
        return channels

    def divider_resistor(self, sensor: str) -> Part:
        """The fixed divider resistor on ``sensor``'s ADC input net."""
        net = self.signal_net(sensor)
        resistors = [
            self.parts[split_node(n)[0]]
            for n in self.nets[net]
            if self.parts[split_node(n)[0]].value_ohm is not None
        ]
        if len(resistors) != 1:
            raise WiringError(f"sensor {sensor}: expected one divider resistor on net {net}")
        return resistors[0]

    def adc_address(self) -> int:
        """The ADC's I2C address (from its ``i2c_address``; ADDR must be on GND for 0x48)."""
        address = int(str(self.parts[ADC_REF].extra["i2c_address"]), 16)
        addr_net = self.net_of(f"{ADC_REF}.ADDR")
        expected = {"GND": 0x48, "3V3": 0x49, "SDA": 0x4A, "SCL": 0x4B}.get(addr_net or "")
        if expected != address:
            raise WiringError(
                f"ADDR on net {addr_net} gives address {expected}, "
                f"but i2c_address is 0x{address:02x}"
            )
        return address

    def supply_net_of_adc(self) -> str:
        """The net feeding the ADC's VDD (must be 3V3; see ``power_rule``)."""
        net = self.net_of(f"{ADC_REF}.VDD")
        if net is None:
            raise WiringError("ADC VDD is not connected")
        return net


def split_node(node: str) -> tuple[str, str]:
    """``"U1.A0"`` -> ``("U1", "A0")``."""
    ref, sep, pin = node.partition(".")
    if not sep or not ref or not pin:
        raise WiringError(f"a net node must be REF.PIN, got {node!r}")
    return ref, pin


def bcm_number(header_pin: int) -> int:
    """BCM GPIO number of a physical header pin (error for power and ground pins)."""
    function = PI_HEADER.get(header_pin, "")
    if not function.startswith("GPIO"):
        raise WiringError(f"header pin {header_pin} is {function or 'not a pin'}, not a GPIO")
    return int(function[4:].split()[0])


def parse_wiring(data: Mapping[str, Any]) -> Wiring:
    """A checked ``Wiring`` from the parsed JSON document."""
    try:
        parts = {}
        for ref, raw in data["parts"].items():
            known = {"bom", "label", "pins", "roles", "value_ohm", "sensor"}
            parts[ref] = Part(
                ref=ref,
                bom=str(raw["bom"]),
                label=str(raw.get("label", ref)),
                pins=tuple(str(p) for p in raw["pins"]),
                roles=dict(raw.get("roles", {})),
                value_ohm=None if raw.get("value_ohm") is None else float(raw["value_ohm"]),
                sensor=raw.get("sensor"),
                extra={k: v for k, v in raw.items() if k not in known},
            )
        nets = {name: tuple(nodes) for name, nodes in data["nets"].items()}
        return Wiring(str(data["title"]), str(data["power_rule"]), parts, nets)
    except (KeyError, TypeError, AttributeError) as err:
        raise WiringError(f"wiring.json is missing or mistypes a field: {err!r}") from err


def load_wiring() -> Wiring:
    """The project's wiring, read from the packaged ``hardware/wiring.json``."""
    text = resources.files("hardware").joinpath("wiring.json").read_text(encoding="utf-8")
    return parse_wiring(json.loads(text))


ADDRESS_OF_ADDR_NET = {"GND": 0x48, "3V3": 0x49, "SDA": 0x4A, "SCL": 0x4B}
"""The ADS1x15's I2C address for each net its ADDR pin can be tied to."""


@dataclass(frozen=True)
class SecondInsole:
    """The optional second ADC (``wiring.json`` ``second_insole``): the right foot's chip.

    It is wired like ``same_as`` (U1) pin for pin, except ADDR, tied to ``addr_net``.
    """

    ref: str
    same_as: str
    addr_net: str
    address: int
    use: str

    def connections(self, wiring: Wiring) -> list[tuple[str, str]]:
        """``(pin, net)`` of every connected pin: U1's nets, its own ADDR net."""
        base = wiring.parts[self.same_as]
        rows = []
        for pin in base.pins:
            net = self.addr_net if pin == "ADDR" else wiring.net_of(f"{base.ref}.{pin}")
            if net is not None:
                rows.append((pin, net))
        return rows


def parse_second_insole(data: Mapping[str, Any], wiring: Wiring) -> SecondInsole:
    """The checked ``second_insole`` block: its ADDR net must give its stated address."""
    try:
        raw = data["second_insole"]
        second = SecondInsole(
            ref=str(raw["ref"]),
            same_as=str(raw["same_as"]),
            addr_net=str(raw["addr_net"]),
            address=int(str(raw["i2c_address"]), 16),
            use=str(raw["use"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise WiringError(
            f"wiring.json second_insole is missing or mistypes a field: {err!r}"
        ) from err
    if second.same_as not in wiring.parts:
        raise WiringError(f"second_insole.same_as {second.same_as!r} is not a part")
    if second.addr_net not in wiring.nets:
        raise WiringError(f"second_insole.addr_net {second.addr_net!r} is not a net")
    expected = ADDRESS_OF_ADDR_NET.get(second.addr_net)
    if expected != second.address:
        raise WiringError(
            f"second_insole: ADDR on {second.addr_net} gives address {expected}, "
            f"but i2c_address is 0x{second.address:02x}"
        )
    if second.address == wiring.adc_address():
        raise WiringError(f"second_insole: 0x{second.address:02x} is the first ADC's address")
    return second


def load_second_insole() -> SecondInsole:
    """The second insole's ADC from the packaged ``hardware/wiring.json``."""
    text = resources.files("hardware").joinpath("wiring.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return parse_second_insole(data, parse_wiring(data))
