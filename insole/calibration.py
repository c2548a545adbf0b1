"""Per-sensor calibration: divider volts -> FSR resistance -> force, with tare.

A ``Calibration`` holds the divider, one ``FsrCurve`` per sensor and a tare offset per
sensor. Curves come from the datasheet-typical default or from a fit to two or more known
weights (``fit_curve``); the tare is the force the curve reads with the foot lifted (the
insole's own preload), subtracted from every reading. ``check_drift`` compares the unloaded
readings at the start and end of a session: FSRs creep and change with heat and humidity,
so a large change means the numbers of that session should be read with care.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from insole.errors import CalibrationError
from insole.frames import SENSORS
from insole.sensor_model import Divider, FsrCurve

MAX_TARE_N = 30.0
"""A lifted foot reading more than this on a point means the foot was not lifted."""

DEFAULT_DRIFT_LIMIT_N = 2.0
"""Unloaded readings moving more than this between session start and end trigger a warning."""

MAX_FIT_ERROR = 0.25
"""Largest RMS error of a fitted curve in log-resistance (natural log): about ±28 %."""


@dataclass(frozen=True)
class Calibration:
    """Divider, per-sensor curves and tare: everything to turn volts into newtons."""

    divider: Divider = field(default_factory=Divider)
    curves: tuple[FsrCurve, FsrCurve, FsrCurve] = (FsrCurve(), FsrCurve(), FsrCurve())
    tare_n: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if len(self.curves) != 3 or len(self.tare_n) != 3:
            raise CalibrationError(f"a calibration needs one curve and tare per {SENSORS}")
        for name, tare in zip(SENSORS, self.tare_n, strict=True):
            if not (math.isfinite(tare) and 0.0 <= tare <= MAX_TARE_N):
                raise CalibrationError(
                    f"tare for {name} must be from 0 to {MAX_TARE_N:g} N, got {tare!r}"
                )

    def force_n(self, index: int, volts: float) -> float:
        """Tared force on sensor ``index`` (``SENSORS`` order) for one voltage."""
        force = self.curves[index].force_n(self.divider.resistance_ohm(volts))
        return max(0.0, force - self.tare_n[index])

    def converter(self) -> Converter:
        """A fast volts -> newtons function for the live path (constants pre-computed)."""
        return Converter(self)

    def with_tare(self, unloaded_volts: Sequence[float]) -> Calibration:
        """A copy tared at these unloaded readings (foot lifted)."""
        if len(unloaded_volts) != 3:
            raise CalibrationError("tare needs one unloaded reading per sensor")
        tare = []
        for index, (name, volts) in enumerate(zip(SENSORS, unloaded_volts, strict=True)):
            force = self.curves[index].force_n(self.divider.resistance_ohm(volts))
            if not math.isfinite(force) or force > MAX_TARE_N:
                raise CalibrationError(
                    f"{name} reads {force:.1f} N with the foot lifted (more than "
                    f"{MAX_TARE_N:g} N): lift the foot off the insole and tare again"
                )
            tare.append(force)
        return Calibration(self.divider, self.curves, (tare[0], tare[1], tare[2]))

    def with_curve(self, sensor: str, curve: FsrCurve) -> Calibration:
        """A copy with one sensor's curve replaced."""
        curves = list(self.curves)
        curves[_index(sensor)] = curve
        return Calibration(self.divider, (curves[0], curves[1], curves[2]), self.tare_n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in the session log)."""
        return {
            "supply_v": self.divider.supply_v,
            "r_fixed_ohm": self.divider.r_fixed_ohm,
            "sensors": {
                name: {
                    "r_at_1n_ohm": curve.r_at_1n_ohm,
                    "exponent": curve.exponent,
                    "tare_n": tare,
                }
                for name, curve, tare in zip(SENSORS, self.curves, self.tare_n, strict=True)
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Rebuild from ``to_dict`` output; anything malformed raises ``CalibrationError``."""
        divider = Divider(_number(data, "supply_v", ""), _number(data, "r_fixed_ohm", ""))
        sensors = _object(data, "sensors", "")
        entries = [_object(sensors, name, "sensors.") for name in SENSORS]
        curves = [
            FsrCurve(
                _number(entry, "r_at_1n_ohm", f"sensors.{name}."),
                _number(entry, "exponent", f"sensors.{name}."),
            )
            for name, entry in zip(SENSORS, entries, strict=True)
        ]
        tare = [
            _number(entry, "tare_n", f"sensors.{name}.", default=0.0)
            for name, entry in zip(SENSORS, entries, strict=True)
        ]
        return cls(divider, (curves[0], curves[1], curves[2]), (tare[0], tare[1], tare[2]))


CALIBRATION_SHAPE = (
    "a calibration is {supply_v, r_fixed_ohm, sensors: {heel, little_toe, big_toe: "
    "{r_at_1n_ohm, exponent, tare_n (optional)}}}"
)


def _missing(where: str, key: str) -> CalibrationError:
    return CalibrationError(f"malformed calibration: {where}{key} is missing; {CALIBRATION_SHAPE}")


