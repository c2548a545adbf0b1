"""Lunge with a resistance band (front foot): vastus medialis strengthening.

The runner stands in a lunge and pulls the band diagonally from inside and low to
outside and high, 3 sets of 20-25 reps, the front knee kept over the ankle. Each pull
pushes the front foot down, so the front insole sees a rhythmic load pattern on top of
the lunge stance: one excursion of the total per pull is one rep
(:mod:`insole.exercises.reps`). ``ml_shift`` per rep is the medio-lateral stability
the article asks for (the front knee must not drift in or out); a pause of
``set_break_s`` separates the sets.
"""

from __future__ import annotations

from insole.calibration import Calibration
from insole.exercises.reps import RepCounter, RepMode
from insole.settings import Settings

MODE = RepMode(
    name="lunge",
    title="Lunge with a resistance band",
    phases=("pull", "peak", "release"),
    min_span_n=20.0,
    # The lunge stance carries about 200 N with 3 % slow load fluctuation (6 N RMS): a
    # pull must add at least 30 % (60 N) for the first rep, 10 sigma of that noise.
    min_span_frac=0.3,
    # Wider hysteresis than the slow modes: the stance's load noise is larger relative
    # to a pull's excursion.
    start=0.3,
    top=0.6,
    leave=0.5,
    end=0.25,
    max_up_s=2.5,
    max_top_s=2.5,  # a pull peaks for well under a second; longer is the stance itself
    base_tau_s=1.5,
    set_break_s=8.0,
    tempo_s=1.5,
    max_rep_s=6.0,
    min_rep_s=0.8,  # a pull and release take 1-2 s; a step takes 0.5-0.7 s
    split_rebounds=True,  # 20-25 pulls in a row: the load need not settle between them
)


def counter(settings: Settings | None = None, calibration: Calibration | None = None) -> RepCounter:
    """A lunge rep counter."""
    return RepCounter(MODE, settings, calibration)
