"""The hold counter: a state machine over the balanced/not-balanced verdicts.

States::

    idle --balanced--> entering --balanced for entry_debounce_s--> holding
      ^                   |                                          |  ^
      |              not balanced                          not balanced |balanced again
      |                   v                                          v  |  (a wobble)
      +------------------ idle <--- lost for grace_s or longer --- grace

* A hold starts when balance was gained (the start of ``entering``), so the debounce time
  counts towards its duration; it is announced once the debounce has confirmed it.
* A loss shorter than ``grace_s`` does not end it (it counts as a wobble). A longer loss
  ends it at the moment balance was lost.
* A gap in the data (a sensor fault, an I2C outage) ends any hold at the last good frame:
  no hold is counted across a gap.
* Outcome ``correct`` when it lasted at least ``hold_target_s``, else ``short``; a hold
  that lasts longer than the target is still one hold.
"""

from __future__ import annotations

from typing import Any

from insole.quality import QualityAccumulator
from insole.records import Hold
from insole.settings import Settings

IDLE, ENTERING, HOLDING, GRACE = "idle", "entering", "holding", "grace"

Event = tuple[str, dict[str, Any]]


class HoldTracker:
    """Turns per-frame verdicts into finished holds and events."""

    __slots__ = (
        "_acc",
        "_at_loss",
        "_debounce_s",
        "_grace_s",
        "_last_t",
        "_lost_s",
        "_target",
        "_target_reached",
        "hold_target_s",
        "state",
    )

    def __init__(self, settings: Settings) -> None:
        self._debounce_s = settings.entry_debounce_s
        self._grace_s = settings.grace_s
        self.hold_target_s = settings.hold_target_s
        self._target = settings.personal_target
        self.state = IDLE
        self._acc: QualityAccumulator | None = None
        self._at_loss: QualityAccumulator | None = None
        self._lost_s = 0.0
        self._last_t = 0.0
        self._target_reached = False

    def elapsed_s(self, t_s: float) -> float:
        """How long the current hold has lasted at ``t_s`` (0 when there is none)."""
        if self._acc is None:
            return 0.0
        end = self._lost_s if self.state == GRACE else t_s
        return max(0.0, end - self._acc.start_s)

    def update(
        self,
        t_s: float,
        balanced: bool,
        shares: tuple[float, float, float] | None,
        cop_mm: tuple[float, float] | None,
        in_band: bool,
        events: list[Event],
    ) -> Hold | None:
        """Advance by one frame; appends events and returns a hold that just ended."""
        self._last_t = t_s
        state = self.state
        finished = None
        if state == IDLE:
            if balanced:
                self.state = ENTERING
                self._acc = QualityAccumulator(t_s)
                self._target_reached = False
        elif state == ENTERING:
            if not balanced:
                self.state = IDLE
                self._acc = None
            elif self._acc is not None and t_s - self._acc.start_s >= self._debounce_s:
                self.state = HOLDING
                events.append(("hold_started", {"t_s": self._acc.start_s}))
        elif state == HOLDING:
            if not balanced:
                self.state = GRACE
                self._lost_s = t_s
                # Frames of the grace time count only if balance comes back (a wobble);
                # if the loss ends the hold, its figures are those at the moment of loss.
                self._at_loss = None if self._acc is None else self._acc.copy()
        elif balanced:  # GRACE, and balance came back within the grace time
            self.state = HOLDING
            if self._acc is not None:
                self._acc.wobbles += 1
        elif t_s - self._lost_s >= self._grace_s:
            finished = self._finish(self._lost_s, events)
        acc = self._acc
        if acc is not None and shares is not None and cop_mm is not None:
            acc.add(t_s, shares, cop_mm, in_band)
            if (
                not self._target_reached
                and self.state == HOLDING
                and t_s - acc.start_s >= self.hold_target_s
            ):
                self._target_reached = True
                events.append(("hold_target_reached", {"t_s": t_s}))
        return finished

    def gap(self, events: list[Event]) -> Hold | None:
        """Data stopped: end any hold at the last good frame."""
        return self.finish(events)

    def finish(self, events: list[Event]) -> Hold | None:
        """End of data (recording over, set stopped): close any open hold."""
        if self.state == GRACE:
            return self._finish(self._lost_s, events)
        if self.state == HOLDING:
            return self._finish(self._last_t, events)
        self.state = IDLE
        self._acc = None
        return None

    def _finish(self, end_s: float, events: list[Event]) -> Hold | None:
        acc = self._at_loss if self.state == GRACE else self._acc
        self.state = IDLE
        self._acc = self._at_loss = None
        if acc is None:
            return None
        hold = acc.finish(end_s, self.hold_target_s, self._target)
        events.append(("hold_ended", hold.to_dict()))
        return hold


class SetTally:
    """Counts the holds of one set against its rep target."""

    __slots__ = ("attempted", "correct", "done_at", "holds", "rep_target", "target_met")

    def __init__(self, settings: Settings) -> None:
        self.rep_target = settings.rep_target
        self.done_at = settings.set_done_at
        self.correct = 0
        self.attempted = 0
        self.holds: list[Hold] = []
        self.target_met = False

    @property
    def done(self) -> bool:
        """Enough correct holds for the set to count (``set_done_at`` or more)."""
        return self.correct >= self.done_at

    def add(self, hold: Hold, events: list[Event]) -> None:
        """Count a finished hold; announces ``set_done`` when the rep target is reached."""
        self.holds.append(hold)
        self.attempted += 1
        if hold.outcome == "correct":
            self.correct += 1
        if events and events[-1][0] == "hold_ended":
            events[-1][1].update(correct=self.correct, attempted=self.attempted)
        if not self.target_met and self.correct >= self.rep_target:
            self.target_met = True
            events.append(("set_done", {"correct": self.correct, "attempted": self.attempted}))
