"""``insole-monitor serve``: sampler, monitor, feedback and dashboard in one process.

Exactly one thread touches I2C (the sampler) and GPIO callbacks go through the monitor's
lock, so the process can run unattended for hours. Start-up order: open the session log
(marks sessions a previous crash left open as interrupted), open the ADC (never a silent
fallback: a Pi whose I2C bus exists but whose ADC does not answer is an error), build the
monitor, start sampling, then serve. Shutdown on SIGTERM/SIGINT runs the same steps
backwards: streams end, the open set is closed and flushed, GPIO and the bus are released.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask

from dashboard import create_app, sse
from dashboard.access import get_state as get_access_state
from dashboard.access import start_button_pairing
from firmware.adc import Ads1x15Adc, open_adc, resolve_backend
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import SYSTEM_CLOCK
from firmware.config import SIDES, AdcConfig, DeviceConfig
from firmware.device_state import DeviceState
from firmware.feet_adc import FeetAdc
from firmware.foot_source import FootVolts, ForceSource, ReplaySource
from firmware.monitor import Feedback, Monitor, SourceInfo, stored_settings
from firmware.process_tuning import tune_for_serving
from firmware.realtime import SAMPLER_PRIORITY
from firmware.request_gate import RequestGate
from firmware.sampler import Sampler
from firmware.server_log import quiet_dropped_connections
from insole.errors import InsoleError
from insole.frames import SENSORS
from insole.recording_csv import read_recording
from insole.sensor_model import Divider
from insole.sim_script import Script, default_session
from insole.simulator import SimulatedFoot
from insole.store import SessionLog

log = logging.getLogger(__name__)

SOURCES = ("auto", "hardware", "emulated", "replay")
SERVER_THREADS = 24
"""Each streaming tablet holds one waitress thread; 24 leaves room for 16+ tablets and
ordinary page requests (waitress's default of 4 starves with a few live pages)."""

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ServiceError(InsoleError, RuntimeError):
    """The service cannot start as asked; the message says what to change."""


@dataclass(frozen=True)
class Unplug:
    """A sensor of the emulated insole unplugged for a while (the sensor-fault path).

    It comes loose ``at_s`` seconds after start, for ``for_s`` seconds (``None``: for good).
    ``side`` names the insole when two run (``--feet both``), else it is ``None``.
    """

    sensor: str
    at_s: float
    for_s: float | None = None
    side: str | None = None

    @classmethod
    def parse(cls, text: str) -> Unplug:
        """``[SIDE:]SENSOR@AT[+FOR]`` (seconds), e.g. ``big_toe@10+5`` or ``left:heel@3``."""
        usage = (
            "--unplug must be [left:|right:]SENSOR@AT[+FOR] (e.g. big_toe@10+5, "
            f"right:heel@3), got {text!r}"
        )
        target, sep, when = text.partition("@")
        if not sep:
            raise ServiceError(usage)
        side, colon, sensor = target.rpartition(":")
        if colon and side not in SIDES:
            raise ServiceError(f"--unplug insole must be {' or '.join(SIDES)}: {text!r}")
        if sensor not in SENSORS:
            raise ServiceError(f"--unplug sensor must be one of {', '.join(SENSORS)}: {text!r}")
        at, plus, duration = when.partition("+")
        try:
            at_s = float(at)
            for_s = float(duration) if plus else None
        except ValueError as err:
            raise ServiceError(usage) from err
        if not 0.0 <= at_s <= 86_400.0 or (for_s is not None and not 0.0 < for_s <= 86_400.0):
            raise ServiceError(f"--unplug times must be from 0 to 86400 s: {text!r}")
        return cls(sensor, at_s, for_s, side or None)


def schedule_unplugs(
    bus: EmulatedI2CBus, chips: Mapping[str | None, AdcConfig], unplugs: Sequence[Unplug]
) -> None:
    """Plan each unplug on ``bus``, counted from now; ``chips``: the ADC config per side.

    One insole is the side ``None``; an unplug naming a side that is not there (or none
    when two run) is refused with the form that fits.
    """
    start_s = SYSTEM_CLOCK.monotonic()
    for fault in unplugs:
        if fault.side not in chips:
            given = f"{fault.side}:{fault.sensor}" if fault.side else fault.sensor
            one = None in chips
            form = "SENSOR@AT" if one else f"{'|'.join(SIDES)}:SENSOR@AT"
            raise ServiceError(
                f"--unplug {given}: with {'one insole' if one else 'two insoles'} write {form}"
            )
        config = chips[fault.side]
        chip = bus.chip(config.address)
        channel: int = config.channels[fault.sensor]
        bus.schedule(start_s + fault.at_s, functools.partial(chip.disconnect_sensor, channel))
        if fault.for_s is not None:
            end_s = start_s + fault.at_s + fault.for_s
            bus.schedule(end_s, functools.partial(chip.reconnect_sensor, channel))


def _plan_unplugs(
    adc_config: AdcConfig, volts: FootVolts, unplugs: tuple[Unplug, ...], bus_hz: float | None
) -> EmulatedI2CBus:
    """An emulated bus whose chip loses the given sensors at the planned times."""
    chip = EmulatedAds1x15(adc_config.model, adc_config.address, volts)
    bus = EmulatedI2CBus([chip], bus_hz=bus_hz)
    schedule_unplugs(bus, {None: adc_config}, unplugs)
    return bus


@dataclass
class ServiceOptions:
    """Everything ``serve`` can be told."""

    source: str = "auto"
    replay_file: Path | None = None
    replay_right: Path | None = None  # --feet both: the right foot's recording
    speed: float = 1.0
    loop: bool = True
    script: str | None = None
    seed: int = 0
    host: str = "127.0.0.1"
    port: int = 5000
    rate_hz: float = 100.0
    data_dir: Path | None = None
    gpio: bool = True
    led: str = "rgb"
    buzzer: str = "tonal"
    bus_hz: float | None = 400_000.0
    device: DeviceConfig = field(default_factory=DeviceConfig)
    unplug: tuple[Unplug, ...] = ()


def open_source(
    options: ServiceOptions, divider: Divider
) -> tuple[Ads1x15Adc, SourceInfo]:
    """Open the ADC the options ask for and describe it for the dashboard."""
    adc_config = options.device.adc
    if options.source not in SOURCES:
        raise ServiceError(f"source must be one of {', '.join(SOURCES)}, got {options.source!r}")
    if options.source == "replay":
        if options.replay_file is None:
            raise ServiceError("--source replay needs a recording: --replay FILE.csv")
        frames = read_recording(options.replay_file)
        force_source: ForceSource = ReplaySource(frames, speed=options.speed, loop=options.loop)
        kind, what = "replay", f"replay of {options.replay_file.name} at {options.speed:g}x"
    else:
        backend = resolve_backend(options.source, adc_config)
        if backend == "hardware" and options.unplug:
            raise ServiceError("--unplug works on the emulated insole only")
        if backend == "hardware":
            adc = open_adc(adc_config, "hardware")
            return adc, SourceInfo("hardware", False, adc.description)
        script = Script.parse(options.script) if options.script else default_session()
        force_source = SimulatedFoot(script, seed=options.seed, loop=options.loop)
        kind, what = "emulated", "simulated foot" + (" (custom script)" if options.script else "")
        if options.source == "auto":
            log.warning("no I2C bus on this machine: running on the SIMULATED insole")
    volts = FootVolts(force_source, adc_config, divider=divider)
    if options.unplug:
        # The emulated bus needs nothing freed, so handing it over is enough.
        bus = _plan_unplugs(adc_config, volts, options.unplug, options.bus_hz)
        adc = open_adc(adc_config, "emulated", emulator=bus)
    else:
        adc = open_adc(adc_config, "emulated", source=volts, bus_hz=options.bus_hz)
    return adc, SourceInfo(kind, True, f"{what} on an {adc.description}")


def open_feedback(options: ServiceOptions) -> Feedback | None:
    """The LED, buzzer and button; disabled (announced in the log) where GPIO is unusable."""
    if not options.gpio:
        log.info("GPIO feedback off (--no-gpio)")
        return None
    from firmware.feedback import open_feedback as open_devices  # noqa: PLC0415 (gpiozero)

    return open_devices(options.device.pins, led=options.led, buzzer=options.buzzer)


def _abort_stalled_connections(socket_map: dict[int, Any]) -> None:
    """Let the kernel free tablets that vanished or stopped reading (see dashboard/sse.py)."""
    from waitress.server import BaseWSGIServer  # noqa: PLC0415 (only the service needs it)

    listeners = [d.socket for d in socket_map.values() if isinstance(d, BaseWSGIServer)]
    applied = [sse.abort_stalled_connections(sock) for sock in listeners]  # every one
    if not all(applied):
        log.warning(
            "no TCP_USER_TIMEOUT here: a tablet that vanishes keeps its live stream until "
            "the system gives up on the connection (many minutes)"
        )


def wire_button(feedback: Feedback, monitor: Monitor, app: Flask) -> None:
    """The device button: short press start/stop, held 2 s tare, held 6 s open pairing.

    Firmware knows nothing of the dashboard; here, where both are built, the pairing
    gesture is given the dashboard's ``start_button_pairing`` bound to this app, and a
    check of whether the window is still open (the blue LED stops once a tablet paired).
    """

    def window_open() -> bool:
        # Looked up at each call: the access database opens on first use, not at start-up.
        return get_access_state(app).store.button_window_open()

    feedback.bind_button(monitor.toggle_set, monitor.tare_quietly)
    feedback.bind_pairing(functools.partial(start_button_pairing, app), window_open)


class Service:
    """The running service; ``run`` blocks until a signal or ``stop``."""

    def __init__(self, options: ServiceOptions) -> None:
        self.options = options
        self._stack = ExitStack()
        self._stopped = threading.Event()
        self.stopping = False
        self.server: Any = None
        self.monitor: Monitor | None = None
        self.sampler: Sampler | None = None

    def start(self) -> None:
        """Open everything and start sampling; the server is created but not yet run."""
        import waitress  # noqa: PLC0415 (only the service needs it)

        options = self.options
        stack = self._stack
        try:
            path = (
                options.data_dir / "sessions.sqlite3" if options.data_dir
                else SessionLog.default_path()
            )
            store = stack.enter_context(SessionLog(path))
            log.info("session log: %s", path)
            interrupted = store.list_sessions()
            stale = [s.id for s in interrupted if s.status == "interrupted"]
            if stale:
                log.warning("sessions interrupted by an earlier stop: %s", stale)
            settings = stored_settings(store)
            divider = Divider(settings.supply_v, settings.r_fixed_ohm)
            adc: Ads1x15Adc | FeetAdc
            if options.device.feet == "both":
                # Imported here: it builds on this module's options.
                from firmware.feet_monitor import FeetMonitor  # noqa: PLC0415
                from firmware.feet_service import open_feet_source  # noqa: PLC0415

                adc, info = open_feet_source(options, divider)
                monitor_class: type[Monitor] = FeetMonitor
            else:
                adc, info = open_source(options, divider)
                monitor_class = Monitor
            stack.callback(adc.close)
            log.info("insole: %s", info.description)
            feedback = open_feedback(options)
            self.monitor = monitor = monitor_class(
                store, info, feedback=feedback, state=DeviceState.beside(path)
            )
            stack.callback(monitor.close)
            monitor.restore_runner()
            monitor.restore_guided()
            # Before the sampler and server threads start.
            stack.callback(sys.setswitchinterval, tune_for_serving())
            self.sampler = sampler = Sampler(
                adc, [monitor], rate_hz=options.rate_hz, realtime_priority=SAMPLER_PRIORITY
            )
            stack.callback(sampler.close)
            app = create_app(
                {
                    "INSOLE_BIND_HOST": options.host,
                    "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": info.simulated,
                    "INSOLE_DATA_DIR": str(path.parent),
                },
                monitor=monitor,
            )
            if feedback is not None:
                wire_button(feedback, monitor, app)
            socket_map: dict[int, Any] = {}
            self.server = waitress.create_server(
                RequestGate(app),
                map=socket_map,
                host=options.host,
                port=options.port,
                threads=SERVER_THREADS,
                channel_timeout=60,
                ident="insole-monitor",
            )
            _abort_stalled_connections(socket_map)
            quiet_dropped_connections()  # those aborted connections: one line each
            sampler.start()
            if info.simulated and options.host in LOCAL_HOSTS:
                log.info("pairing off: simulated insole on this computer only (local development)")
            else:
                log.info("to pair a tablet, run `sudo insole-monitor pair` and enter its code")
                if feedback is not None:
                    log.info("... or hold the device button until the LED blinks blue")
        except BaseException:
            stack.close()
            raise

    @property
    def url(self) -> str:
        """Where the dashboard answers."""
        host = self.options.host
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        return f"http://{shown}:{self.server.effective_port}/"

    def run(self) -> None:
        """Serve until ``stop`` (or a signal handler calling it)."""
        try:
            log.info("dashboard on %s", self.url)
            self.server.run()
        finally:
            self.close()

    def stop(self) -> None:
        """End the server loop from another thread (tests, embedding); idempotent."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.end_streams()
        if self.server is not None:
            # Closing every channel empties waitress's socket map, which ends its loop.
            from waitress import wasyncore  # noqa: PLC0415

            wasyncore.close_all(getattr(self.server, "_map", None))

    def end_streams(self) -> None:
        """End every live stream so that each frees its server thread."""
        if self.monitor is not None:
            self.monitor.close_streams()

    def close(self) -> None:
        """Stop sampling, close the open set, release GPIO and the bus (idempotent)."""
        self._stack.close()


@contextmanager
def signals_stop(service: Service) -> Iterator[None]:
    """SIGTERM (systemd) and SIGINT (Ctrl-C) end the service cleanly."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if service.stopping:
            return  # a second signal must not interrupt the orderly shutdown
        service.stopping = True
        log.info("signal %s: shutting down", signal.Signals(signum).name)
        service.end_streams()
        # Raised in the main thread inside waitress's loop, which catches SystemExit and
        # shuts its task threads down; ``run`` then closes everything else in order.
        raise SystemExit(0)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def serve(options: ServiceOptions) -> int:
    """Run the service in the foreground; returns the exit status."""
    started = time.monotonic()
    service = Service(options)
    service.start()
    log.info("started in %.2f s", time.monotonic() - started)
    with signals_stop(service):
        service.run()
    return 0
