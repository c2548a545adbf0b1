"""Printable true-scale sensor placement template (A4, one page per foot).

The foot is drawn seen from above, heel at the bottom of the page, so the print can be laid
on the insole's top face heel to heel. Page coordinates are millimetres; a 50 mm scale bar
in each direction lets the maker check that the printer did not scale the page.
Ids on the key shapes (``sensor-heel``, ``scale-bar-x``, ...) let tests measure the SVG.
"""

from __future__ import annotations

from hardware.drawing import Drawing, Style, fmt, pdf_document
from hardware.placement import (
    cable_routes_mm,
    foot_length_mm,
    outline_mm,
    sensor_positions_mm,
)

PAGE_W_MM = 210.0
PAGE_H_MM = 297.0
HEEL_Y_MM = 289.0
"""Page y of the back of the heel (8 mm above the bottom edge)."""
AXIS_X_MM = 78.0
"""Page x of the foot's long axis."""
TOP_LIMIT_MM = 7.0
"""Outline beyond this (the printer's margin) is cut off and marked."""
TEXT_X_MM = 146.0
SCALE_BAR_MM = 50.0
FSR_ACTIVE_DIAMETER_MM = 12.7
FSR_OUTER_DIAMETER_MM = 18.3
SIDES = ("left", "right")

LABELS = {"heel": "HEEL (outer)", "little_toe": "LITTLE-TOE BALL", "big_toe": "BIG-TOE BALL"}
COLOURS = {"heel": "#1f77b4", "little_toe": "#2ca02c", "big_toe": "#d62728"}
CABLE = Style(stroke="#ff7f0e", stroke_width_mm=1.2)


def _to_page(side: str, x: float, y: float) -> tuple[float, float]:
    # Seen from above, the big toe (medial, +x) of a left foot is on the right of the page.
    mirror = 1.0 if side == "left" else -1.0
    return AXIS_X_MM + mirror * x, HEEL_Y_MM - y


def _clip_top(points: list[tuple[float, float]], top: float) -> list[tuple[float, float]]:
    """Clip a closed polygon to ``y >= top`` (one Sutherland-Hodgman pass)."""
    out: list[tuple[float, float]] = []
    for i, cur in enumerate(points):
        prev = points[i - 1]
        cur_in, prev_in = cur[1] >= top, prev[1] >= top
        if cur_in != prev_in:
            t = (top - prev[1]) / (cur[1] - prev[1])
            out.append((prev[0] + t * (cur[0] - prev[0]), top))
        if cur_in:
            out.append(cur)
    return out


def template_page(eu_size: int, side: str) -> Drawing:
    """The placement template for one size and foot."""
    if side not in SIDES:
        raise ValueError(f"side must be left or right, got {side!r}")
    length = foot_length_mm(eu_size)
    d = Drawing(PAGE_W_MM, PAGE_H_MM, f"Insole sensor template EU {eu_size} {side} foot")
    outline = [_to_page(side, x, y) for x, y in outline_mm(eu_size)]
    clipped = _clip_top(outline, TOP_LIMIT_MM)
    cut = len(clipped) != len(outline) or min(y for _, y in outline) < TOP_LIMIT_MM
    d.polyline(clipped, Style(stroke="#000000", stroke_width_mm=0.5), closed=True, ident="outline")
    if cut:
        d.line(
            AXIS_X_MM - 60, TOP_LIMIT_MM, AXIS_X_MM + 60, TOP_LIMIT_MM,
            Style(stroke="#888888", stroke_width_mm=0.3, dash_mm=(1.5, 1.5)),
        )  # fmt: skip

    # Reference lines: back of the heel and the long axis (heel centre to second toe).
    thin = Style(stroke="#777777", stroke_width_mm=0.25)
    d.line(AXIS_X_MM - 45, HEEL_Y_MM, AXIS_X_MM + 45, HEEL_Y_MM, thin, ident="heel-line")
    axis_end = max(TOP_LIMIT_MM, HEEL_Y_MM - 0.965 * length)
    d.line(
        AXIS_X_MM, HEEL_Y_MM, AXIS_X_MM, axis_end,
        Style(stroke="#777777", stroke_width_mm=0.25, dash_mm=(4, 1.5, 1, 1.5)),
        ident="foot-axis",
    )  # fmt: skip
    d.text(AXIS_X_MM + 1.5, HEEL_Y_MM - 2.0, "back of heel", size_mm=2.5, fill="#555555")

    for name, route in cable_routes_mm(eu_size).items():
        d.polyline([_to_page(side, x, y) for x, y in route], CABLE, ident=f"cable-{name}")
    exit_x, exit_y = _to_page(side, *cable_routes_mm(eu_size)["trunk"][1])
    d.circle(exit_x, exit_y, 1.5, Style(stroke="#ff7f0e", fill="#ff7f0e"), ident="cable-exit")

    for name, (x, y) in sensor_positions_mm(eu_size).items():
        cx, cy = _to_page(side, x, y)
        colour = COLOURS[name]
        d.circle(
            cx, cy, FSR_OUTER_DIAMETER_MM / 2,
            Style(stroke=colour, stroke_width_mm=0.3, dash_mm=(1.5, 1.0)),
            ident=f"sensor-{name}-disc",
        )  # fmt: skip
        d.circle(
            cx, cy, FSR_ACTIVE_DIAMETER_MM / 2,
            Style(stroke=colour, stroke_width_mm=0.5, fill="#ffffff"),
            ident=f"sensor-{name}",
        )  # fmt: skip
        cross = Style(stroke=colour, stroke_width_mm=0.3)
        d.line(cx - 3, cy, cx + 3, cy, cross)
        d.line(cx, cy - 3, cx, cy + 3, cross)
        label_y = cy + 13.5 if name == "heel" else cy - 10.5
        d.text(cx - 9.0, label_y, LABELS[name], size_mm=2.8, bold=True, fill=colour)

    _scale_bars(d)
    _legend(d, eu_size, side, length, cut)
    return d


