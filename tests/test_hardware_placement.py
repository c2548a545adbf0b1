"""Placement templates: true scale, distances scale with size, left mirrors right; the
default sensor coordinates come from the same model."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from hardware.placement import (
    EU_SIZES,
    REFERENCE_SIZE_EU,
    SizeError,
    foot_length_mm,
    outline_mm,
    sensor_positions_mm,
)
from hardware.template import AXIS_X_MM, HEEL_Y_MM, template_page
from insole.frames import SENSORS
from insole.settings import DEFAULT_SENSOR_POSITIONS_MM

SVG = "{http://www.w3.org/2000/svg}"


def _svg(size: int, side: str) -> ET.Element:
    return ET.fromstring(template_page(size, side).to_svg())


def _by_id(root: ET.Element, ident: str) -> ET.Element:
    found = [el for el in root.iter() if el.get("id") == ident]
    assert len(found) == 1, ident
    return found[0]


def _centre(root: ET.Element, name: str) -> tuple[float, float]:
    el = _by_id(root, f"sensor-{name}")
    return float(el.get("cx", "nan")), float(el.get("cy", "nan"))


def _line_length(root: ET.Element, ident: str) -> float:
    el = _by_id(root, ident)
    x1, y1, x2, y2 = (float(el.get(k, "nan")) for k in ("x1", "y1", "x2", "y2"))
    return math.hypot(x2 - x1, y2 - y1)


def test_foot_length_from_paris_points() -> None:
    # 42 * 20/3 mm - 15 mm = 265 mm; one size step is 6.667 mm.
    assert foot_length_mm(42) == pytest.approx(265.0)
    assert foot_length_mm(36) == pytest.approx(225.0)
    assert foot_length_mm(47) - foot_length_mm(46) == pytest.approx(20 / 3)
    with pytest.raises(SizeError, match="EU size must be from"):
        foot_length_mm(60)


def test_settings_defaults_come_from_the_placement_model() -> None:
    model = sensor_positions_mm(REFERENCE_SIZE_EU)
    for name in SENSORS:
        assert DEFAULT_SENSOR_POSITIONS_MM[name] == pytest.approx(model[name], abs=0.06)


def test_page_is_a4_at_true_scale() -> None:
    root = _svg(42, "left")
    assert root.get("width") == "210mm"
    assert root.get("height") == "297mm"
    assert root.get("viewBox") == "0 0 210 297"
    assert _line_length(root, "scale-bar-x") == pytest.approx(50.0)
    assert _line_length(root, "scale-bar-y") == pytest.approx(50.0)
    assert float(_by_id(root, "sensor-heel").get("r", "0")) == pytest.approx(12.7 / 2)


@pytest.mark.parametrize("size", EU_SIZES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_measured_positions_match_the_model(size: int, side: str) -> None:
    root = _svg(size, side)
    heel_line = _by_id(root, "heel-line")
    assert float(heel_line.get("y1", "nan")) == pytest.approx(HEEL_Y_MM)
    medial = 1.0 if side == "left" else -1.0  # seen from above, a left big toe is on the right
    length = foot_length_mm(size)
    for name, (x, y) in sensor_positions_mm(size).items():
        cx, cy = _centre(root, name)
        assert HEEL_Y_MM - cy == pytest.approx(y, abs=0.002)
        assert (cx - AXIS_X_MM) * medial == pytest.approx(x, abs=0.002)
    # Published proportions: 1st metatarsal head at 73 %, 5th at 64.5 % of foot length.
    assert HEEL_Y_MM - _centre(root, "big_toe")[1] == pytest.approx(0.73 * length, abs=0.01)
    assert HEEL_Y_MM - _centre(root, "little_toe")[1] == pytest.approx(0.645 * length, abs=0.01)


def _distances(root: ET.Element) -> list[float]:
    pts = [_centre(root, name) for name in SENSORS]
    return [math.dist(pts[i], pts[j]) for i in range(3) for j in range(i + 1, 3)]


@pytest.mark.parametrize("size", [s for s in EU_SIZES if s != REFERENCE_SIZE_EU])
def test_distances_scale_with_foot_length(size: int) -> None:
    ratio = foot_length_mm(size) / foot_length_mm(REFERENCE_SIZE_EU)
    reference = _distances(_svg(REFERENCE_SIZE_EU, "right"))
    measured = _distances(_svg(size, "right"))
    for ref, got in zip(reference, measured, strict=True):
        assert got == pytest.approx(ref * ratio, rel=1e-4)
    # One EU size is 6.667 mm of length: heel to big-toe ball grows by 0.73 * 6.667 mm.
    step = _svg(size, "left")
    base = _svg(REFERENCE_SIZE_EU, "left")
    dy = _centre(base, "big_toe")[1] - _centre(step, "big_toe")[1]
    assert dy == pytest.approx(0.73 * (size - REFERENCE_SIZE_EU) * 20 / 3, abs=0.005)


@pytest.mark.parametrize("size", EU_SIZES)
def test_left_mirrors_right(size: int) -> None:
    left, right = _svg(size, "left"), _svg(size, "right")
    for name in SENSORS:
        (lx, ly), (rx, ry) = _centre(left, name), _centre(right, name)
        assert ly == pytest.approx(ry)
        assert lx - AXIS_X_MM == pytest.approx(AXIS_X_MM - rx, abs=0.002)
    # The big toe is medial: right of the axis on a left foot, left of it on a right foot.
    assert _centre(left, "big_toe")[0] > AXIS_X_MM > _centre(right, "big_toe")[0]


def _inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


@pytest.mark.parametrize("size", [EU_SIZES[0], REFERENCE_SIZE_EU, EU_SIZES[-1]])
def test_whole_sensor_discs_lie_inside_the_outline(size: int) -> None:
    outline = outline_mm(size)
    for x, y in sensor_positions_mm(size).values():
        for angle in range(0, 360, 30):
            rim = (
                x + 9.15 * math.cos(math.radians(angle)),
                y + 9.15 * math.sin(math.radians(angle)),
            )
            assert _inside(rim, outline)


def test_cable_path_connects_every_sensor_to_the_exit() -> None:
    root = _svg(42, "right")
    exit_el = _by_id(root, "cable-exit")
    exit_pt = (float(exit_el.get("cx", "nan")), float(exit_el.get("cy", "nan")))
    trunk = [
        tuple(map(float, p.split(",")))
        for p in _by_id(root, "cable-trunk").get("points", "").split()
    ]
    assert trunk[1] == pytest.approx(exit_pt)
    for name in SENSORS:
        pts = [
            tuple(map(float, p.split(",")))
            for p in _by_id(root, f"cable-{name}").get("points", "").split()
        ]
        assert pts[0] == pytest.approx(_centre(root, name), abs=0.001)
        assert pts[-1] == pytest.approx(trunk[0], abs=0.001)
