"""``insole-monitor analyze FILE.csv``: count and score the holds in a recording."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from insole.analysis import analyze_exercise, analyze_frames, format_exercise_table, format_table
from insole.recording_csv import read_recording
from insole.settings import EXERCISES, Settings

NAME = "analyze"
HELP = (
    "count and score the holds (or reps) in a recording CSV (time_s,heel_n,little_toe_n,big_toe_n)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: the file, output format and the rule's settings."""
    parser.add_argument("file", type=Path, help="recording CSV file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--exercise",
        choices=EXERCISES,
        default="arch_hold",
        metavar="MODE",
        help=f"exercise mode: {', '.join(EXERCISES)} (default arch_hold)",
    )
    parser.add_argument("--hold-target", type=float, metavar="S", help="hold target (default 8)")
    parser.add_argument("--grace", type=float, metavar="S", help="grace time (default 0.5)")
    parser.add_argument("--min-share", type=float, metavar="F", help="minimum share (0.10)")
    parser.add_argument("--load-floor", type=float, metavar="N", help="load floor (default 20)")
    parser.add_argument(
        "--target",
        metavar="HEEL,LITTLE,BIG",
        help="personal target shares, e.g. 0.45,0.2,0.35 (default: the minimum-share rule)",
    )
    parser.add_argument("--tolerance", type=float, metavar="F", help="target tolerance (0.08)")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the command-line options (validated like any other settings)."""
    changes: dict[str, object] = {}
    for option, field in (
        ("hold_target", "hold_target_s"),
        ("grace", "grace_s"),
        ("min_share", "min_share"),
        ("load_floor", "load_floor_n"),
        ("tolerance", "target_tolerance"),
    ):
        value = getattr(args, option)
        if value is not None:
            changes[field] = value
    if args.target:
        try:
            changes["personal_target"] = [float(x) for x in args.target.split(",")]
        except ValueError:
            changes["personal_target"] = args.target  # rejected with the usual message
    return Settings.from_dict(changes)


def run(args: argparse.Namespace) -> int:
    """Read, analyse, print."""
    settings = settings_from_args(args)
    show_progress = sys.stderr.isatty() and not args.no_progress and not args.json
    if show_progress:
        print(f"reading {args.file} ...", end="\r", file=sys.stderr, flush=True)
    frames = read_recording(args.file)

    def progress(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(1, total)
        bar = "#" * filled + "." * (width - filled)
        print(
            f"analysing [{bar}] {100 * done // max(1, total):3d}%",
            end="\r",
            file=sys.stderr,
            flush=True,
        )

    report = progress if show_progress else None
    if args.exercise == "arch_hold":
        analysis = analyze_frames(frames, settings, report)
        doc, table = analysis.to_json(), format_table(analysis)
    else:
        exercise = analyze_exercise(frames, args.exercise, settings, report)
        doc, table = exercise.to_json(), format_exercise_table(exercise)
    if show_progress:
        print(" " * 60, end="\r", file=sys.stderr)
    print(json.dumps(doc, indent=2) if args.json else table)
    return 0
