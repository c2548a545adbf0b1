"""Drawings for the assembly guide: sensor stack, strain relief, multimeter checks."""

from __future__ import annotations

from hardware.drawing import Drawing, Style

LINE = Style(stroke="#000000", stroke_width_mm=0.35)
NOTE = "#333333"


def _callout(d: Drawing, point: tuple[float, float], at: tuple[float, float], text: str) -> None:
    """A leader line from a point on the drawing to a left-anchored note at ``at``."""
    (x, y), (tx, ty) = point, at
    d.line(x, y, tx - 1.0, ty - 1.0, Style(stroke="#777777", stroke_width_mm=0.2))
    d.circle(x, y, 0.6, Style(stroke=None, fill="#777777"))
    d.text(tx, ty, text, 3.0, fill=NOTE)


def sensor_stack() -> Drawing:
    """Cross-section through one sensor spot (thicknesses exaggerated)."""
    d = Drawing(200, 95, "Sensor stack, cross-section")
    d.text(6, 9, "Sensor stack (section through one spot, not to scale)", 4.2, bold=True)
    layers = [
        # (label, y, height, fill, x0, x1)
        ("top cover (thin insole, leather or microfibre)", 24, 4, "#d9c6a5", 10, 110),
        ("puck (12 mm, 1-1.5 mm thick, glued on the active area)", 30, 3, "#555555", 52, 68),
        ("laminate (Kapton or clear film) over sensor and leads", 34, 1.2, "#f2c14e", 30, 100),
        ("FSR 402 (18.3 mm disc, tail towards the arch)", 35.5, 1.2, "#3a7ebf", 46, 100),
        ("foam insole 3-5 mm (EVA/PU)", 37, 10, "#cde3c9", 10, 110),
    ]
    for _label, y, h, fill, x0, x1 in layers:
        d.rect(x0, y, x1 - x0, h, Style(stroke="#000000", stroke_width_mm=0.25, fill=fill))
    notes_y = 18.0
    for i, (label, y, h, _fill, x0, x1) in enumerate(layers):
        ax = x0 + (x1 - x0) * (0.85 if i != 1 else 0.5)
        _callout(d, (ax, y + h / 2), (118, notes_y + i * 8.5), label.split(" (")[0])
        d.text(118, notes_y + i * 8.5 + 3.6, _detail(label), 2.5, fill="#666666")
    d.text(10, 60, "Keep the FSR's vent open: laminate the disc and the tail, but leave the", 3.0)
    d.text(10, 65, "tail's far end (the connector end) unsealed so air can leave the sensor.", 3.0)
    d.text(10, 72, "Never glue the sensor with cyanoacrylate (superglue): it cracks the film.", 3.0)
    d.text(10, 79, "The puck concentrates the load on the 12.7 mm active area; the software", 3.0)
    d.text(10, 84, "calibration is done through the same puck.", 3.0)
    return d


def _detail(label: str) -> str:
    return label.split(" (", 1)[1].rstrip(")") if " (" in label else ""


