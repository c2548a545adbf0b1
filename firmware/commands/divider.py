"""``insole-monitor divider``: recommend the divider resistor and ADC gain.

Pure calculation (no hardware): evaluates standard resistor values and every ADS1x15
full-scale range against the expected loads and prints the best pair, the force
resolution per sensor and the whole candidate table. See ``hardware.divider``.
"""

from __future__ import annotations

import argparse

from hardware.divider import (
    ADS1X15_FULL_SCALE_V,
    LOAD_CASES,
    DesignInputs,
    LoadCase,
    e_series,
    puck_area_cm2,
    recommend,
    report,
)
from insole.errors import InsoleError
from insole.frames import SENSORS
from insole.sensor_model import FsrCurve

NAME = "divider"
HELP = "recommend the divider resistor and ADC gain for given loads, supply and FSR curve"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="SENSOR=LOW:HIGH",
        help=(
            "expected force range on one sensor in newtons, e.g. heel=2:40 (repeatable; "
            f"sensors: {', '.join(SENSORS)}). Default: the built-in seated/standing/squat cases"
        ),
    )
    parser.add_argument("--supply-v", type=float, default=3.3, help="divider supply (default 3.3)")
    parser.add_argument(
        "--r-at-1n-ohm", type=float, default=None, help="FSR resistance at 1 N (default 12000)"
    )
    parser.add_argument(
        "--exponent", type=float, default=None, help="FSR power-law exponent (default 0.85)"
    )
    parser.add_argument("--adc", choices=("ADS1115", "ADS1015"), default="ADS1115")
    parser.add_argument("--series", choices=("E12", "E24"), default="E12")
    parser.add_argument("--r-min-ohm", type=float, default=1_000.0)
    parser.add_argument("--r-max-ohm", type=float, default=47_000.0)
    parser.add_argument(
        "--overload-factor", type=float, default=1.5, help="margin over the highest load"
    )
    parser.add_argument(
        "--area-cm2", type=float, default=None, help="loaded (puck) area, default 12 mm disc"
    )
    parser.add_argument(
        "--max-current-ma",
        type=float,
        default=None,
        help="FSR current limit (default 1 mA per cm² of loaded area)",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="OHM[@GAIN]",
        help="also score this resistor (and gain, default 1), e.g. 3300@1 (repeatable)",
    )


def _parse_load(text: str) -> tuple[str, tuple[float, float]]:
    sensor, sep, rng = text.partition("=")
    lo_text, sep2, hi_text = rng.partition(":")
    try:
        if not (sep and sep2):
            raise ValueError(text)
        return sensor.strip(), (float(lo_text), float(hi_text))
    except ValueError as err:
        raise InsoleError(f"--load must look like heel=2:40 (newtons), got {text!r}") from err


def _parse_compare(text: str) -> tuple[float, float]:
    ohm_text, _, gain_text = text.partition("@")
    try:
        gain = 2 / 3 if gain_text.strip() == "2/3" else float(gain_text or 1)
        return float(ohm_text), gain
    except ValueError as err:
        raise InsoleError(f"--compare must look like 3300 or 3300@2, got {text!r}") from err


def run(args: argparse.Namespace) -> int:
    """Print the recommendation; bad inputs raise an ``InsoleError`` with the reason."""
    default_curve = FsrCurve()
    curve = FsrCurve(
        default_curve.r_at_1n_ohm if args.r_at_1n_ohm is None else args.r_at_1n_ohm,
        default_curve.exponent if args.exponent is None else args.exponent,
    )
    area = puck_area_cm2() if args.area_cm2 is None else args.area_cm2
    load_cases = LOAD_CASES
    if args.load:
        forces = dict(_parse_load(text) for text in args.load)
        load_cases = (LoadCase.from_forces("custom", forces, area),)
    compare = [_parse_compare(text) for text in args.compare]
    for _, gain in compare:
        if gain not in ADS1X15_FULL_SCALE_V:
            raise InsoleError(f"--compare gain must be one of 2/3, 1, 2, 4, 8, 16; got {gain:g}")
    inputs = DesignInputs(
        curve=curve,
        supply_v=args.supply_v,
        area_cm2=area,
        overload_factor=args.overload_factor,
        adc_model=args.adc,
        resistors_ohm=tuple(e_series(args.r_min_ohm, args.r_max_ohm, args.series)),
        max_current_a=None if args.max_current_ma is None else args.max_current_ma / 1e3,
        load_cases=load_cases,
    )
    print(report(recommend(inputs), compare=compare), end="")
    return 0
