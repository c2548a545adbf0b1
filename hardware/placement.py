"""Foot-proportion model: sensor spots, insole outline and cable path for EU sizes 36-47.

Coordinates follow ``insole.settings.DEFAULT_SENSOR_POSITIONS_MM``: millimetres, origin at
the back of the heel on the foot's long axis (heel centre to second toe), y forward, x
towards the big toe (medial). Left and right feet share these coordinates; only drawings
are mirrored.

Foot length from the EU (Paris point) size: a Paris point is 2/3 cm of *last* length, and
a last is longer than the foot by the toe allowance (about 15 mm in sizing charts), so
``foot_length = size * 6.667 mm - 15 mm`` (EU 42: 265 mm).

Every position is a fixed fraction of foot length (isometric scaling: real feet vary more
than this, which is why the guide says to check the spots on the wearer's own foot):

- big_toe, 1st metatarsal head: 73 % of foot length. 3-D scans of 453 adult feet put the
  1st metatarsophalangeal joint at 70-79 % of foot length ("Flexion location of the first
  metatarsophalangeal joint and the location of forefoot bend in general-purpose women's
  footwear", J Foot Ankle Res); the head lies just behind the joint line.
- little_toe, 5th metatarsal head: 64.5 % of foot length. The metatarsal break line runs
  obliquely, the 5th joint 8-9 % of foot length behind the 1st (shoe-last "ball line").
- Across the foot: the ball is about 37 % of foot length wide and the long axis splits it
  roughly 45/55 (medial/lateral); the 1st head's centre sits 8 % of foot length medial of
  the axis, the 5th head's 13.6 % lateral, both a disc's width inside the border.
- heel, outer (lateral) heel: 15 % of foot length forward (the centre of the calcaneal
  pad) and 4.5 % lateral, inside a heel about 25 % of foot length wide.
"""

from __future__ import annotations

from insole.errors import InsoleError
from insole.frames import SENSORS

PARIS_POINT_MM = 20.0 / 3.0
"""One EU (Paris point) shoe size step: 2/3 cm of last length."""

TOE_ALLOWANCE_MM = 15.0
"""Last length minus foot length used by common EU sizing charts."""

EU_SIZES: tuple[int, ...] = tuple(range(36, 48))
REFERENCE_SIZE_EU = 42
"""The size ``insole.settings.DEFAULT_SENSOR_POSITIONS_MM`` is given for."""

SENSOR_PROPORTIONS: dict[str, tuple[float, float]] = {
    # (x, y) as fractions of foot length; see the module docstring for the sources.
    "heel": (-0.045, 0.15),
    "little_toe": (-0.136, 0.645),
    "big_toe": (0.083, 0.73),
}

# Insole outline (the foot's plantar outline with a little room), as fractions of foot
# length, counter-clockwise from the back of the heel along the lateral side.
OUTLINE_PROPORTIONS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (-0.07, 0.012), (-0.105, 0.045), (-0.125, 0.10), (-0.13, 0.17),
    (-0.13, 0.26), (-0.14, 0.36), (-0.165, 0.47), (-0.195, 0.58), (-0.205, 0.645),
    (-0.19, 0.71), (-0.155, 0.79), (-0.115, 0.855), (-0.08, 0.9), (-0.04, 0.937),
    (0.0, 0.965), (0.04, 0.99), (0.085, 1.0), (0.13, 0.985), (0.158, 0.94),
    (0.158, 0.88), (0.163, 0.80), (0.16, 0.73), (0.14, 0.64), (0.12, 0.55),
    (0.11, 0.45), (0.11, 0.36), (0.115, 0.26), (0.115, 0.17), (0.105, 0.09),
    (0.08, 0.035), (0.045, 0.008),
)  # fmt: skip

# Leads run from each sensor to a junction under the medial arch (the unloaded part of
# the sole) and leave the insole at its medial edge.
CABLE_JUNCTION = (0.05, 0.42)
CABLE_EXIT = (0.11, 0.40)
CABLE_TAIL_END = (0.19, 0.40)
CABLE_ROUTES: dict[str, tuple[tuple[float, float], ...]] = {
    "heel": ((-0.045, 0.15), (-0.02, 0.22), (0.03, 0.33), CABLE_JUNCTION),
    "little_toe": ((-0.136, 0.645), (-0.11, 0.57), (-0.02, 0.48), CABLE_JUNCTION),
    "big_toe": ((0.083, 0.73), (0.083, 0.68), (0.06, 0.50), CABLE_JUNCTION),
}
CABLE_TRUNK: tuple[tuple[float, float], ...] = (CABLE_JUNCTION, CABLE_EXIT, CABLE_TAIL_END)


class SizeError(InsoleError, ValueError):
    """A shoe size outside the supported range."""


def foot_length_mm(eu_size: float) -> float:
    """Foot length for an EU (Paris point) shoe size: ``size * 6.667 mm - 15 mm``."""
    if not EU_SIZES[0] - 4 <= eu_size <= EU_SIZES[-1] + 4:
        raise SizeError(
            f"EU size must be from {EU_SIZES[0] - 4} to {EU_SIZES[-1] + 4}, got {eu_size!r}"
        )
    return eu_size * PARIS_POINT_MM - TOE_ALLOWANCE_MM


def _scale(points: tuple[tuple[float, float], ...], length_mm: float) -> list[tuple[float, float]]:
    return [(x * length_mm, y * length_mm) for x, y in points]


def sensor_positions_mm(eu_size: float) -> dict[str, tuple[float, float]]:
    """Sensor centres (x medial, y forward, mm from the back of the heel) for a size."""
    length = foot_length_mm(eu_size)
    return {
        name: (SENSOR_PROPORTIONS[name][0] * length, SENSOR_PROPORTIONS[name][1] * length)
        for name in SENSORS
    }


def outline_mm(eu_size: float, samples_per_segment: int = 6) -> list[tuple[float, float]]:
    """Smooth closed insole outline: a uniform Catmull-Rom spline through the points."""
    pts = _scale(OUTLINE_PROPORTIONS, foot_length_mm(eu_size))
    n = len(pts)
    out = []
    for i in range(n):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        for k in range(samples_per_segment):
            t = k / samples_per_segment
            out.append((_catmull_rom(p0[0], p1[0], p2[0], p3[0], t),
                        _catmull_rom(p0[1], p1[1], p2[1], p3[1], t)))  # fmt: skip
    return out


def _catmull_rom(a: float, b: float, c: float, d: float, t: float) -> float:
    """One coordinate of a uniform Catmull-Rom segment from ``b`` (t=0) to ``c`` (t=1)."""
    return 0.5 * (
        2 * b
        + (c - a) * t
        + (2 * a - 5 * b + 4 * c - d) * t * t
        + (3 * b - a - 3 * c + d) * t * t * t
    )


def cable_routes_mm(eu_size: float) -> dict[str, list[tuple[float, float]]]:
    """Each sensor's lead from its centre to the junction, plus ``"trunk"`` to the exit."""
    length = foot_length_mm(eu_size)
    routes = {name: _scale(CABLE_ROUTES[name], length) for name in SENSORS}
    routes["trunk"] = _scale(CABLE_TRUNK, length)
    return routes
