"""``serve --feet both``: open both insoles' chips with a foot model each.

- ``hardware``: the two ADS1115 on the Pi's bus (0x48 left, 0x49 right); a right chip
  that does not answer at start is waited for (its foot shows "no readings" until it
  answers), a missing left chip is an error;
- ``emulated``: the simulator drives both feet: the same script (the runner does the
  exercise with both feet at once, same effort), the right foot ``RIGHT_LAG_S`` behind the
  left and carrying ``RIGHT_LOAD_FACTOR`` of its load, a plausible asymmetry that the
  symmetry figures then show;
- ``replay``: a two-foot recording is two recording CSVs, one per foot, as the review
  exports them per session (``--replay LEFT.csv --replay-right RIGHT.csv``); without
  ``--replay-right`` both feet replay the same file (announced in the log).
"""

from __future__ import annotations

import logging

from firmware.adc import resolve_backend
from firmware.config import SIDES
from firmware.feet_adc import FeetAdc, emulated_feet_bus, open_feet_adc
from firmware.foot_source import FootVolts, ForceSource, FunctionSource, ReplaySource
from firmware.monitor import SourceInfo
from firmware.service import SOURCES, ServiceError, ServiceOptions, schedule_unplugs
from insole.recording_csv import read_recording
from insole.sensor_model import Divider
from insole.sim_script import Script, default_session
from insole.simulator import SimulatedFoot

log = logging.getLogger(__name__)

RIGHT_LOAD_FACTOR = 0.85
"""The simulated right foot's load relative to the left (a mild, visible asymmetry)."""
RIGHT_LAG_S = 0.4
"""The simulated right foot follows the left this much later (nobody presses both feet in
the same instant), so the two feet's sway and state changes do not coincide."""


def scaled(source: ForceSource, factor: float, lag_s: float = 0.0) -> FunctionSource:
    """``source`` with every force multiplied by ``factor``, ``lag_s`` seconds late."""

    def forces(t_s: float) -> tuple[float, float, float]:
        heel_n, little_toe_n, big_toe_n = source.forces_at(max(0.0, t_s - lag_s))
        return (heel_n * factor, little_toe_n * factor, big_toe_n * factor)

    return FunctionSource(forces)


def _force_sources(options: ServiceOptions) -> tuple[dict[str, ForceSource], str, str]:
    """Per-foot force sources, the source kind and its description."""
    if options.source == "replay":
        if options.replay_file is None:
            raise ServiceError("--source replay needs a recording: --replay FILE.csv")
        right_file = options.replay_right or options.replay_file
        if options.replay_right is None:
            log.warning("no --replay-right: both feet replay %s", options.replay_file.name)
        sources: dict[str, ForceSource] = {
            side: ReplaySource(read_recording(path), speed=options.speed, loop=options.loop)
            for side, path in (("left", options.replay_file), ("right", right_file))
        }
        what = (
            f"replay of {options.replay_file.name} (left) and {right_file.name} (right) "
            f"at {options.speed:g}x"
        )
        return sources, "replay", what
    script = Script.parse(options.script) if options.script else default_session()
    left = SimulatedFoot(script, seed=options.seed, loop=options.loop)
    right = SimulatedFoot(script, seed=options.seed, loop=options.loop)
    what = "two simulated feet" + (" (custom script)" if options.script else "")
    return {"left": left, "right": scaled(right, RIGHT_LOAD_FACTOR, RIGHT_LAG_S)}, "emulated", what


def open_feet_source(options: ServiceOptions, divider: Divider) -> tuple[FeetAdc, SourceInfo]:
    """Open both insoles as the options ask and describe them for the dashboard."""
    device = options.device
    if options.source not in SOURCES:
        raise ServiceError(f"source must be one of {', '.join(SOURCES)}, got {options.source!r}")
    if options.source != "replay":
        backend = resolve_backend(options.source, device.adc)
        if backend == "hardware" and options.unplug:
            raise ServiceError("--unplug works on the emulated insoles only")
        if backend == "hardware":
            adc = open_feet_adc(device, "hardware", wait_for_right=True)
            return adc, SourceInfo("hardware", False, adc.description, feet="both")
        if options.source == "auto":
            log.warning("no I2C bus on this machine: running on two SIMULATED insoles")
    forces, kind, what = _force_sources(options)
    volts = {
        side: FootVolts(source, device.adc_for(side), divider=divider)
        for side, source in forces.items()
    }
    if options.unplug:
        bus = emulated_feet_bus(device, volts, bus_hz=options.bus_hz)
        schedule_unplugs(bus, {side: device.adc_for(side) for side in SIDES}, options.unplug)
        adc = open_feet_adc(device, "emulated", emulator=bus)
    else:
        adc = open_feet_adc(device, "emulated", volts, bus_hz=options.bus_hz)
    return adc, SourceInfo(kind, True, f"{what} on {adc.description}", feet="both")
