"""The balance rule: is the load spread over all three points?

Two rules share one shape:

* default: the total load is at least ``load_floor_n`` and every point carries at least
  ``min_share`` of it;
* personal target: additionally every share is within ``target_tolerance`` of the shares
  captured from a demonstrated correct hold.

Both use hysteresis: the foot *becomes* balanced on the rule above, and *stops* being
balanced only when it breaks a looser rule (shares ``share_hysteresis`` lower or further
from the target, the total ``load_hysteresis_n`` lower), so sway near a limit does not make
the state flicker.

When not balanced, the rule names the point that is furthest from its requirement and a
cue for it ("press the big-toe ball down"); cues are keyed (``cue_key``) so the dashboard
can translate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from insole.frames import SENSORS
from insole.settings import Settings

MIN_TOTAL_N = 1.0
"""Below this total there is nothing to divide: shares and centre of pressure are unknown."""

CUES: dict[str, str] = {
    "load_foot": "Press the foot down on all three points",
    "press_heel": "Press the outer heel down",
    "press_little_toe": "Press the little-toe ball down",
    "press_big_toe": "Press the big-toe ball down",
    "ease_heel": "Take some weight off the heel",
    "ease_little_toe": "Take some weight off the little-toe ball",
    "ease_big_toe": "Take some weight off the big-toe ball",
    "hold": "Hold it",
    "rest": "Rest",
    "set_done": "Set done",
}
"""English text of every cue key (the dashboard carries the translations)."""

# The canonical tripod triangle (x towards the big toe, y towards the heel).
TRIPOD_VERTICES: tuple[tuple[float, float], ...] = ((0.5, 1.0), (0.0, 0.0), (1.0, 0.0))


class Balance(NamedTuple):
    """The rule's verdict on one (smoothed) frame."""

    total_n: float
    shares: tuple[float, float, float] | None
    balanced: bool
    in_band: bool
    off_point: str | None
    cue_key: str


class BalanceRule:
    """Stateless evaluation of the rule; the caller keeps the previous verdict."""

    __slots__ = (
        "_enter_floor_n",
        "_enter_min",
        "_enter_tol",
        "_leave_floor_n",
        "_leave_min",
        "_leave_tol",
        "_target",
    )

    def __init__(self, settings: Settings) -> None:
        self._enter_floor_n = settings.load_floor_n
        self._leave_floor_n = max(0.0, settings.load_floor_n - settings.load_hysteresis_n)
        self._enter_min = settings.min_share
        self._leave_min = max(0.0, settings.min_share - settings.share_hysteresis)
        self._target = settings.personal_target
        self._enter_tol = settings.target_tolerance
        self._leave_tol = settings.target_tolerance + settings.share_hysteresis

    def evaluate(self, h: float, lt: float, bt: float, was_balanced: bool) -> Balance:
        """Verdict for forces ``h`` (heel), ``lt`` (little toe), ``bt`` (big toe)."""
        total = h + lt + bt
        if total < MIN_TOTAL_N:
            return Balance(total, None, False, False, None, "load_foot")
        shares = (h / total, lt / total, bt / total)
        floor_n, min_share, tol = (
            (self._leave_floor_n, self._leave_min, self._leave_tol)
            if was_balanced
            else (self._enter_floor_n, self._enter_min, self._enter_tol)
        )
        target = self._target
        if target is None:
            worst = min(range(3), key=shares.__getitem__)
            in_band = shares[worst] >= self._enter_min
            ok = shares[worst] >= min_share
            cue = "press_" + SENSORS[worst]
        else:
            deviations = (shares[0] - target[0], shares[1] - target[1], shares[2] - target[2])
            worst = max(range(3), key=lambda i: abs(deviations[i]))
            in_band = abs(deviations[worst]) <= self._enter_tol
            ok = abs(deviations[worst]) <= tol and min(shares) >= min_share
            if not ok and min(shares) < min_share:
                worst = min(range(3), key=shares.__getitem__)
            cue = ("press_" if deviations[worst] < 0 else "ease_") + SENSORS[worst]
        if total < floor_n:
            return Balance(total, shares, False, in_band, None, "load_foot")
        if ok:
            return Balance(total, shares, True, in_band, None, "hold")
        return Balance(total, shares, False, in_band, SENSORS[worst], cue)


def centre_of_pressure(
    shares: tuple[float, float, float], positions_mm: Mapping[str, tuple[float, float]]
) -> tuple[float, float]:
    """Centre of pressure in insole millimetres: the share-weighted sensor positions."""
    x = y = 0.0
    for share, name in zip(shares, SENSORS, strict=True):
        px, py = positions_mm[name]
        x += share * px
        y += share * py
    return (x, y)


def tripod_point(shares: tuple[float, float, float]) -> tuple[float, float]:
    """The centre of pressure in the canonical tripod triangle (shares are barycentric)."""
    (hx, hy), (lx, ly), (bx, by) = TRIPOD_VERTICES
    return (
        shares[0] * hx + shares[1] * lx + shares[2] * bx,
        shares[0] * hy + shares[1] * ly + shares[2] * by,
    )