def _scale_bars(d: Drawing) -> None:
    bar = Style(stroke="#000000", stroke_width_mm=0.6)
    tick = Style(stroke="#000000", stroke_width_mm=0.3)
    x0, y0 = TEXT_X_MM, 282.0
    d.line(x0, y0, x0 + SCALE_BAR_MM, y0, bar, ident="scale-bar-x")
    for i in range(6):
        h = 3.0 if i in (0, 5) else 1.5
        d.line(x0 + 10 * i, y0, x0 + 10 * i, y0 - h, tick)
    d.text(x0, y0 + 4.5, "50 mm", size_mm=3.0, bold=True)
    vx, vy = 200.0, 272.0
    d.line(vx, vy, vx, vy - SCALE_BAR_MM, bar, ident="scale-bar-y")
    for i in range(6):
        w = 3.0 if i in (0, 5) else 1.5
        d.line(vx, vy - 10 * i, vx - w, vy - 10 * i, tick)
    d.text(vx - 12.0, vy - SCALE_BAR_MM - 2.0, "50 mm", size_mm=3.0, bold=True)


def _legend(d: Drawing, eu_size: int, side: str, length: float, cut: bool) -> None:
    lines: list[tuple[str, float, bool]] = [
        ("INSOLE SENSOR TEMPLATE", 3.2, True),
        (f"EU {eu_size} - {side.upper()} FOOT", 5.0, True),
        (f"Foot length {fmt(round(length, 1))} mm", 3.0, False),
        ("(EU size x 6.667 mm - 15 mm)", 2.6, False),
        ("", 2.0, False),
        ("Print at 100 % (actual size).", 3.0, True),
        ("Both bars must measure 50 mm.", 3.0, False),
        ("", 2.0, False),
        ("Seen from above: lay the print", 3.0, False),
        ("on the insole's top face, backs", 3.0, False),
        ("of the heels level, axis along", 3.0, False),
        ("the insole's middle.", 3.0, False),
        ("", 2.0, False),
        ("Sensor centres in mm", 3.0, True),
        ("(from heel back; + towards the", 2.6, False),
        ("big toe):", 2.6, False),
    ]
    for name, (x, y) in sensor_positions_mm(eu_size).items():
        lines.append((f"{name:<11} x {x:+6.1f}  y {y:6.1f}", 2.8, False))
    lines += [
        ("", 2.0, False),
        ("Solid circle: 12.7 mm active area", 2.8, False),
        ("(put the puck here); dashed:", 2.8, False),
        ("18.3 mm FSR 402 disc.", 2.8, False),
        ("Orange: lead path, leaving the", 2.8, False),
        ("insole under the arch (dot).", 2.8, False),
        ("", 2.0, False),
        ("Check on the wearer's foot:", 2.8, True),
        ("feel for the two balls and move", 2.8, False),
        ("a spot up to 10 mm if needed.", 2.8, False),
    ]
    if cut:
        lines += [
            ("", 2.0, False),
            ("Toe tip is beyond the page:", 2.8, True),
            ("align by the heel.", 2.8, False),
        ]
    y = 14.0
    for text, size, bold in lines:
        if text:
            d.text(TEXT_X_MM, y, text, size_mm=size, bold=bold)
        y += size * 1.45


def template_pdf(eu_size: int) -> bytes:
    """Both feet of one size as a two-page A4 PDF."""
    pages = [template_page(eu_size, side) for side in SIDES]
    return pdf_document(pages, title=f"Insole sensor template EU {eu_size}")
