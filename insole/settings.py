"""Exercise and device settings, validated at the boundary.

Every field has a sensible default and an allowed range; ``Settings.from_dict`` rejects
unknown keys, wrong types and out-of-range values with a ``SettingsError`` that names
the field and what is allowed, so a form or a CLI can show it next to the input.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from insole.errors import SettingsError
from insole.frames import SENSORS

DEFAULT_SENSOR_POSITIONS_MM: dict[str, tuple[float, float]] = {
    # Insole coordinates for a EU 42 foot (265 mm long: 42 x 6.667 mm Paris points minus a
    # 15 mm toe allowance): origin at the back of the heel on the foot's long axis, y
    # forward, x towards the big toe (medial), in mm. Left and right feet share these
    # coordinates; only drawings are mirrored. The values come from the foot-proportion
    # model that also draws the placement templates (hardware/placement.py: heel 15 % of
    # foot length forward and 4.5 % lateral, 5th metatarsal head 64.5 % / 13.6 % lateral,
    # 1st metatarsal head 73 % / 8.3 % medial); a test keeps the two in step.
    "heel": (-11.9, 39.8),
    "little_toe": (-36.0, 170.9),
    "big_toe": (22.0, 193.5),
}

FOOT_SIDES = ("left", "right")
LANGUAGES = ("auto", "en", "de")
EXERCISES = ("arch_hold", "sit_to_stand", "squat", "band_hold", "lunge")
"""Exercise modes (``insole.exercises``): the arch hold and the article's follow-ups."""


@dataclass(frozen=True)
class _Range:
    low: float
    high: float
    integer: bool = False


# Allowed ranges: the single source for validation messages, the settings form and docs.
RANGES: dict[str, _Range] = {
    "hold_target_s": _Range(1.0, 120.0),
    "grace_s": _Range(0.0, 5.0),
    "entry_debounce_s": _Range(0.0, 3.0),
    "rep_target": _Range(1, 100, integer=True),
    "set_done_at": _Range(1, 100, integer=True),
    "min_share": _Range(0.0, 0.33),
    "share_hysteresis": _Range(0.0, 0.1),
    "load_floor_n": _Range(0.0, 2000.0),
    "load_hysteresis_n": _Range(0.0, 200.0),
    "target_tolerance": _Range(0.01, 0.5),
    "smoothing_hz": _Range(0.2, 25.0),
    "supply_v": _Range(1.0, 5.5),
    "r_fixed_ohm": _Range(100.0, 1e6),
    "rep_loss_s": _Range(0.0, 2.0),
    "ml_shift_limit": _Range(0.02, 0.5),
}


