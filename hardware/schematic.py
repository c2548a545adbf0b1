"""Schematic drawing and pin tables generated from ``wiring.json``.

The schematic uses net labels: each part is a box, each connected pin ends in the name of
its net, and pins with the same label are joined. Below the boxes, each sensor's divider is
drawn as a circuit (3.3 V - FSR - ADC input - resistor - GND) with the values from the
wiring file. The pin tables list the same connections for the README and the guide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hardware.divider import format_ohm
from hardware.drawing import Drawing, Style
from hardware.wiring import ADC_REF, HEADER_REF, PI_HEADER, Part, Wiring, split_node

PIN_PITCH_MM = 6.0
BOX_W_MM = 44.0
STUB_MM = 6.0


@dataclass(frozen=True)
class _Place:
    x: float
    y: float
    left: tuple[str, ...]
    right: tuple[str, ...]


# Where each part's box goes and which pins face left or right (presentation only).
LAYOUT: dict[str, _Place] = {
    "J1": _Place(14, 40, (), ("1", "3", "5", "6", "14", "11", "13", "15", "12", "16")),
    "U1": _Place(118, 40, ("VDD", "GND", "SDA", "SCL", "ADDR", "ALRT"), ("A0", "A1", "A2", "A3")),
    "P1": _Place(222, 40, ("1", "2", "3", "4"), ()),
    "D1": _Place(126, 128, ("R", "G", "B"), ("K",)),
    "BZ1": _Place(126, 172, ("+",), ("-",)),
    "SW1": _Place(126, 190, ("1",), ("2",)),
    "R4": _Place(40, 128, ("1",), ("2",)),
    "R5": _Place(40, 142, ("1",), ("2",)),
    "R6": _Place(40, 156, ("1",), ("2",)),
    "R7": _Place(40, 172, ("1",), ("2",)),
}
TWO_PIN_BOX_W_MM = 24.0
DIVIDER_ORIGIN = (214.0, 128.0)
DIVIDER_STEP_MM = 26.0


def net_colour(net: str) -> str:
    """Colour code of a net: supply red, ground black, I2C blue, sensor green, GPIO purple."""
    if net == "3V3":
        return "#d62728"
    if net == "GND":
        return "#000000"
    if net in ("SDA", "SCL"):
        return "#1f77b4"
    if net in ("HEEL", "LITTLE_TOE", "BIG_TOE"):
        return "#2ca02c"
    return "#9467bd"


def _pin_name(part: Part, pin: str) -> str:
    if part.ref == HEADER_REF:
        return f"{pin} {PI_HEADER[int(pin)]}"
    return pin


def _auto_layout(wiring: Wiring) -> dict[str, _Place]:
    places = dict(LAYOUT)
    x, y = 14.0, 190.0
    for ref, part in wiring.parts.items():
        if ref in places or part.sensor is not None or _is_divider(wiring, ref):
            continue
        half = (len(part.pins) + 1) // 2
        places[ref] = _Place(x, y, part.pins[:half], part.pins[half:])
        x += 70.0
    return places


def _is_divider(wiring: Wiring, ref: str) -> bool:
    return any(wiring.divider_resistor(s).ref == ref for s in wiring.sensor_parts())


def schematic(wiring: Wiring) -> Drawing:
    """The whole device as a net-label schematic with the divider circuits drawn out."""
    places = _auto_layout(wiring)
    height = max(212.0, max(p.y for p in places.values()) + 30.0)
    d = Drawing(297.0, height, wiring.title)
    d.text(14, 12, "insole-monitor schematic (generated from hardware/wiring.json)", 5.0, bold=True)
    d.rect(14, 17, 269, 11, Style(stroke="#d62728", stroke_width_mm=0.6, fill="#fde8e8"))
    d.text(17, 24.2, "POWER: ADS1115 and all dividers from 3.3 V (Pi pin 1). NEVER 5 V: "
           "the ADC inputs must not exceed its supply.", 3.4,
           bold=True, fill="#b00000")  # fmt: skip
    for ref, place in places.items():
        if ref in wiring.parts:
            _draw_part(d, wiring, wiring.parts[ref], place)
    _draw_dividers(d, wiring)
    d.text(14, height - 6, "Pins with the same label are connected. Colours: red 3.3 V, black "
           "GND, blue I2C, green sensor signals, purple GPIO.", 3.0, fill="#444444")  # fmt: skip
    return d


def _draw_part(d: Drawing, wiring: Wiring, part: Part, place: _Place) -> None:
    rows = max(len(place.left), len(place.right), 1)
    two_pin = len(part.pins) == 2
    box_w = TWO_PIN_BOX_W_MM if two_pin else BOX_W_MM
    h = rows * PIN_PITCH_MM + (2.0 if two_pin else 8.0)
    box = Style(stroke="#000000", stroke_width_mm=0.4, fill="#f7f7f7")
    d.rect(place.x, place.y, box_w, h, box)
    title = f"{part.ref} {part.label}"
    if part.value_ohm is not None:
        title += f" {format_ohm(part.value_ohm)}"
    d.text(place.x, place.y - 2.0, title, 3.0, bold=True)
    if part.ref == ADC_REF:
        d.text(place.x + 1.5, place.y + h - 1.5, f"I2C {part.extra['i2c_address']}", 2.6,
               fill="#555555")  # fmt: skip
    for side, pins in (("left", place.left), ("right", place.right)):
        for i, pin in enumerate(pins):
            y = place.y + (4.0 if two_pin else 7.0) + i * PIN_PITCH_MM
            net = wiring.net_of(f"{part.ref}.{pin}")
            x_edge = place.x if side == "left" else place.x + box_w
            x_end = x_edge - STUB_MM if side == "left" else x_edge + STUB_MM
            inner_anchor, outer_anchor = ("start", "end") if side == "left" else ("end", "start")
            inner_x = x_edge + 1.5 if side == "left" else x_edge - 1.5
            d.text(inner_x, y + 1.0, _pin_name(part, pin), 2.6, anchor=inner_anchor)
            colour = net_colour(net) if net else "#aaaaaa"
            d.line(x_edge, y, x_end, y, Style(stroke=colour, stroke_width_mm=0.4))
            label = net if net else "n/c"
            outer_x = x_end - 1.0 if side == "left" else x_end + 1.0
            d.text(outer_x, y + 1.0, label, 2.8, anchor=outer_anchor, bold=bool(net), fill=colour)


def _draw_dividers(d: Drawing, wiring: Wiring) -> None:
    x0, y0 = DIVIDER_ORIGIN
    d.text(x0 - 6, y0 - 6, "Dividers (one per sensor)", 3.0, bold=True)
    channels = wiring.adc_channels()
    line = Style(stroke="#000000", stroke_width_mm=0.35)
    for i, (sensor, part) in enumerate(wiring.sensor_parts().items()):
        x = x0 + i * DIVIDER_STEP_MM
        resistor = wiring.divider_resistor(sensor)
        d.text(x, y0, "3V3", 2.8, anchor="middle", bold=True, fill=net_colour("3V3"))
        d.line(x, y0 + 1, x, y0 + 6, Style(stroke=net_colour("3V3"), stroke_width_mm=0.4))
        # FSR: a box with an arrow through it (variable resistor symbol).
        d.rect(x - 2.5, y0 + 6, 5, 12, Style(stroke="#000000", stroke_width_mm=0.4, fill="#ffffff"))
        d.line(x - 5, y0 + 17, x + 5, y0 + 7, Style(stroke="#000000", stroke_width_mm=0.3))
        d.text(x + 4, y0 + 12, part.ref, 2.6)
        d.line(x, y0 + 18, x, y0 + 30, line)
        d.circle(x, y0 + 24, 0.8, Style(stroke=None, fill="#000000"))
        d.line(x, y0 + 24, x + 8, y0 + 24, Style(stroke=net_colour("HEEL"), stroke_width_mm=0.4))
        d.text(x + 1, y0 + 22.5, f"A{channels[sensor]}", 2.8, bold=True, fill=net_colour("HEEL"))
        d.rect(
            x - 2.5, y0 + 30, 5, 12, Style(stroke="#000000", stroke_width_mm=0.4, fill="#ffffff")
        )
        d.text(x + 3.5, y0 + 37, resistor.ref, 2.6)
        d.text(x + 3.5, y0 + 40.5, format_ohm(resistor.value_ohm or 0.0), 2.4)
        d.line(x, y0 + 42, x, y0 + 47, line)
        for j, half_w in enumerate((3.0, 2.0, 1.0)):
            d.line(x - half_w, y0 + 47 + j, x + half_w, y0 + 47 + j, line)
        d.text(x, y0 + 54, sensor.replace("_", " "), 2.8, anchor="middle", bold=True)


def _cell_list(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "-"


def _node_text(wiring: Wiring, node: str) -> str:
    ref, pin = split_node(node)
    part = wiring.parts[ref]
    if ref == HEADER_REF:
        return f"Pi pin {pin} ({PI_HEADER[int(pin)]})"
    return f"{ref}.{pin} ({part.label})"


def pin_tables(wiring: Wiring) -> str:
    """Markdown: the Pi header pins used, the ADC channels, and every net."""
    out = [
        f"**{wiring.power_rule}**",
        "",
        "### Raspberry Pi header",
        "",
        "| Pi pin | Function | Net | Goes to |",
        "|---|---|---|---|",
    ]
    header = wiring.parts[HEADER_REF]
    for pin in sorted(header.pins, key=int):
        net = wiring.net_of(f"{HEADER_REF}.{pin}") or "-"
        others = [
            _node_text(wiring, n)
            for n in wiring.nets.get(net, ())
            if split_node(n)[0] != HEADER_REF
        ]
        out.append(f"| {pin} | {PI_HEADER[int(pin)]} | {net} | {_cell_list(others)} |")
    out += [
        "",
        "### Sensors and ADC channels",
        "",
        "| Sensor | FSR | ADC input | Divider resistor (to GND) | Insole plug pin |",
        "|---|---|---|---|---|",
    ]
    channels = wiring.adc_channels()
    for sensor, part in wiring.sensor_parts().items():
        resistor = wiring.divider_resistor(sensor)
        net = wiring.signal_net(sensor)
        plug = [split_node(n)[1] for n in wiring.nets[net] if split_node(n)[0] == "P1"]
        out.append(
            f"| {sensor} | {part.ref} | A{channels[sensor]} | {resistor.ref} "
            f"{format_ohm(resistor.value_ohm or 0.0)} | {_cell_list(plug)} |"
        )
    gpio = wiring.gpio_pins()
    out += [
        "",
        f"ADC: {wiring.parts[ADC_REF].label} at I2C address 0x{wiring.adc_address():02x} "
        f"(ADDR to {wiring.net_of(ADC_REF + '.ADDR')}); "
        + "GPIO (BCM): "
        + ", ".join(f"{role} GPIO{number}" for role, number in gpio.items())
        + ".",
        "",
        "### Every connection (by net)",
        "",
        "| Net | Connects |",
        "|---|---|",
    ]
    for net, nodes in wiring.nets.items():
        out.append(f"| {net} | {_cell_list([_node_text(wiring, n) for n in nodes])} |")
    return "\n".join(out) + "\n"


def summary_table(wiring: Wiring) -> str:
    """Markdown: the short wiring summary for the README (what goes to which Pi pin)."""
    adc = wiring.parts[ADC_REF]
    rows = []
    for pin in ("VDD", "GND", "SDA", "SCL"):
        net = wiring.net_of(f"{ADC_REF}.{pin}") or ""
        pins = ", ".join(str(p) for p in wiring.header_pins(net))
        rows.append((f"{adc.label} {pin}", net, f"pin {pins}"))
    rows.append((f"{adc.label} ADDR", wiring.net_of(f"{ADC_REF}.ADDR") or "",
                 f"I2C address 0x{wiring.adc_address():02x}"))  # fmt: skip
    channels = wiring.adc_channels()
    for sensor, part in wiring.sensor_parts().items():
        resistor = wiring.divider_resistor(sensor)
        rows.append(
            (
                f"{part.label} ({part.ref})",
                f"3V3 and A{channels[sensor]}",
                f"{resistor.ref} {format_ohm(resistor.value_ohm or 0.0)} "
                f"from A{channels[sensor]} to GND",
            )
        )
    gnd_pins = ", ".join(str(p) for p in wiring.header_pins("GND"))
    for part in wiring.parts.values():
        if not part.roles:
            continue
        for pin, role in part.roles.items():
            header_pin = wiring.header_pin_for(f"{part.ref}.{pin}")
            via = wiring.net_of(f"{part.ref}.{pin}") or ""
            in_series = [
                wiring.parts[split_node(n)[0]]
                for n in wiring.nets.get(via, ())
                if wiring.parts[split_node(n)[0]].value_ohm is not None
            ]
            series = [f"{p.ref} {format_ohm(p.value_ohm or 0.0)}" for p in in_series]
            through = f" via {series[0]}" if series else ""
            rows.append(
                (
                    f"{part.label} {pin} ({role})",
                    PI_HEADER[header_pin],
                    f"pin {header_pin}{through}",
                )
            )
        for pin in part.pins:
            if wiring.net_of(f"{part.ref}.{pin}") == "GND":
                rows.append((f"{part.label} {pin}", "GND", f"pin {gnd_pins}"))
    lines = ["| Part / pin | Net or GPIO | Pi header pin / note |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"
