"""``python -m benchmarks``: run every measurement, print the table, rewrite BENCHMARKS.md.

Exit status: 0 when every target is met, 1 when a figure misses its target, 2 when a
measurement could not run at all.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmarks import all as bench


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in bench.NAMES]
    if unknown or not names:
        what = f"unknown measurement {', '.join(unknown)}" if unknown else "no measurement named"
        raise argparse.ArgumentTypeError(f"{what}; choose from {', '.join(bench.NAMES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print, write."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run every benchmark; print figures with targets and PASS/FAIL; "
        "rewrite BENCHMARKS.md.",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="a smoke run of about a minute with shortened measurements (does not rewrite "
        "BENCHMARKS.md unless --output is given)",
    )
    parser.add_argument(
        "--only", type=_names, action="append", metavar="NAME[,NAME]",
        help=f"run only these measurements ({', '.join(bench.NAMES)}); does not rewrite "
        "BENCHMARKS.md unless --output is given",
    )
    parser.add_argument(
        "--output", type=Path, metavar="FILE",
        help=f"where to write the report (default {bench.DEFAULT_OUTPUT.name} in the "
        "checkout, for a full run)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write no file")
    args = parser.parse_args(argv)
    names = [n for group in args.only for n in group] if args.only else list(bench.NAMES)
    shown = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m benchmarks", *(shlex.quote(a) for a in shown)])

    report = bench.run(names, args.quick, command)
    print()
    print(bench.format_table(report))
    failed = report.failed
    print(f"\n{len(failed)} target(s) missed" + (f": {', '.join(failed)}" if failed else ""))
    print(f"load average before {report.load_before}, after {report.load_after}")

    output = args.output
    if output is None and not args.quick and not args.only:
        output = bench.DEFAULT_OUTPUT
    if args.no_write or output is None:
        print("no report written (use --output FILE to write one)")
    else:
        output.write_text(bench.format_markdown(report))
        print(f"wrote {output}")
    if any(outcome.error for _m, outcome in report.outcomes):
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