@dataclass(frozen=True)
class Settings:
    """Everything a user may change about the rule, the counter and the sensors.

    Balance rule: the foot is balanced when the (smoothed) total is above ``load_floor_n``
    and every point carries at least ``min_share`` of it, or — with a ``personal_target`` —
    every share is within ``target_tolerance`` of the target. Leaving the balanced state
    uses looser limits (``share_hysteresis``, ``load_hysteresis_n``) so sway near a limit
    does not flicker.

    Rep modes (sit-to-stand, squat, lunge; ``insole.exercises``): a rep is faulty when a
    point stays below ``min_share`` for ``rep_loss_s`` or longer; a medio-lateral shift of
    the big-toe minus little-toe share beyond ``ml_shift_limit`` is flagged as the knee
    drifting in or out.
    """

    hold_target_s: float = 8.0
    grace_s: float = 0.5
    entry_debounce_s: float = 0.3
    rep_target: int = 10
    set_done_at: int = 5
    min_share: float = 0.10
    share_hysteresis: float = 0.03
    load_floor_n: float = 20.0
    load_hysteresis_n: float = 5.0
    personal_target: tuple[float, float, float] | None = None
    target_tolerance: float = 0.08
    smoothing_hz: float = 3.0
    rep_loss_s: float = 0.2
    ml_shift_limit: float = 0.2
    foot: str = "right"
    exercise: str = "arch_hold"
    language: str = "auto"
    supply_v: float = 3.3
    r_fixed_ohm: float = 3_300.0
    sensor_positions_mm: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_SENSOR_POSITIONS_MM)
    )

    def __post_init__(self) -> None:
        for name, allowed in RANGES.items():
            value = getattr(self, name)
            _check_number(name, value, allowed)
        if self.set_done_at > self.rep_target:
            raise SettingsError(
                "set_done_at",
                f"must not exceed rep_target ({self.rep_target}), got {self.set_done_at}",
            )
        _check_choice("foot", self.foot, FOOT_SIDES)
        _check_choice("exercise", self.exercise, EXERCISES)
        _check_choice("language", self.language, LANGUAGES)
        if self.personal_target is not None:
            object.__setattr__(self, "personal_target", _check_target(self.personal_target))
        object.__setattr__(self, "sensor_positions_mm", _check_positions(self.sensor_positions_mm))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (lists for tuples)."""
        data = dataclasses.asdict(self)
        data["personal_target"] = (
            None if self.personal_target is None else list(self.personal_target)
        )
        data["sensor_positions_mm"] = {
            name: list(self.sensor_positions_mm[name]) for name in SENSORS
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Settings | None = None) -> Settings:
        """Settings from a (partial) dictionary over ``base`` (defaults when omitted).

        Unknown keys are rejected so a typo never silently does nothing.
        """
        if not isinstance(data, Mapping):
            raise SettingsError("settings", "must be an object of field names to values")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(unknown[0], f"unknown setting; allowed: {', '.join(sorted(known))}")
        changes = dict(data)
        if changes.get("personal_target") is not None:
            changes["personal_target"] = _check_target(changes["personal_target"])
        return dataclasses.replace(base or cls(), **changes)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated like any other)."""
        return dataclasses.replace(self, **changes)


def _check_number(name: str, value: object, allowed: _Range) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(name, f"must be a number, got {value!r}")
    if allowed.integer and not (isinstance(value, int) or float(value).is_integer()):
        raise SettingsError(name, f"must be a whole number, got {value!r}")
    if not math.isfinite(value) or not allowed.low <= value <= allowed.high:
        kind = "whole number" if allowed.integer else "number"
        raise SettingsError(
            name, f"must be a {kind} from {allowed.low:g} to {allowed.high:g}, got {value!r}"
        )


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(name, f"must be one of {', '.join(allowed)}, got {value!r}")


def _check_target(value: object) -> tuple[float, float, float]:
    if isinstance(value, Mapping):
        try:
            value = [value[name] for name in SENSORS]
        except KeyError as err:
            raise SettingsError(
                "personal_target", f"needs a share for each of {', '.join(SENSORS)}"
            ) from err
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise SettingsError("personal_target", "must be three shares (heel, little_toe, big_toe)")
    shares = []
    for share in value:
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise SettingsError("personal_target", f"shares must be numbers, got {share!r}")
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise SettingsError("personal_target", f"shares must be from 0 to 1, got {share!r}")
        shares.append(float(share))
    if abs(sum(shares) - 1.0) > 0.02:
        raise SettingsError("personal_target", f"shares must add up to 1, got {sum(shares):.3f}")
    return (shares[0], shares[1], shares[2])


def _check_positions(value: object) -> dict[str, tuple[float, float]]:
    if not isinstance(value, Mapping) or set(value) != set(SENSORS):
        raise SettingsError(
            "sensor_positions_mm",
            f"needs an (x, y) position in mm for each of {', '.join(SENSORS)}",
        )
    positions: dict[str, tuple[float, float]] = {}
    for name in SENSORS:
        point = value[name]
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(
                isinstance(c, int | float)
                and not isinstance(c, bool)
                and math.isfinite(c)
                and -400.0 <= c <= 400.0
                for c in point
            )
        ):
            raise SettingsError(
                "sensor_positions_mm",
                f"{name} must be [x, y] in mm from -400 to 400, got {point!r}",
            )
        positions[name] = (float(point[0]), float(point[1]))
    return positions