def strain_relief() -> Drawing:
    """From FSR tail to the plug: contacts, heat-shrink, tape loop and tie."""
    d = Drawing(200, 84, "Strain relief")
    d.text(6, 9, "Strain relief at the cable exit (top view)", 4.2, bold=True)
    # Insole edge.
    d.polyline([(6, 20), (70, 20), (70, 70), (6, 70)], Style(stroke="#000000", stroke_width_mm=0.5))
    d.text(8, 25, "insole (arch side)", 3.0, fill=NOTE)
    # FSR tails meeting clincher contacts, then the cable.
    for i, y in enumerate((34, 44, 54)):
        d.line(14, y, 38, y, Style(stroke="#3a7ebf", stroke_width_mm=1.6))
        d.rect(38, y - 2, 6, 4, Style(stroke="#000000", stroke_width_mm=0.3, fill="#aaaaaa"))
        d.line(44, y, 52, 44, Style(stroke="#ff7f0e", stroke_width_mm=0.6))
        if i == 0:
            _callout(d, (41, y - 2), (30, 16), "crimp contacts on each FSR tail (no solder)")
    d.rect(50, 41, 12, 6, Style(stroke="#000000", stroke_width_mm=0.3, fill="#444444"))
    _callout(d, (56, 47), (24, 77), "heat-shrink over the contacts and the cable end")
    # Loop taped to the insole, then the exit.
    d.polyline(
        [(62, 44), (67, 40), (67, 50), (62, 50), (62, 46), (70, 44), (120, 44)],
        Style(stroke="#ff7f0e", stroke_width_mm=1.2),
    )
    d.rect(60, 38, 9, 14, Style(stroke="#f2c14e", stroke_width_mm=0.5, dash_mm=(1.0, 0.8)))
    _callout(
        d, (65, 52), (76, 62), "small loop, taped down: a pull moves the loop, not the contacts"
    )
    d.rect(120, 40, 12, 8, Style(stroke="#000000", stroke_width_mm=0.3, fill="#ffffff"))
    d.text(121, 45.5, "JST", 2.8)
    _callout(d, (126, 40), (104, 26), "4-pin plug P1: 1 = 3V3, 2 heel, 3 little toe, 4 big toe")
    d.line(90, 41, 90, 47, Style(stroke="#000000", stroke_width_mm=0.8))
    _callout(d, (90, 47), (88, 58), "cable tie or tape to the shoe/ankle strap")
    return d


def multimeter() -> Drawing:
    """Where to put the probes for the resistance and voltage checks."""
    d = Drawing(180, 88, "Multimeter checks")
    d.text(6, 9, "Multimeter checks", 4.2, bold=True)
    # Left: insole unplugged, ohms across plug pins.
    d.text(6, 18, "A: insole unplugged, meter on 200 kOhm / auto", 3.2, bold=True)
    for i, label in enumerate(("1 3V3", "2 heel", "3 little", "4 big")):
        x = 12 + i * 14
        d.rect(x, 24, 10, 8, Style(stroke="#000000", stroke_width_mm=0.3, fill="#ffffff"))
        d.text(x + 1, 29.5, label.split()[0], 3.0)
        d.text(x, 37, label.split()[1], 2.6, fill=NOTE)
    d.line(17, 32, 17, 50, Style(stroke="#d62728", stroke_width_mm=0.6))
    d.line(31, 32, 31, 50, Style(stroke="#000000", stroke_width_mm=0.6))
    d.rect(10, 50, 30, 18, Style(stroke="#000000", stroke_width_mm=0.4, fill="#ffe9a8"))
    d.text(13, 58, "Ohm", 3.4, bold=True)
    d.text(13, 64, "pin 1 - pin 2", 2.8)
    d.text(6, 76, "Pins 1-2, 1-3, 1-4: one FSR each.", 3.0)
    d.text(6, 81, "Open (OL) unloaded; falls when pressed.", 3.0)
    # Right: board powered, volts from each ADC input to GND.
    d.text(96, 18, "B: plugged in, Pi on, meter on 20 V DC", 3.2, bold=True)
    d.rect(100, 24, 40, 26, Style(stroke="#000000", stroke_width_mm=0.4, fill="#f7f7f7"))
    d.text(102, 29, "ADS1115", 3.0, bold=True)
    for i, pin in enumerate(("VDD", "GND", "A0", "A1", "A2")):
        d.text(102, 34 + i * 3.6, pin, 2.6)
    d.line(140, 40.5, 150, 40.5, Style(stroke="#d62728", stroke_width_mm=0.6))
    d.line(140, 33.3, 158, 33.3, Style(stroke="#000000", stroke_width_mm=0.6))
    d.rect(146, 50, 28, 18, Style(stroke="#000000", stroke_width_mm=0.4, fill="#ffe9a8"))
    d.line(150, 40.5, 150, 50, Style(stroke="#d62728", stroke_width_mm=0.6))
    d.line(158, 33.3, 158, 50, Style(stroke="#000000", stroke_width_mm=0.6))
    d.text(149, 58, "V DC", 3.4, bold=True)
    d.text(149, 64, "A0 - GND", 2.8)
    d.text(96, 76, "VDD-GND: 3.2-3.4 V (never 5 V).", 3.0)
    d.text(96, 81, "A0..A2: near 0 V unloaded, rise when pressed.", 3.0)
    return d
