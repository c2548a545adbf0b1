"""``insole-monitor doctor``: check a Pi installation and say what to fix.

Prints one line per check (``OK``, ``WARN``, ``FAIL``, ``SKIP``) with a ``fix:`` line under
each problem; the exit status is 1 when any check failed. The checks themselves live in
``firmware.doctor``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from firmware.config import AdcConfig, DeviceConfig

NAME = "doctor"
HELP = "check I2C, the ADC and its channels, GPIO and the data directory; print what to fix"


def _address(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an address; use e.g. 0x48 (allowed 0x48 to 0x4b)"
        ) from None
    if not 0x48 <= value <= 0x4B:
        raise argparse.ArgumentTypeError(
            f"0x{value:02x} is not an ADS1x15 address; allowed 0x48, 0x49, 0x4a, 0x4b"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    defaults = AdcConfig()
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="skip the checks that ask you to press each sensor (automatic when stdin is "
        "not a terminal)",
    )
    parser.add_argument(
        "--i2c-bus",
        type=int,
        default=defaults.i2c_bus,
        metavar="N",
        help="I2C bus number (default %(default)s: /dev/i2c-1)",
    )
    parser.add_argument(
        "--address", type=_address, default=defaults.address, help="ADC I2C address (default 0x48)"
    )
    parser.add_argument(
        "--feet",
        choices=("one", "both"),
        default="one",
        help="both: check the second insole's ADC too (right foot, --right-address)",
    )
    parser.add_argument(
        "--right-address",
        type=_address,
        default=DeviceConfig().right_address,
        help="the right insole's ADC address with --feet both (default 0x49: ADDR to VDD)",
    )
    parser.add_argument(
        "--adc-model",
        choices=("ADS1115", "ADS1015"),
        default=defaults.model,
        help="ADC chip (default %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory to check (default: $INSOLE_DATA_DIR or the user data directory)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as a JSON list instead of lines"
    )


def run(args: argparse.Namespace) -> int:
    """Run the checks; exit status 1 if any failed."""
    # Imported here so that `insole-monitor --help` does not load gpiozero.
    from firmware import doctor  # noqa: PLC0415
    from firmware.gpio import release_default_pin_factory  # noqa: PLC0415

    interactive = not args.non_interactive and not args.json and sys.stdin.isatty()
    base = DeviceConfig()
    adc = AdcConfig(
        model=args.adc_model,
        i2c_bus=args.i2c_bus,
        address=args.address,
        gain=base.adc.gain,
        data_rate_sps=base.adc.data_rate_sps,
        channels=dict(base.adc.channels),
    )
    options = doctor.DoctorOptions(
        config=DeviceConfig(
            adc=adc, pins=base.pins, feet=args.feet, right_address=args.right_address
        ),
        data_dir=args.data_dir,
        interactive=interactive,
    )

    def report(result: doctor.CheckResult) -> None:
        if not args.json:
            print(doctor.format_result(result), flush=True)

    def prompt(text: str) -> None:
        print(f">>> {text}", flush=True)

    if not args.json:
        print("insole-monitor doctor: checking this installation", flush=True)
    try:
        results = doctor.run_checks(options, report=report, prompt=prompt)
    finally:
        release_default_pin_factory()
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        print(doctor.format_summary(results))
    return doctor.exit_status(results)
