"""``insole-monitor serve``: run the monitor and its dashboard."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

NAME = "serve"
HELP = "run the monitor: sample the insole, count holds, serve the dashboard"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Source, network and storage options."""
    parser.add_argument(
        "--source",
        choices=("auto", "hardware", "emulated", "replay"),
        default="auto",
        help="auto (default): the ADS1115 on a Pi, else the simulated insole (announced); "
        "hardware: fail unless the ADC answers; emulated: the simulated insole; "
        "replay: play a recording through the emulated ADC (needs --replay)",
    )
    parser.add_argument("--replay", type=Path, metavar="FILE.csv", help="recording to replay")
    parser.add_argument(
        "--feet",
        choices=("one", "both"),
        default="one",
        help="one (default): one insole, ADC at 0x48; both: a second ADS1115 at 0x49 (ADDR "
        "to VDD) for the right foot, the left one at 0x48",
    )
    parser.add_argument(
        "--replay-right",
        type=Path,
        metavar="FILE.csv",
        help="--feet both: the right foot's recording (default: --replay for both feet)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed factor (1)")
    parser.add_argument(
        "--no-loop", action="store_true", help="play the script/recording once, then rest"
    )
    parser.add_argument(
        "--script",
        metavar="TEXT",
        help='simulator script, e.g. "rest 3; hold 9; rest 4; hold 5" (default: a set of 10)',
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator random seed (0)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (127.0.0.1; use 0.0.0.0 so tablets on the network reach it)",
    )
    parser.add_argument("--port", type=int, default=5000, help="port (5000)")
    parser.add_argument("--rate", type=float, default=100.0, help="frames per second (100)")
    parser.add_argument(
        "--data-dir", type=Path, help="where the session log lives (default: INSOLE_DATA_DIR "
        "or the per-user data directory)"
    )
    parser.add_argument("--no-gpio", action="store_true", help="no LED, buzzer or button")
    parser.add_argument(
        "--led", choices=("rgb", "single", "none"), default="rgb",
        help="status LED: rgb (common-cathode RGB, default), single (one LED on the green "
        "pin) or none",
    )
    parser.add_argument(
        "--buzzer", choices=("tonal", "active", "none"), default="tonal",
        help="tonal (passive piezo, default), active (buzzer with its own oscillator) or none",
    )
    parser.add_argument(
        "--unplug",
        action="append",
        default=[],
        metavar="[SIDE:]SENSOR@AT[+FOR]",
        help="emulated insoles only: unplug a sensor AT seconds after start, for FOR seconds "
        "(default: for good), e.g. big_toe@10+5; with --feet both name the insole, e.g. "
        "right:heel@3; repeatable (shows the sensor-fault path)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")


def run(args: argparse.Namespace) -> int:
    """Start the service in the foreground until SIGTERM or Ctrl-C."""
    from firmware.config import DeviceConfig  # noqa: PLC0415
    from firmware.service import ServiceOptions, Unplug, serve  # noqa: PLC0415 (heavy imports)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.replay is not None and args.source == "auto":
        args.source = "replay"
    options = ServiceOptions(
        source=args.source,
        replay_file=args.replay,
        replay_right=args.replay_right,
        device=DeviceConfig(feet=args.feet),
        speed=args.speed,
        loop=not args.no_loop,
        script=args.script,
        seed=args.seed,
        host=args.host,
        port=args.port,
        rate_hz=args.rate,
        data_dir=args.data_dir,
        gpio=not args.no_gpio,
        led=args.led,
        buzzer=args.buzzer,
        unplug=tuple(Unplug.parse(text) for text in args.unplug),
    )
    return serve(options)
