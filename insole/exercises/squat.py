"""Slow barefoot squat: as deep as the arch tension can be kept.

Counted like the sit-to-stand (:mod:`insole.exercises.reps`), from standing: the three
points carry most at the depth of the squat (the lowest, most loaded part: the runner
decelerates there and the knees come forward over the balls of the foot), so a rep is
an excursion of the total above the standing baseline. The phases are the descent, the
depth and the ascent; ``lost_phase == "depth"`` marks a rep in which the tripod was lost
at the bottom: the runner squatted deeper than the arch can hold.

Check on real recordings that the three-point total rises towards the depth for the
insole's sensor placement; if it falls instead, the depth is where the excursion is
largest either way, and the counter needs the sign flipped (not yet an option).
"""

from __future__ import annotations

from insole.calibration import Calibration
from insole.exercises.reps import RepCounter, RepMode
from insole.settings import Settings

MODE = RepMode(
    name="squat",
    title="Slow barefoot squat",
    phases=("descent", "depth", "ascent"),
    min_span_n=30.0,
    min_span_frac=0.3,  # standing carries about 250 N: a rep must add 75 N at least
    max_up_s=5.0,
    max_top_s=8.0,
    set_break_s=10.0,
    tempo_s=5.0,  # "do the movement slowly and cleanly"
)


def counter(settings: Settings | None = None, calibration: Calibration | None = None) -> RepCounter:
    """A squat rep counter."""
    return RepCounter(MODE, settings, calibration)
