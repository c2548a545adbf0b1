"""Arch stability with a resistance band: the hold rule with the band's pull as a disturbance.

The band is clamped under the outer heel and the big-toe ball; the runner keeps it
tensioned by pressing those points down ("if the band snaps upwards, the arch has not
been correctly loaded"). Design:

* The rule for a correct hold does not change: the band tries to unload exactly the
  points the arch hold is about, so a wider tolerance on heel and big toe would hide the
  failure the exercise trains against. Holds are counted by the arch-hold pipeline
  (:class:`insole.pipeline.Pipeline`) with the same settings.
* The band's pull is measured as a disturbance: a *pull* is a dip of the band points'
  force ``B = heel_n + big_toe_n`` (smoothed) below ``(1 - PULL_START) * ref`` that
  comes back above ``B_min + PULL_RECOVER * (ref - B_min)`` (``B_min``: the lowest
  point of the pull; the reference then restarts from ``B``), where ``ref`` follows
  ``B`` outside pulls
  (exponential average with time constant ``REF_RISE_TAU_S`` while ``B`` is above it,
  ``REF_FALL_TAU_S`` while below). A pull that comes back while the
  hold goes on was resisted and counts for that hold (``pulls``).
* A *snap* is a hold that ends because a band point (heel or big-toe ball) lost its
  load: the band won (``snapped``). Relaxing the whole foot or letting the little-toe
  ball go ends a hold without a snap. The hold's outcome stays the arch-hold one (``correct``
  when it lasted the hold target before the snap, else ``short``).

Records: :class:`BandHold` (the hold's fields plus ``pulls``, ``snapped`` and
``pull_depth``, the deepest resisted pull as a fraction of ``ref``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from insole.calibration import Calibration
from insole.exercises.base import summarise
from insole.frames import Frame, VoltsFrame
from insole.holds import Event
from insole.pipeline import LiveState, Pipeline
from insole.records import Hold
from insole.settings import Settings

NAME = "band_hold"
TITLE = "Arch stability with a resistance band"

BAND_POINTS = ("heel", "big_toe")
"""Where the band is clamped (the points it pulls up)."""
PULL_START = 0.12
"""A pull starts when the band points' force drops 12 % below its reference (sway and
load fluctuation move it by about 3-4 % RMS)."""
PULL_RECOVER = 0.6
"""...and ends when the force has come back 60 % of the way from its lowest point to the
reference (the hold's level may drift a little during a set of pulls)."""
REF_RISE_TAU_S = 0.3
"""The reference follows a rising band force quickly (a hold building up)..."""
REF_FALL_TAU_S = 3.0
"""...and a falling one slowly, so a pull (0.5-1 s) stands out against it."""


@dataclass(frozen=True, slots=True)
class BandHold:
    """One band hold: the arch-hold record plus the band figures."""

    hold: Hold
    pulls: int
    snapped: bool
    pull_depth: float

    @property
    def start_s(self) -> float:
        """Start of the hold."""
        return self.hold.start_s

    @property
    def end_s(self) -> float:
        """End of the hold."""
        return self.hold.end_s

    @property
    def duration_s(self) -> float:
        """Length of the hold."""
        return self.hold.duration_s

    @property
    def outcome(self) -> str:
        """``correct`` or ``short`` (the arch-hold rule)."""
        return self.hold.outcome

    @property
    def score(self) -> float:
        """The arch-hold score (``insole.quality``)."""
        return self.hold.score

    def to_dict(self) -> dict[str, Any]:
        """The hold's fields plus ``pulls``, ``snapped`` and ``pull_depth``."""
        return {
            **self.hold.to_dict(),
            "pulls": self.pulls,
            "snapped": self.snapped,
            "pull_depth": self.pull_depth,
        }


class BandState(NamedTuple):
    """One frame of the band hold: the arch hold's live state plus the band figures.

    ``to_json`` is the arch hold's ``frame`` event with ``"exercise": "band_hold"``, a
    ``band`` object and ``last_hold`` carrying the band fields of the last hold.
    """

    live: LiveState
    band_n: float
    """Smoothed force on the band points (heel + big-toe ball), N."""
    ref_n: float
    """The band force a pull is measured against, N."""
    in_pull: bool
    pull_depth: float
    """Depth of the pull in progress as a fraction of ``ref_n`` (0 outside a pull)."""
    pulls: int
    """Pulls resisted in the current hold."""
    deepest: float
    """Deepest resisted pull of the current hold (fraction of the reference)."""
    last_band_hold: BandHold | None

    @property
    def t_s(self) -> float:
        """Frame time."""
        return self.live.t_s

    @property
    def forces_n(self) -> tuple[float, float, float]:
        """Smoothed forces."""
        return self.live.forces_n

    @property
    def total_n(self) -> float:
        """Smoothed total load."""
        return self.live.total_n

    @property
    def balanced(self) -> bool:
        """Whether the tripod rule holds."""
        return self.live.balanced

    @property
    def off_point(self) -> str | None:
        """The point furthest from its requirement."""
        return self.live.off_point

    @property
    def hold_state(self) -> str:
        """The arch hold's hold state."""
        return self.live.hold_state

    @property
    def events(self) -> tuple[Event, ...]:
        """Events raised by this frame."""
        return self.live.events

    def to_json(self, set_running: bool = True) -> dict[str, Any]:
        """The arch hold's ``frame`` event plus ``exercise`` and ``band``."""
        data = self.live.to_json(set_running)
        data["exercise"] = NAME
        data["band"] = {
            "band_n": round(self.band_n, 2),
            "ref_n": round(self.ref_n, 2),
            "in_pull": self.in_pull,
            "pull_depth": round(self.pull_depth, 4),
            "pulls": self.pulls,
            "deepest": round(self.deepest, 4),
        }
        last = self.last_band_hold
        if last is not None and data.get("last_hold") is not None:
            data["last_hold"] = last.to_dict()
        return data


class BandHoldCounter:
    """Holds against a resistance band (see the module docstring)."""

    mode = NAME

    def __init__(
        self, settings: Settings | None = None, calibration: Calibration | None = None
    ) -> None:
        self.pipeline = Pipeline(settings, calibration)
        self.settings = self.pipeline.settings
        self.band_holds: list[BandHold] = []
        self._reset_band()

    @property
    def records(self) -> list[BandHold]:
        """Every band hold finished since the set started."""
        return self.band_holds

    def summary(self) -> dict[str, Any]:
        """Counts, mean score, pulls resisted and snaps."""
        data = summarise(self.band_holds, "short")
        data["pulls"] = sum(b.pulls for b in self.band_holds)
        data["snaps"] = sum(1 for b in self.band_holds if b.snapped)
        return data

    def step(self, frame: Frame) -> BandState:
        """Process one frame of forces (the arch hold's live state plus the band)."""
        state = self.pipeline.step(frame)
        return self._band_state(state, self._band(state, []))

    def step_volts(self, frame: VoltsFrame) -> BandState:
        """Process one frame of divider voltages."""
        state = self.pipeline.step_volts(frame)
        return self._band_state(state, self._band(state, []))

    def _band_state(self, state: LiveState, band_n: float) -> BandState:
        ref = self._ref or 0.0
        depth = max(0.0, 1.0 - band_n / ref) if self._in_pull and ref > 0 else 0.0
        last = self.band_holds[-1] if self.band_holds else None
        return BandState(state, band_n, ref, self._in_pull, depth, self._pulls, self._depth, last)

    def feed(self, frames: Iterable[Frame]) -> list[BandHold]:
        """Process frames in bulk (through ``step``: the band needs every frame)."""
        done: list[BandHold] = []
        for frame in frames:
            self._band(self.pipeline.step(Frame(*frame)), done)
        return done

    def gap(self) -> list[Event]:
        """The data stopped: close an open hold; the band reference restarts."""
        events = self.pipeline.gap()
        self._close_from(events, [])
        self._reset_band()
        return events

    def finish(self) -> list[BandHold]:
        """End of the data: close an open hold."""
        holds = self.pipeline.finish()
        done: list[BandHold] = []
        for hold in holds:
            self._close(hold, done)
        return done

    def new_set(self) -> None:
        """Start counting a new set."""
        self.pipeline.new_set()
        self.band_holds = []
        self._reset_band()

    # -- band figures -------------------------------------------------------------------

    def _reset_band(self) -> None:
        self._ref: float | None = None
        self._last_t: float | None = None
        self._in_pull = False
        self._pulls = 0
        self._depth = 0.0
        self._pull_depth = 0.0
        self._pull_min = 0.0
        self._lost_point: str | None = None

    def _band(self, state: LiveState, done: list[BandHold]) -> float:
        """Follow the band force through one frame; returns it (N, smoothed)."""
        t = state.t_s
        band = state.forces_n[0] + state.forces_n[2]
        ref = self._ref
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        in_hold = state.hold_state in ("entering", "holding", "grace")
        if ref is None:
            ref = self._ref = band
        if self._in_pull:
            self._pull_min = min(self._pull_min, band)
            if ref > 0:
                self._pull_depth = max(self._pull_depth, 1.0 - band / ref)
            if band >= self._pull_min + PULL_RECOVER * (ref - self._pull_min):
                self._in_pull = False
                self._ref = band  # the hold's level may have moved: re-anchor
                if in_hold:  # resisted: it counts, and so does its depth
                    self._pulls += 1
                    self._depth = max(self._depth, self._pull_depth)
        elif ref > 0 and band < (1.0 - PULL_START) * ref:
            self._in_pull = True
            self._pull_depth = 0.0
            self._pull_min = band
        else:
            tau = REF_RISE_TAU_S if band > ref else REF_FALL_TAU_S
            a = 1.0 - math.exp(-dt / tau) if dt > 0 else 0.0
            self._ref = ref + a * (band - ref)
        if state.hold_state == "grace" and self._lost_point is None:
            self._lost_point = state.off_point
        elif state.hold_state == "holding":
            self._lost_point = None
        self._close_from(state.events, done)
        if not in_hold:
            # Between holds nothing is pulled against: restart from the current level.
            self._ref = band
            self._in_pull = False
            self._pulls = 0
            self._depth = 0.0
        return band

    def _close_from(self, events: Iterable[Event], done: list[BandHold]) -> None:
        for kind, data in events:
            if kind == "hold_ended":
                self._close(Hold.from_dict(data), done)

    def _close(self, hold: Hold, done: list[BandHold]) -> None:
        snapped = self._lost_point in BAND_POINTS
        record = BandHold(hold, self._pulls, snapped, round(self._depth, 4))
        self.band_holds.append(record)
        done.append(record)
        self._pulls = 0
        self._depth = 0.0
        self._lost_point = None


def counter(
    settings: Settings | None = None, calibration: Calibration | None = None
) -> BandHoldCounter:
    """A band-hold counter."""
    return BandHoldCounter(settings, calibration)
