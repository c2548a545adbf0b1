"""Example sessions for every exercise mode: scripts, seeds and what a counter must find.

``python -m insole.exercises.examples DIR`` writes ``<mode>_session.csv`` for every mode
(100 Hz, two decimals, the recording CSV format); the committed files in ``examples/``
are exactly what it writes (a test checks). ``EXPECTED`` is what the script implies,
rep by rep, and the tests hold the counters to it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from insole.sim_script import Script
from insole.simulator import write_script_recording

EXAMPLES: dict[str, tuple[str, int]] = {
    "sit_to_stand": (
        "rest 3; hold 3; rise 4; hold 2; rise 4; hold 2; rise 4 lift big_toe@up; hold 2; "
        "rise 4 lift little_toe@top; hold 2; rise 4 lift heel@down; "
        "hold 2 shares 0.25,0.375,0.375; rise 4 shift 0.45; "
        "hold 2 shares 0.25,0.375,0.375; rise 4 shift -0.45; hold 3; rest 3",
        0,
    ),
    "squat": (
        "stand 4; squat 5; stand 2; squat 5 lift big_toe@top; stand 2; "
        "squat 5 lift little_toe@top; stand 2; squat 5; stand 2; squat 5 lift heel@down; "
        "stand 3",
        0,
    ),
    "band_hold": (
        "rest 3; band 10 pulls 5; rest 4; band 10 pulls 4; rest 4; band 4 pulls 2; "
        "lift heel 2; rest 4",
        2,
    ),
    "lunge": (
        "stand 4 load 200; lunge 2; lunge 2; lunge 2 lift little_toe@top; lunge 2; lunge 2; "
        "stand 3 load 200; rest 10; stand 4 load 200; lunge 2; lunge 2 lift big_toe@top; "
        "lunge 2; stand 3 load 200",
        0,
    ),
}
"""Mode -> (script, seed)."""

EXPECTED: dict[str, list[tuple[str, str | None, str | None]]] = {
    # (outcome, phase where the tripod was lost, knee drift) per rep, as scripted.
    "sit_to_stand": [
        ("correct", None, None),
        ("correct", None, None),
        ("faulty", "rise", "out"),  # big-toe ball lifted while rising: load rolls outwards
        ("faulty", "stand", "in"),  # little-toe ball lifted standing: load rolls inwards
        ("faulty", "descent", None),
        ("correct", None, "in"),
        ("correct", None, "out"),
    ],
    "squat": [
        ("correct", None, None),
        ("faulty", "depth", "out"),
        ("faulty", "depth", "in"),
        ("correct", None, None),
        ("faulty", "ascent", None),
    ],
    "lunge": [
        ("correct", None, None),
        ("correct", None, None),
        ("faulty", "peak", "in"),
        ("correct", None, None),
        ("correct", None, None),
        ("correct", None, None),
        ("faulty", "peak", "out"),
        ("correct", None, None),
    ],
}
"""Rep modes: the scripted reps."""

EXPECTED_SETS: dict[str, list[int]] = {"sit_to_stand": [7], "squat": [5], "lunge": [5, 3]}
EXPECTED_BAND: list[tuple[str, int, bool]] = [
    ("correct", 5, False),
    ("correct", 4, False),
    ("short", 2, True),  # the heel lets go: the band snaps
]
"""Band hold: (outcome, pulls resisted, snapped) per hold."""
EXAMPLE_RATE_HZ = 100.0


def example_name(mode: str) -> str:
    """File name of a mode's example session."""
    return f"{mode}_session.csv"


def write_examples(folder: Path) -> list[Path]:
    """Write every mode's example session into ``folder``.

    The arch hold's example is written by ``python -m insole.simulator --examples``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for mode, (text, seed) in EXAMPLES.items():
        path = folder / example_name(mode)
        write_script_recording(path, Script.parse(text), seed, EXAMPLE_RATE_HZ)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m insole.exercises.examples DIR``."""
    parser = argparse.ArgumentParser(prog="python -m insole.exercises.examples")
    parser.add_argument("folder", type=Path, help="where to write <mode>_session.csv")
    args = parser.parse_args(argv)
    for path in write_examples(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
