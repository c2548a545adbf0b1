"""The rep counter shared by sit-to-stand, squat and lunge.

A rep is an excursion of the (smoothed) total load on the three points away from a
baseline and back: standing up puts body weight on the foot and sitting down takes it
off; at the depth of a slow squat and at each band pull of a lunge the front foot is
loaded most. Each mode (``sit_to_stand.py``, ``squat.py``, ``lunge.py``) gives a
:class:`RepMode`: its phase names and thresholds.

Rep detection (all thresholds relative to the baseline ``base_n`` and the excursion
``span_n``)::

    base --total >= base + start*span--> up --total >= base + top*span--> top
      ^                                  |                               |
      |  below base + end*span:           |                    total below |
      |  a twitch; a stall: a new level   v                base + leave*span
      +------------------------------ base <--total < base + end*span-- down
                                     (rep counted)   (back above the top: top)
                                     (the rep is counted)          (back above top: top again)

* ``base_n`` follows the total while no rep runs (time-weighted exponential average,
  time constant ``base_tau_s``): the seated baseline for a sit-to-stand, the standing
  load for a squat or lunge. A rise that stalls (gains less than 5 % of the span in
  ``up_stall_s``) or does not reach the top within ``max_up_s`` is a change of level
  (from a relaxed foot to arch tension, from sitting to the lunge stance), not a rep:
  the baseline jumps to it. Likewise a top that lasts longer than ``max_top_s`` (the
  load went up and stayed: the runner got into position).
* ``span_n`` starts at ``max(min_span_n, min_span_frac * base_n)`` and after each rep
  becomes ``max(that, peak_n - base_n)``: the standing peak of the last rep. Once a rep
  has peaked, its ``leave`` and ``end`` thresholds use ``max(span_n, its own peak -
  base)``, so falling back is judged against the peak just reached. A rep that
  reaches 55 % of the last one's excursion still counts (standing loads vary
  by 15-20 % from rep to rep).
* A rep starts when the total crosses ``base + start*span`` and ends when it falls below
  ``base + end*span`` (``end < start``: hysteresis); ``duration_s`` is between them.

Per rep (``insole.exercises.base.Rep``):

* ``outcome`` is ``faulty`` when a point's share stays below ``min_share`` for
  ``rep_loss_s`` or longer anywhere in the rep (the tripod was lost); ``lost_phase`` is
  the phase (the mode's name for up/top/down) where that loss began, ``lost_point`` the
  point, ``lost_at_s`` when.
* ``ml_shift`` is the medio-lateral shift: with ``ml = share_big_toe - share_little_toe``,
  the largest deviation (signed: positive towards the big toe) of ``ml`` during the rep
  from its baseline before the rep (averaged like ``base_n``). A knee drifting inwards
  rolls the foot onto the big-toe ball (positive), outwards onto the little-toe ball
  (negative). ``knee_drift`` is ``in``/``out`` beyond ``ml_shift_limit``, else null.
* An excursion shorter than ``min_rep_s`` is discarded: walking about between sets
  loads an insole in 0.5-0.8 s pulses that are steps, not reps; one still open after
  ``max_rep_s`` (steps too quick to fall back between them) is dropped as well.
* In quick rhythms (the lunge) a rep whose load dips below ``leave - 0.1`` of the span
  and rises to the top again without reaching the baseline is split at the dip.
* ``set_index`` counts sets: a pause of ``set_break_s`` without reps starts a new set.
* ``score`` (0..100)::

      score = 100 * (0.40 * (0 if lost else 1)
                   + 0.20 * min(1, lowest_share / (2 * min_share))
                   + 0.25 * max(0, 1 - |ml_shift| / (2 * ml_shift_limit))
                   + 0.15 * min(1, duration_s / tempo_s))

  Keeping the tripod counts most; a lowest share of twice the minimum earns the full
  margin; a shift of twice the limit scores nothing for the knee; the article asks for
  slow, clean reps, so a rep faster than the mode's ``tempo_s`` loses tempo points.

A rep still open at a gap or at the end of the data is incomplete and not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from insole.balance import MIN_TOTAL_N, tripod_point
from insole.calibration import Calibration
from insole.errors import SettingsError
from insole.exercises.base import EXERCISE_CUES, Rep, default_calibration, summarise
from insole.frame_counter import FrameCounter
from insole.frames import SENSORS
from insole.holds import Event
from insole.live_json import load_json, set_json
from insole.settings import Settings
from insole.smoothing import LowPass

BASE, UP, TOP, DOWN = "base", "up", "top", "down"
REBOUND = 0.1
"""A dip counts as the boundary between two quick reps when it reaches this fraction of
the span below the ``leave`` threshold."""
STALL_GAIN = 0.05
"""A rise that gains less than this fraction of the span in ``up_stall_s`` has stalled."""


@dataclass(frozen=True)
class RepMode:
    """One rep mode's names and thresholds (fractions of the excursion ``span_n``)."""

    name: str
    title: str
    phases: tuple[str, str, str]
    """Names of the up, top and down phases as the runner knows them."""
    min_span_n: float
    min_span_frac: float
    start: float = 0.15
    top: float = 0.55
    leave: float = 0.45
    end: float = 0.1
    max_up_s: float = 4.0
    up_stall_s: float = 0.8
    max_top_s: float = 10.0
    base_tau_s: float = 2.0
    set_break_s: float = 10.0
    tempo_s: float = 3.0
    min_rep_s: float = 1.2
    """Shorter excursions are steps or stamps, not reps (walking about between sets puts
    0.5-0.8 s load pulses on an insole: Moticon S04, walking backwards)."""
    max_rep_s: float = 15.0
    """A "rep" still open after this long is restless loading (walking about): dropped."""
    split_rebounds: bool = False
    """Split a rep whose load dips and rises to the top again without reaching the
    baseline (a quick rhythm such as the lunge's pulls) into two at the dip."""

    def __post_init__(self) -> None:
        if not 0.0 < self.end < self.start < self.leave < self.top < 1.0:
            raise SettingsError(
                f"{self.name} thresholds",
                "need 0 < end < start < leave < top < 1, got "
                f"{self.end}, {self.start}, {self.leave}, {self.top}",
            )
        for name in (
            "min_rep_s",
            "max_rep_s",
            "min_span_n",
            "max_up_s",
            "up_stall_s",
            "max_top_s",
            "base_tau_s",
            "set_break_s",
            "tempo_s",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise SettingsError(f"{self.name} {name}", f"must be positive, got {value!r}")

    def phase_name(self, phase: str) -> str:
        """The mode's name for ``up``/``top``/``down`` (``idle`` between reps)."""
        if phase == BASE:
            return "idle"
        return self.phases[(UP, TOP, DOWN).index(phase)]


def rep_score(
    lost: bool,
    lowest_share: float,
    ml_shift: float,
    duration_s: float,
    *,
    min_share: float,
    ml_shift_limit: float,
    tempo_s: float,
) -> float:
    """The documented 0-100 rep score (see the module docstring)."""
    margin = 1.0 if min_share <= 0 else min(1.0, max(0.0, lowest_share) / (2.0 * min_share))
    raw = 100.0 * (
        0.40 * (0.0 if lost else 1.0)
        + 0.20 * margin
        + 0.25 * max(0.0, 1.0 - abs(ml_shift) / (2.0 * ml_shift_limit))
        + 0.15 * min(1.0, duration_s / tempo_s)
    )
    return round(min(100.0, max(0.0, raw)), 1)


class RepState(NamedTuple):
    """One frame of a rep mode for the live view (forces smoothed)."""

    mode: str
    t_s: float
    forces_n: tuple[float, float, float]
    total_n: float
    shares: tuple[float, float, float] | None
    balanced: bool
    off_point: str | None
    cue_key: str
    phase: str
    rep_elapsed_s: float
    rep_tripod_ok: bool
    ml_shift: float
    base_n: float
    span_n: float
    set_index: int
    correct: int
    attempted: int
    rep_target: int
    done_at: int
    last_rep: Rep | None
    events: tuple[Event, ...]
    rep_lost_phase: str | None = None
    """Where the current rep lost the tripod (the mode's phase name), ``None`` while clean."""
    rep_lost_point: str | None = None
    """Which point the current rep lost (``None`` while clean)."""

    def to_json(self, set_running: bool = True) -> dict[str, Any]:
        """The ``frame`` event of a rep mode (``docs/exercises.md``)."""
        shares = self.shares
        tri = None if shares is None else tripod_point(shares)
        return {
            "exercise": self.mode,
            **load_json(self.t_s, self.forces_n, self.total_n, shares),
            "cop_tri": None if tri is None else [round(tri[0], 4), round(tri[1], 4)],
            "balanced": self.balanced,
            "off_point": self.off_point,
            "cue_key": self.cue_key,
            "cue": EXERCISE_CUES[self.cue_key],
            "rep": {
                "phase": self.phase,
                "elapsed_s": round(self.rep_elapsed_s, 2),
                "tripod_ok": self.rep_tripod_ok,
                "lost_phase": self.rep_lost_phase,
                "lost_point": self.rep_lost_point,
                "ml_shift": round(self.ml_shift, 4),
                "base_n": round(self.base_n, 1),
                "span_n": round(self.span_n, 1),
            },
            "set": set_json(
                running=set_running,
                set_index=self.set_index,
                correct=self.correct,
                attempted=self.attempted,
                rep_target=self.rep_target,
                done_at=self.done_at,
            ),
            "last_rep": None if self.last_rep is None else self.last_rep.to_dict(),
        }


class RepCounter(FrameCounter[RepState, Rep]):
    """Counts the reps of one rep mode for one foot (see the module docstring)."""

    def __init__(
        self,
        mode: RepMode,
        settings: Settings | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.spec = mode
        self.mode = mode.name
        self.settings = settings = settings or Settings(exercise=mode.name)
        self.calibration = default_calibration(settings, calibration)
        self._convert = self.calibration.converter()
        self._filter = LowPass(settings.smoothing_hz)
        self._min_share = settings.min_share
        self._loss_s = settings.rep_loss_s
        self._ml_limit = settings.ml_shift_limit
        self.reps: list[Rep] = []
        self.last_rep: Rep | None = None
        self._set_index = 0
        self._target_met = False
        self._reset_motion()

    # -- public -------------------------------------------------------------------------

    @property
    def records(self) -> list[Rep]:
        """Every rep finished since the set started."""
        return self.reps

    @property
    def correct(self) -> int:
        """Correct reps so far."""
        return sum(1 for r in self.reps if r.outcome == "correct")

    def summary(self) -> dict[str, Any]:
        """Counts, mean score and reps per set (JSON-ready)."""
        data = summarise(self.reps, "faulty")
        sets: dict[int, int] = {}
        for rep in self.reps:
            sets[rep.set_index] = sets.get(rep.set_index, 0) + 1
        data["sets"] = [sets[k] for k in sorted(sets)]
        return data

    def new_set(self) -> None:
        """Start counting a new set (an open rep is dropped)."""
        self._reset_motion()
        self.reps = []
        self.last_rep = None
        self._set_index = 0
        self._target_met = False

    def gap(self) -> list[Event]:
        """The data stopped: drop the open rep, restart the filter and the baseline."""
        self._reset_motion()
        return []

    def finish(self) -> list[Rep]:
        """End of the data: an open rep is incomplete and not counted."""
        self._reset_motion()
        return []

    # -- the per-frame path -------------------------------------------------------------

    def _reset_motion(self) -> None:
        self._filter = LowPass(self.settings.smoothing_hz)
        self._phase = BASE
        self._base_n: float | None = None
        self._ml_base = 0.0
        self._span_n = 0.0
        self._last_t: float | None = None
        self._last_rep_end: float | None = None
        self._open: _OpenRep | None = None

    def _advance(
        self, t: float, h: float, lt: float, bt: float, events: list[Event], done: list[Rep]
    ) -> tuple[float, float, float, float, tuple[float, float, float] | None]:
        sh, slt, sbt = self._filter.update(t, h, lt, bt)
        total = sh + slt + sbt
        shares = None if total < MIN_TOTAL_N else (sh / total, slt / total, sbt / total)
        ml = 0.0 if shares is None else shares[2] - shares[1]
        last = self._last_t
        dt = 0.0 if last is None else max(0.0, t - last)
        self._last_t = t
        if self._base_n is None:  # first frame after a (re)start
            self._base_n = total
            self._ml_base = ml
            self._span_n = self._min_span(total)
        if self._phase == BASE:
            self._watch_base(t, total, ml, dt, events)
        open_rep = self._open
        if open_rep is not None:
            rep = self._follow(t, total, ml, open_rep, events)
            if rep is not None:
                done.append(rep)
                self._count(rep, events)
            if self._open is not None:
                open_rep.add(t, total, shares, ml, self._phase, self._min_share, self._loss_s)
        return sh, slt, sbt, total, shares

    def _watch_base(
        self, t: float, total: float, ml: float, dt: float, events: list[Event]
    ) -> None:
        """Between reps: follow the baseline; start a rep when the load leaves it."""
        spec = self.spec
        base = self._base_n or 0.0
        a = 1.0 - math.exp(-dt / spec.base_tau_s) if dt > 0 else 0.0
        base = self._base_n = base + a * (total - base)
        self._ml_base += a * (ml - self._ml_base)
        self._span_n = span = max(self._min_span(base), self._span_n)
        if total >= base + spec.start * span:
            self._phase = UP
            self._open = _OpenRep(t, base, self._ml_base)
            self._open.up_max = total
            events.append(("rep_started", {"t_s": t}))

    def _follow(
        self, t: float, total: float, ml: float, rep: _OpenRep, events: list[Event]
    ) -> Rep | None:
        """Inside a rep: move between the phases; returns the rep once it has ended."""
        spec = self.spec
        base = rep.base_n
        span = self._span_n
        phase = self._phase
        if t - rep.start_s > spec.max_rep_s:
            self._discard(t, total, ml, events)  # restless loading (walking about), no rep
            return None
        if phase == UP:
            if total > rep.up_max + STALL_GAIN * span:
                rep.up_max = total
                rep.up_max_t = t
            if total >= base + spec.top * span:
                self._phase = TOP
                rep.top_since_s = t
            elif total < base + spec.end * span:
                self._discard(t, None, ml, events)  # a twitch, not a rep
            elif t - rep.start_s > spec.max_up_s or t - rep.up_max_t > spec.up_stall_s:
                self._discard(t, total, ml, events)  # a new level (arch tension), not a rep
        elif phase == TOP:
            if total < base + spec.leave * max(span, rep.peak_n - base):
                self._phase = DOWN
                rep.down_min_n, rep.down_min_t = total, t
            elif t - rep.top_since_s > spec.max_top_s:
                self._discard(t, total, ml, events)  # the load went up and stayed
                self._span_n = self._min_span(total)
        else:
            return self._going_down(t, total, ml, rep, events)
        return None

    def _going_down(
        self, t: float, total: float, ml: float, rep: _OpenRep, events: list[Event]
    ) -> Rep | None:
        """The DOWN phase: back up to the top, split at a dip, or the rep's end."""
        spec = self.spec
        base = rep.base_n
        # Falling back is judged against this rep's own peak (the standing peak), not
        # only the previous reps' excursion.
        span = max(self._span_n, rep.peak_n - base)
        if total >= base + spec.top * span:  # back up
            if spec.split_rebounds and rep.down_min_n <= base + (spec.leave - REBOUND) * span:
                # The next rep began before the load was back at the baseline (a quick
                # rhythm): this rep ends at the dip, the next one starts there.
                done = self._close(rep.down_min_t, rep)
                nxt = self._open = _OpenRep(rep.down_min_t, base, rep.ml_base)
                nxt.up_max, nxt.up_max_t, nxt.top_since_s = total, t, t
                # Closing updated the span: the next rep is at the top only if it is
                # above the new top threshold.
                self._phase = TOP if total >= base + spec.top * self._span_n else UP
                events.append(("rep_started", {"t_s": rep.down_min_t}))
                return done
            self._phase = TOP
            rep.top_since_s = t
        elif total < base + spec.end * span:
            if t - rep.start_s < spec.min_rep_s:
                self._discard(t, None, ml, events)  # a step or a stamp, not a rep
                return None
            self._phase = BASE
            self._open = None
            return self._close(t, rep)
        elif total < rep.down_min_n:
            rep.down_min_n, rep.down_min_t = total, t
        return None

    def _discard(self, t: float, new_level_n: float | None, ml: float, events: list[Event]) -> None:
        """Drop the open rep; with ``new_level_n`` the baseline jumps to it."""
        self._phase = BASE
        self._open = None
        if new_level_n is not None:
            self._base_n = new_level_n
            self._ml_base = ml
        events.append(("rep_discarded", {"t_s": t}))

    def _min_span(self, base_n: float) -> float:
        return max(self.spec.min_span_n, self.spec.min_span_frac * base_n)

    def _close(self, t: float, rep: _OpenRep) -> Rep:
        spec = self.spec
        if (
            self._last_rep_end is None
            or self._set_index == 0
            or rep.start_s - self._last_rep_end >= spec.set_break_s
        ):
            self._set_index += 1
        self._last_rep_end = t
        self._span_n = max(self._min_span(rep.base_n), rep.peak_n - rep.base_n)
        lost = rep.lost_phase is not None
        shift = rep.ml_max if abs(rep.ml_max) >= abs(rep.ml_min) else rep.ml_min
        drift = "in" if shift > self._ml_limit else "out" if shift < -self._ml_limit else None
        duration = max(0.0, t - rep.start_s)
        mins = rep.min_shares
        return Rep(
            start_s=round(rep.start_s, 4),
            end_s=round(t, 4),
            duration_s=round(duration, 4),
            outcome="faulty" if lost else "correct",
            set_index=self._set_index,
            base_n=round(rep.base_n, 2),
            peak_n=round(rep.peak_n, 2),
            min_share_heel=round(mins[0], 4),
            min_share_little_toe=round(mins[1], 4),
            min_share_big_toe=round(mins[2], 4),
            ml_shift=round(shift, 4),
            knee_drift=drift,
            lost_phase=None if rep.lost_phase is None else spec.phase_name(rep.lost_phase),
            lost_point=rep.lost_point,
            lost_at_s=None if rep.lost_at_s is None else round(rep.lost_at_s, 4),
            score=rep_score(
                lost,
                min(mins),
                shift,
                duration,
                min_share=self._min_share,
                ml_shift_limit=self._ml_limit,
                tempo_s=spec.tempo_s,
            ),
        )

    def _count(self, rep: Rep, events: list[Event]) -> None:
        self.reps.append(rep)
        self.last_rep = rep
        correct = self.correct
        events.append(
            ("rep_ended", {**rep.to_dict(), "correct": correct, "attempted": len(self.reps)})
        )
        if not self._target_met and correct >= self.settings.rep_target:
            self._target_met = True
            events.append(("set_done", {"correct": correct, "attempted": len(self.reps)}))

    def _state(self, t: float, h: float, lt: float, bt: float) -> RepState:
        events: list[Event] = []
        sh, slt, sbt, total, shares = self._advance(t, h, lt, bt, events, [])
        settings = self.settings
        off_point = None
        if shares is None or total < settings.load_floor_n:
            balanced, cue = False, "load_foot"
        else:
            worst = min(range(3), key=shares.__getitem__)
            balanced = shares[worst] >= self._min_share
            cue = "hold"
            if not balanced:
                off_point = SENSORS[worst]
                cue = "press_" + off_point
        open_rep = self._open
        ml_dev = 0.0
        if open_rep is not None and shares is not None:
            ml_dev = shares[2] - shares[1] - open_rep.ml_base
            if balanced and ml_dev > self._ml_limit:
                cue = "knee_in"
            elif balanced and ml_dev < -self._ml_limit:
                cue = "knee_out"
        if self._target_met and open_rep is None:
            cue = "set_done"
        return RepState(
            self.mode,
            t,
            (sh, slt, sbt),
            total,
            shares,
            balanced,
            off_point,
            cue,
            self.spec.phase_name(self._phase),
            0.0 if open_rep is None else t - open_rep.start_s,
            open_rep is None or open_rep.lost_phase is None,
            ml_dev,
            self._base_n or 0.0,
            self._span_n,
            self._set_index,
            self.correct,
            len(self.reps),
            settings.rep_target,
            settings.set_done_at,
            self.last_rep,
            tuple(events),
            None
            if open_rep is None or open_rep.lost_phase is None
            else self.spec.phase_name(open_rep.lost_phase),
            None if open_rep is None else open_rep.lost_point,
        )


class _OpenRep:
    """Running figures of the rep in progress."""

    __slots__ = (
        "base_n",
        "down_min_n",
        "down_min_t",
        "lost_at_s",
        "lost_phase",
        "lost_point",
        "min_shares",
        "ml_base",
        "ml_max",
        "ml_min",
        "peak_n",
        "run_phase",
        "run_point",
        "run_start",
        "start_s",
        "top_since_s",
        "up_max",
        "up_max_t",
    )

    def __init__(self, start_s: float, base_n: float, ml_base: float) -> None:
        self.start_s = start_s
        self.base_n = base_n
        self.ml_base = ml_base
        self.peak_n = base_n
        self.up_max = base_n
        self.up_max_t = start_s
        self.top_since_s = start_s
        self.down_min_n = base_n
        self.down_min_t = start_s
        self.min_shares = [1.0, 1.0, 1.0]
        self.ml_max = self.ml_min = 0.0
        self.run_start: float | None = None
        self.run_phase = UP
        self.run_point: str | None = None
        self.lost_phase: str | None = None
        self.lost_point: str | None = None
        self.lost_at_s: float | None = None

    def add(
        self,
        t: float,
        total: float,
        shares: tuple[float, float, float] | None,
        ml: float,
        phase: str,
        min_share: float,
        loss_s: float,
    ) -> None:
        if total > self.peak_n:
            self.peak_n = total
        if shares is None:
            low, worst = 0.0, 0
        else:
            mins = self.min_shares
            for i in (0, 1, 2):
                if shares[i] < mins[i]:
                    mins[i] = shares[i]
            worst = min(range(3), key=shares.__getitem__)
            low = shares[worst]
            dev = ml - self.ml_base
            if dev > self.ml_max:
                self.ml_max = dev
            elif dev < self.ml_min:
                self.ml_min = dev
        if low < min_share:
            if self.run_start is None:
                self.run_start, self.run_phase, self.run_point = t, phase, SENSORS[worst]
            if self.lost_phase is None and t - self.run_start >= loss_s:
                self.lost_phase = self.run_phase
                self.lost_point = self.run_point
                self.lost_at_s = self.run_start
        else:
            self.run_start = None
