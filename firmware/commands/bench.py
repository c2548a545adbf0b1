"""``insole-monitor bench``: acquisition scan rate and CPU, and the fault soak.

On a Pi with the ADC attached, ``insole-monitor bench`` alone measures that Pi (the ``auto``
backend picks the hardware); elsewhere it runs on the emulated chip with realistic
conversion times and 400 kHz bus timing.
"""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = "measure acquisition scan rate and CPU use (and optionally a fault soak)"


def _rates(text: str) -> tuple[int, ...]:
    try:
        rates = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"--rates takes data rates in SPS separated by commas, e.g. 128,475,860; got {text!r}"
        ) from err
    if not rates:
        raise argparse.ArgumentTypeError("--rates needs at least one data rate")
    return rates


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``bench``."""
    parser.add_argument(
        "--backend",
        choices=("auto", "hardware", "emulated"),
        default="auto",
        help="ADC backend (default auto: the Pi's I2C bus if present, else the emulated chip)",
    )
    parser.add_argument(
        "--rates",
        type=_rates,
        default=None,
        help="data rates in SPS, comma-separated (default 128,475,860; ADS1015: 490,1600,3300)",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="seconds per reader and rate (default 3)"
    )
    parser.add_argument(
        "--rounds",
        type=_positive_int,
        default=3,
        help="slices the readers take in turn within those seconds; medians are shown "
        "(default 3)",
    )
    parser.add_argument(
        "--bus-khz",
        type=float,
        choices=(100.0, 400.0),
        default=400.0,
        help="emulated I2C wire time (default 400 kHz)",
    )
    parser.add_argument(
        "--soak-minutes",
        type=float,
        default=0.0,
        help="also run the fault soak on the emulated chip for this many minutes (full: 10)",
    )
    parser.add_argument(
        "--soak-only", action="store_true", help="run only the fault soak, not the rate table"
    )
    parser.add_argument(
        "--fake-clock",
        action="store_true",
        help="emulated only: exact timing on a fake clock (the soak: minutes in seconds)",
    )
    parser.add_argument(
        "--feet",
        action="store_true",
        help="also compare two insoles (two ADCs, 0x48 and 0x49) with one at the top rate",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=0.01,
        help="share of I2C transfers that fail during the soak (default 0.01)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print the tables; exit status 1 if a target is missed."""
    # Heavy imports only when the command runs (the CLI itself stays cheap).
    from firmware.acquisition_bench import (  # noqa: PLC0415
        format_rates,
        format_soak,
        run_rates,
        run_soak,
        targets_met,
    )
    from firmware.adc import AdcConfigError, resolve_backend  # noqa: PLC0415
    from firmware.clock import FakeClock  # noqa: PLC0415
    from firmware.config import AdcConfig  # noqa: PLC0415

    config = AdcConfig()
    ok = True
    if not args.soak_only:
        backend = resolve_backend(args.backend, config)
        default_rates = (128, 475, 860) if config.model == "ADS1115" else (490, 1600, 3300)
        bus_hz = args.bus_khz * 1000.0 if backend == "emulated" else None
        if args.fake_clock and backend != "emulated":
            raise AdcConfigError("--fake-clock needs the emulated ADC (--backend emulated)")
        description, results, notes = run_rates(
            backend,
            args.rates or default_rates,
            args.seconds,
            bus_hz or 400_000,
            config,
            fake_clock=args.fake_clock,
            rounds=args.rounds,
        )
        print(format_rates(description, results, bus_hz, fake_clock=args.fake_clock, notes=notes))
        ok &= all(targets_met(results))
        if args.feet:
            from firmware.feet_bench import format_feet_rate, run_feet_rate  # noqa: PLC0415

            top_rate = max(args.rates or default_rates)
            feet_description, feet_result = run_feet_rate(
                backend, top_rate, args.seconds, bus_hz, fake_clock=args.fake_clock
            )
            print()
            print(format_feet_rate(feet_description, feet_result, fake_clock=args.fake_clock))
    if args.soak_minutes > 0.0 or args.soak_only:
        minutes = args.soak_minutes or 10.0
        clock = FakeClock() if args.fake_clock else None
        if not args.soak_only:
            print()
        result = run_soak(minutes * 60.0, error_rate=args.error_rate, clock=clock)
        print(format_soak(result, fake_clock=clock is not None))
        ok &= result.passed
    return 0 if ok else 1
