"""The per-frame path: calibrate -> smooth -> balance -> hold counter.

``Pipeline.step``/``step_volts`` process one frame and return a ``LiveState`` for the
live view; ``Pipeline.feed`` processes any number of frames and returns only the holds
that finished (what ``analyze`` needs). Both run the same ``_advance``, so feeding a
recording frame by frame or in chunks of any size gives identical holds.

This is the hot path of the device (hundreds of frames per second on a Pi Zero 2), so it
is written with local variables and without per-frame allocations beyond the result.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from insole.balance import CUES, BalanceRule, tripod_point
from insole.calibration import Calibration
from insole.frame_counter import FrameCounter
from insole.frames import SENSORS
from insole.holds import Event, HoldTracker, SetTally
from insole.live_json import load_json, set_json
from insole.records import Hold
from insole.sensor_model import Divider
from insole.settings import Settings
from insole.smoothing import LowPass


class LiveState(NamedTuple):
    """Everything the live view shows for one frame (forces smoothed)."""

    t_s: float
    forces_n: tuple[float, float, float]
    total_n: float
    shares: tuple[float, float, float] | None
    cop_mm: tuple[float, float] | None
    balanced: bool
    off_point: str | None
    cue_key: str
    hold_state: str
    hold_elapsed_s: float
    hold_target_s: float
    correct: int
    attempted: int
    rep_target: int
    done_at: int
    last_hold: Hold | None
    events: tuple[Event, ...]

    @property
    def cop_tri(self) -> tuple[float, float] | None:
        """Centre of pressure in the canonical tripod triangle (see docs/ARCHITECTURE.md)."""
        return None if self.shares is None else tripod_point(self.shares)

    def to_json(self, set_running: bool = True) -> dict[str, Any]:
        """The documented ``frame`` event (docs/ARCHITECTURE.md)."""
        shares = self.shares
        cop = self.cop_mm
        tri = self.cop_tri
        return {
            **load_json(self.t_s, self.forces_n, self.total_n, shares),
            "cop_mm": None if cop is None else [round(cop[0], 2), round(cop[1], 2)],
            "cop_tri": None if tri is None else [round(tri[0], 4), round(tri[1], 4)],
            "balanced": self.balanced,
            "off_point": self.off_point,
            "cue_key": self.cue_key,
            "cue": CUES[self.cue_key],
            "hold": {
                "state": self.hold_state,
                "elapsed_s": round(self.hold_elapsed_s, 2),
                "target_s": self.hold_target_s,
            },
            "set": set_json(
                running=set_running,
                correct=self.correct,
                attempted=self.attempted,
                rep_target=self.rep_target,
                done_at=self.done_at,
            ),
            "last_hold": None if self.last_hold is None else self.last_hold.to_dict(),
        }


class Pipeline(FrameCounter[LiveState, Hold]):
    """Calibration, smoothing, balance rule and hold counter for one foot."""

    def __init__(self, settings: Settings | None = None, calibration: Calibration | None = None):
        self.settings = settings = settings or Settings()
        self.calibration = calibration or Calibration(
            divider=Divider(settings.supply_v, settings.r_fixed_ohm)
        )
        self._convert = self.calibration.converter()
        self._filter = LowPass(settings.smoothing_hz)
        self._rule = BalanceRule(settings)
        self._tracker = HoldTracker(settings)
        self.tally = SetTally(settings)
        self._balanced = False
        pos = settings.sensor_positions_mm
        (self._hx, self._hy), (self._lx, self._ly), (self._bx, self._by) = (
            pos[n] for n in SENSORS
        )
        self.last_hold: Hold | None = None

    @property
    def holds(self) -> list[Hold]:
        """Every hold finished since the set (or the pipeline) started."""
        return self.tally.holds

    def new_set(self) -> None:
        """Start counting a new set (the filter and the current balance carry on)."""
        events: list[Event] = []
        self._tracker.finish(events)
        self.tally = SetTally(self.settings)
        self.last_hold = None

    def gap(self) -> list[Event]:
        """The data stopped (sensor fault, bus outage): no hold may span it."""
        events: list[Event] = []
        hold = self._tracker.gap(events)
        if hold is not None:
            self._count(hold, events)
        self._filter.reset()
        self._balanced = False
        return events

    def finish(self) -> list[Hold]:
        """End of the data: close any hold still open and return it (if any)."""
        events: list[Event] = []
        hold = self._tracker.finish(events)
        if hold is None:
            return []
        self._count(hold, events)
        return [hold]

    # -- the per-frame path -------------------------------------------------------------

    def _advance(
        self,
        t: float,
        h: float,
        lt: float,
        bt: float,
        events: list[Event],
        done: list[Hold],
    ) -> tuple[float, float, float, Any, tuple[float, float] | None]:
        sh, slt, sbt = self._filter.update(t, h, lt, bt)
        verdict = self._rule.evaluate(sh, slt, sbt, self._balanced)
        self._balanced = verdict.balanced
        shares = verdict.shares
        if shares is None:
            cop = None
        else:
            s0, s1, s2 = shares
            cop = (
                s0 * self._hx + s1 * self._lx + s2 * self._bx,
                s0 * self._hy + s1 * self._ly + s2 * self._by,
            )
        hold = self._tracker.update(t, verdict.balanced, shares, cop, verdict.in_band, events)
        if hold is not None:
            self._count(hold, events)
            done.append(hold)
        return sh, slt, sbt, verdict, cop

    def _count(self, hold: Hold, events: list[Event]) -> None:
        self.tally.add(hold, events)
        self.last_hold = hold

    def _state(self, t: float, h: float, lt: float, bt: float) -> LiveState:
        events: list[Event] = []
        sh, slt, sbt, verdict, cop = self._advance(t, h, lt, bt, events, [])
        tracker = self._tracker
        tally = self.tally
        cue = verdict.cue_key
        if tally.target_met and tracker.state == "idle":
            cue = "set_done"
        return LiveState(
            t,
            (sh, slt, sbt),
            verdict.total_n,
            verdict.shares,
            cop,
            verdict.balanced,
            verdict.off_point,
            cue,
            tracker.state,
            tracker.elapsed_s(t),
            tracker.hold_target_s,
            tally.correct,
            tally.attempted,
            tally.rep_target,
            tally.done_at,
            self.last_hold,
            tuple(events),
        )
