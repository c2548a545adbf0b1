"""Both feet: two insoles, two counters, and left/right symmetry figures.

A :class:`BilateralFrame` holds one instant of both insoles (the firmware reads the two
ADCs in one scan, so they share the time stamp; two recordings are aligned with
:func:`pair_frames`). :class:`Bilateral` runs one counter per foot
(:func:`insole.exercises.make_counter`, each with its own settings and calibration) and
accumulates the load split between the feet.

Symmetry figures (:class:`Symmetry`):

* ``left_load_share``: time-weighted mean of ``L / (L + R)`` over frames where both feet
  together carry at least ``MIN_PAIR_N`` (L, R: smoothed totals on each insole's three
  points); 0.5 is an even split.
* ``load_asymmetry_pct``: ``100 * (L - R) / ((L + R) / 2)`` with the time-weighted mean
  totals (the usual symmetry index; positive: more on the left).
* per foot: records attempted, correct, mean score; ``score_gap`` is left minus right
  mean score (``None`` when a foot has no records).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from insole.calibration import Calibration
from insole.exercises import make_counter
from insole.exercises.base import ExerciseCounter, LiveView
from insole.frames import Frame, VoltsFrame
from insole.settings import Settings

MIN_PAIR_N = 20.0
"""Below this total on both insoles together nobody stands on them: no load split."""
MAX_PAIR_GAP_S = 0.05
"""Two recordings are paired only where their frames are this close in time."""


class BilateralFrame(NamedTuple):
    """Both insoles at one instant: forces (heel, little_toe, big_toe) in newtons."""

    t_s: float
    left_n: tuple[float, float, float]
    right_n: tuple[float, float, float]

    @property
    def left(self) -> Frame:
        """The left insole's frame."""
        return Frame(self.t_s, *self.left_n)

    @property
    def right(self) -> Frame:
        """The right insole's frame."""
        return Frame(self.t_s, *self.right_n)


@dataclass(frozen=True)
class Symmetry:
    """Left/right figures of a bilateral session (see the module docstring)."""

    left_load_share: float | None
    load_asymmetry_pct: float | None
    left: dict[str, Any]
    right: dict[str, Any]
    score_gap: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "left_load_share": self.left_load_share,
            "load_asymmetry_pct": self.load_asymmetry_pct,
            "left": self.left,
            "right": self.right,
            "score_gap": self.score_gap,
        }


class Bilateral:
    """One exercise mode on both feet."""

    def __init__(
        self,
        mode: str | None = None,
        settings: Settings | None = None,
        *,
        left_calibration: Calibration | None = None,
        right_calibration: Calibration | None = None,
    ) -> None:
        base = settings or Settings()
        self.left: ExerciseCounter = make_counter(mode, base.replace(foot="left"), left_calibration)
        self.right: ExerciseCounter = make_counter(
            mode, base.replace(foot="right"), right_calibration
        )
        self.mode = self.left.mode
        self.split = LoadSplit()

    def step(self, frame: BilateralFrame) -> tuple[LiveView, LiveView]:
        """Process one frame of both feet; returns (left, right) live states."""
        left = self.left.step(frame.left)
        right = self.right.step(frame.right)
        self.split.add(frame.t_s, sum(frame.left_n), sum(frame.right_n))
        return left, right

    def step_one(self, side: str, frame: Frame) -> LiveView:
        """Process a frame of one foot only (the other insole's reading failed).

        No load split is counted across the missing frame.
        """
        counter = self.left if side == "left" else self.right
        view = counter.step(frame)
        self.split.interrupt()
        return view

    def step_volts(self, left: VoltsFrame, right: VoltsFrame) -> tuple[LiveView, LiveView]:
        """Process one scan of both ADCs (same time stamp) through each foot's calibration."""
        left_view = self.left.step_volts(left)
        right_view = self.right.step_volts(right)
        # The volts path knows forces only after calibration and smoothing.
        self.split.add(left.t_s, left_view.total_n, right_view.total_n)
        return left_view, right_view

    def feed(self, frames: Iterable[BilateralFrame]) -> tuple[list[Any], list[Any]]:
        """Process frames in bulk; returns the (left, right) records finished among them."""
        done_left: list[Any] = []
        done_right: list[Any] = []
        for frame in frames:
            done_left += self.left.feed([frame.left])
            done_right += self.right.feed([frame.right])
            self.split.add(frame.t_s, sum(frame.left_n), sum(frame.right_n))
        return done_left, done_right

    def finish(self) -> tuple[list[Any], list[Any]]:
        """End of the data on both feet."""
        return self.left.finish(), self.right.finish()

    def gap(self) -> None:
        """The data stopped on both feet."""
        self.left.gap()
        self.right.gap()
        self.split.interrupt()

    def symmetry(self) -> Symmetry:
        """The figures so far."""
        share, asym = self.split.figures()
        left, right = self.left.summary(), self.right.summary()
        gap = None
        if left["mean_score"] is not None and right["mean_score"] is not None:
            gap = round(left["mean_score"] - right["mean_score"], 1)
        return Symmetry(share, asym, left, right, gap)


class LoadSplit:
    """Time-weighted split of the load between the feet (see the module docstring).

    Raw (not smoothed) totals: the split is averaged over time anyway, and the two
    counters' filters are their own business.
    """

    def __init__(self) -> None:
        self._last_t: float | None = None
        self._time_s = 0.0
        self._share_s = 0.0
        self._left_ns = 0.0
        self._right_ns = 0.0

    def add(self, t_s: float, left_n: float, right_n: float) -> None:
        """Both feet's totals at ``t_s`` (the interval since the last call is counted)."""
        last = self._last_t
        self._last_t = t_s
        if last is None:
            return
        dt = t_s - last
        both = left_n + right_n
        if dt <= 0 or both < MIN_PAIR_N:
            return
        self._time_s += dt
        self._share_s += dt * left_n / both
        self._left_ns += dt * left_n
        self._right_ns += dt * right_n

    def interrupt(self) -> None:
        """The pair broke off: the next interval is not counted."""
        self._last_t = None

    @property
    def time_s(self) -> float:
        """Seconds counted (both feet together above ``MIN_PAIR_N``)."""
        return self._time_s

    def figures(self) -> tuple[float | None, float | None]:
        """``(left_load_share, load_asymmetry_pct)``; ``None`` before any loaded time."""
        if self._time_s <= 0:
            return None, None
        share = round(self._share_s / self._time_s, 4)
        mean_l, mean_r = self._left_ns / self._time_s, self._right_ns / self._time_s
        asym = round(100.0 * (mean_l - mean_r) / ((mean_l + mean_r) / 2.0), 2)
        return share, asym


def pair_frames(
    left: Sequence[Frame], right: Sequence[Frame], max_gap_s: float = MAX_PAIR_GAP_S
) -> list[BilateralFrame]:
    """Pair two recordings by time: each left frame with the nearest right frame.

    Left frames with no right frame within ``max_gap_s`` are dropped (one insole was
    not recording then).
    """
    times = [f.t_s for f in right]
    pairs = []
    for frame in left:
        i = bisect.bisect_left(times, frame.t_s)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(times) and (
                best is None or abs(times[j] - frame.t_s) < abs(times[best] - frame.t_s)
            ):
                best = j
        if best is not None and abs(times[best] - frame.t_s) <= max_gap_s:
            other = right[best]
            pairs.append(
                BilateralFrame(
                    frame.t_s,
                    (frame.heel_n, frame.little_toe_n, frame.big_toe_n),
                    (other.heel_n, other.little_toe_n, other.big_toe_n),
                )
            )
    return pairs
