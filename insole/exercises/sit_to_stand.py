"""Sit-to-stand with a stable arch: stand up slowly and sit back down, arch tension kept.

Standing up loads the foot with body weight and sitting down unloads it, so a rep is an
excursion of the total load above the seated baseline (the seated arch hold): counted by
:class:`insole.exercises.reps.RepCounter` with the thresholds below. A rep is correct
only if all three points stay loaded through the rise, the stand and the descent; the
sideways shift between the balls of the foot (the knee drifting in or out) is reported
per rep.
"""

from __future__ import annotations

from insole.calibration import Calibration
from insole.exercises.reps import RepCounter, RepMode
from insole.settings import Settings

MODE = RepMode(
    name="sit_to_stand",
    title="Sit-to-stand with a stable arch",
    phases=("rise", "stand", "descent"),
    # Standing up puts several times the seated press on the foot (80 N seated hold ->
    # 300 N or more standing); the first rep must add at least 90 N (0.6 x 150 N): more
    # than building up arch tension from a relaxed foot adds (14 N -> 80 +- 12 N).
    min_span_n=150.0,
    min_span_frac=1.0,
    max_up_s=4.0,
    max_top_s=10.0,
    set_break_s=10.0,
    tempo_s=4.0,  # "stand up slowly and then sit back down": about 2 s each way
)


def counter(settings: Settings | None = None, calibration: Calibration | None = None) -> RepCounter:
    """A sit-to-stand rep counter."""
    return RepCounter(MODE, settings, calibration)