def _object(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """``data[key]`` when it is an object; otherwise a message naming the field."""
    if key not in data:
        raise _missing(where, key)
    value = data[key]
    if not isinstance(value, Mapping):
        raise CalibrationError(
            f"malformed calibration: {where}{key} must be an object, got {value!r:.40}"
        )
    return value


def _number(
    data: Mapping[str, Any], key: str, where: str, default: float | None = None
) -> float:
    """``data[key]`` as a float (numbers or numeric text); a message naming the field if not."""
    if key not in data:
        if default is not None:
            return default
        raise _missing(where, key)
    value = data[key]
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(value)
        return float(value)
    except (TypeError, ValueError) as err:
        raise CalibrationError(
            f"malformed calibration: {where}{key} must be a number, got {value!r:.40}"
        ) from err


class Converter:
    """Volts -> tared newtons for all three sensors, with the constants hoisted.

    This is the first step of the per-frame path, so it avoids method calls and attribute
    look-ups per frame; ``Calibration.force_n`` is the readable reference it must agree with.
    """

    __slots__ = ("_a", "_inv_b", "_rf", "_supply", "_tare")

    def __init__(self, calibration: Calibration) -> None:
        self._rf = calibration.divider.r_fixed_ohm
        self._supply = calibration.divider.supply_v
        self._a = tuple(c.r_at_1n_ohm for c in calibration.curves)
        self._inv_b = tuple(1.0 / c.exponent for c in calibration.curves)
        self._tare = calibration.tare_n

    def __call__(self, volts: Sequence[float]) -> tuple[float, float, float]:
        """Tared forces in ``SENSORS`` order."""
        out = [0.0, 0.0, 0.0]
        rf, supply = self._rf, self._supply
        for i in (0, 1, 2):
            v = volts[i]
            if v <= 1e-4:  # sensor_model.MIN_RESOLVABLE_V: an open (unloaded) FSR
                continue
            headroom = supply - v
            headroom = max(headroom, 1e-4)
            force = (self._a[i] * v / (rf * headroom)) ** self._inv_b[i] - self._tare[i]
            if force > 0.0:
                out[i] = force
        return (out[0], out[1], out[2])


def fit_curve(points: Sequence[tuple[float, float]], divider: Divider) -> FsrCurve:
    """Fit a power-law curve to known weights: ``points`` are (force_n, volts) pairs.

    At least two different forces are needed; the voltage must rise with force (an FSR's
    resistance falls as it is pressed), and the fit must explain the points within
    ``MAX_FIT_ERROR``. Least squares on log(resistance) against log(force).
    """
    if len(points) < 2:
        raise CalibrationError("a curve fit needs at least two known weights")
    cleaned = []
    for force, volts in points:
        if not (math.isfinite(force) and force > 0):
            raise CalibrationError(f"known weights must be positive forces, got {force!r} N")
        if not (math.isfinite(volts) and 0.0 < volts < divider.supply_v):
            raise CalibrationError(
                f"reading {volts!r} V is outside 0..{divider.supply_v:g} V: "
                "check the sensor is connected and not saturated"
            )
        cleaned.append((force, volts))
    cleaned.sort()
    forces = [f for f, _ in cleaned]
    if len(set(forces)) < 2:
        raise CalibrationError("a curve fit needs at least two different weights")
    for (f1, v1), (f2, v2) in itertools.pairwise(cleaned):
        if f2 > f1 and v2 <= v1:
            raise CalibrationError(
                f"the reading did not rise with the weight ({f1:g} N: {v1:.3f} V, "
                f"{f2:g} N: {v2:.3f} V): is the weight centred on the sensor?"
            )
    xs = [math.log(f) for f in forces]
    ys = [math.log(divider.resistance_ohm(v)) for _, v in cleaned]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = math.sqrt(
        sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs)
    )
    if residual > MAX_FIT_ERROR:
        raise CalibrationError(
            f"the weights do not fit one curve (error {residual:.2f} in log resistance, "
            f"allowed {MAX_FIT_ERROR}): repeat the steps with the weight centred"
        )
    return FsrCurve(r_at_1n_ohm=math.exp(intercept), exponent=-slope)


@dataclass(frozen=True)
class DriftReport:
    """Change of the unloaded readings between the start and the end of a session."""

    delta_n: tuple[float, float, float]
    limit_n: float

    @property
    def drifted(self) -> tuple[str, ...]:
        """Names of the sensors that moved more than the limit."""
        return tuple(n for n, d in zip(SENSORS, self.delta_n, strict=True) if abs(d) > self.limit_n)

    @property
    def warning(self) -> str | None:
        """A message for the user, or ``None`` when nothing drifted."""
        if not self.drifted:
            return None
        parts = ", ".join(
            f"{n} {d:+.1f} N" for n, d in zip(SENSORS, self.delta_n, strict=True)
            if n in self.drifted
        )
        return f"unloaded readings drifted during the session ({parts}): tare again"


def check_drift(
    start_n: Sequence[float], end_n: Sequence[float], limit_n: float = DEFAULT_DRIFT_LIMIT_N
) -> DriftReport:
    """Compare the unloaded forces (untared) at session start and end."""
    delta = [e - s for s, e in zip(start_n, end_n, strict=True)]
    return DriftReport((delta[0], delta[1], delta[2]), limit_n)


def _index(sensor: str) -> int:
    try:
        return SENSORS.index(sensor)
    except ValueError:
        raise CalibrationError(
            f"unknown sensor {sensor!r}; allowed: {', '.join(SENSORS)}"
        ) from None
