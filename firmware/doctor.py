"""Health checks of a Pi installation, each a plain function returning a :class:`CheckResult`.

``insole-monitor doctor`` (``firmware.commands.doctor``) runs them in order through
:func:`run_checks` and prints one line per check with how to fix what is wrong:

================ =====================================================================
check            looks at
================ =====================================================================
platform         Raspberry Pi model (``/proc/device-tree/model``), OS release, Python
i2c bus          ``/dev/i2c-<bus>`` exists (I2C enabled)
i2c access       this user may open it (group ``i2c``) and is in group ``gpio``
service          the systemd service is stopped (else it owns the ADC and the pins)
adc              an ADS1x15 answers at the configured address (other addresses probed)
channel <name>   unloaded voltage plausible: not saturated, not floating, near 0 V
press <name>     pressing the point raises its own channel and no other (interactive)
gpio             which pin factory gpiozero picks and whether the feedback pins are free
data directory   the session log's directory can be created and written, free space
================ =====================================================================

With two insoles (``DeviceConfig.feet == "both"``, ``doctor --feet both``) the ``adc``,
``channel`` and ``press`` checks run for each chip, named ``adc (left)`` (0x48) and
``adc (right)`` (0x49); a chip found at another address never names the other insole's.

Statuses: ``OK``, ``WARN`` (works, but worth a look), ``FAIL`` (will not work; the exit
status is non-zero), ``SKIP`` (could not be checked because an earlier check failed, or
not asked for).

The checks read the machine through a :class:`Host` (paths of ``/dev`` and ``/proc``
files) and the ADC through an opener following ``firmware.adc.open_adc``, so tests run
them on temporary directories and on the emulated chip.
"""

from __future__ import annotations

import dataclasses
import enum
import errno
import grp
import os
import platform
import pwd
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gpiozero.exc import GPIOPinInUse

from firmware.adc import open_adc
from firmware.config import SIDES, AdcConfig, DeviceConfig, PinConfig
from firmware.errors import (
    AdcNotFoundError,
    AdcReadError,
    GpioError,
    HardwareError,
    I2CBusMissingError,
)
from firmware.feedback import Feedback
from firmware.gpio import LGPIO_FIX, resolve_pin_factory
from insole.frames import SENSORS
from insole.store import DATA_DIR_ENV, DB_FILENAME, SessionLog

ADS1X15_ADDRESSES = (0x48, 0x49, 0x4A, 0x4B)
"""The four addresses the ADDR pin selects (GND, VDD, SDA, SCL)."""

ADDR_PIN_FOR = {0x48: "GND", 0x49: "VDD", 0x4A: "SDA", 0x4B: "SCL"}

UNLOADED_MAX_V = 0.25
"""An unloaded FSR is nearly an open circuit: its divider reads a few mV. Above this, the
sensor is pre-loaded (pinched, foot resting on it) or the divider is wired the wrong way."""

SATURATION_MARGIN_V = 0.1
"""Within this of the supply, a channel is "at the rail": shorted FSR or missing resistor."""

FLOATING_P2P_V = 0.2
"""Peak-to-peak wander of an unloaded channel above this means an unconnected input: an
ADS1x15 input with nothing driving it picks up charge from the multiplexer and drifts."""

NEGATIVE_V = -0.05
"""Below this a single-ended reading is impossible with correct wiring (ground offset)."""

PRESS_RISE_V = 0.3
"""A firm thumb press on an FSR in a 3.3 kΩ divider gives well over 1 V; 0.3 V is the least
rise that proves the sensor, its wires and its channel work."""

MIN_FREE_BYTES = 100 * 1024 * 1024
"""Below this free space on the data directory's disk, warn: raw frames take ~1 MB/hour."""

Volts3 = tuple[float, float, float]


class Status(enum.StrEnum):
    """Outcome of one check."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form (``doctor --json``)."""
        return {"name": self.name, "status": str(self.status), "detail": self.detail,
                "fix": self.fix}


class VoltsReader(Protocol):
    """What the doctor needs of an ADC (the ``firmware.adc.Adc`` contract)."""

    def read_volts(self) -> Volts3:
        """One scan: heel, little_toe and big_toe voltages."""

    def close(self) -> None:
        """Release the bus."""


AdcOpener = Callable[[AdcConfig], VoltsReader]


@dataclass(frozen=True)
class Host:
    """Where the checks look for facts about this machine (tests point it at tmp dirs)."""

    dev_dir: Path = Path("/dev")
    model_file: Path = Path("/proc/device-tree/model")
    os_release: Path = Path("/etc/os-release")

    def pi_model(self) -> str | None:
        """The board's model string if it is a Raspberry Pi, else ``None``."""
        try:
            model = self.model_file.read_bytes().decode("utf-8", "replace").strip("\x00\n ")
        except OSError:
            return None
        return model if "raspberry pi" in model.lower() else None

    def os_codename(self) -> str | None:
        """``VERSION_CODENAME`` of ``/etc/os-release`` (``bookworm``), if known."""
        try:
            text = self.os_release.read_text(encoding="utf-8")
        except OSError:
            return None
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key == "VERSION_CODENAME":
                return value.strip().strip('"') or None
        return None

    def i2c_device(self, bus: int) -> Path:
        """The character device of I2C bus ``bus``."""
        return self.dev_dir / f"i2c-{bus}"

    def gpio_chips(self) -> list[Path]:
        """The GPIO character devices (``/dev/gpiochip*``) lgpio opens."""
        return sorted(self.dev_dir.glob("gpiochip*"))


SERVICE_DOCTOR_COMMAND = (
    "cd /tmp && sudo -u insole INSOLE_DATA_DIR=/var/lib/insole-monitor insole-monitor doctor"
)
"""Doctor as the service's user and data directory (``cd``: lgpio needs a writable cwd)."""

ENABLE_I2C_FIX = (
    "enable I2C: `sudo raspi-config nonint do_i2c 0` (or raspi-config > Interface Options > "
    "I2C), then reboot"
)


# -- platform and I2C -------------------------------------------------------------------


def check_platform(host: Host) -> CheckResult:
    """Which board, OS and Python this is; warns off a Pi or off Bookworm."""
    model = host.pi_model()
    codename = host.os_codename()
    python = platform.python_version()
    os_text = f"OS {codename}" if codename else "OS unknown"
    if model is None:
        return CheckResult(
            "platform", Status.WARN,
            f"not a Raspberry Pi ({platform.machine()}, {os_text}, Python {python}); the "
            "hardware checks below cannot pass here",
            "on a PC use `insole-monitor serve --source emulated` (the emulated ADC); run "
            "this on the Pi with the insole attached",
        )
    if codename != "bookworm":
        return CheckResult(
            "platform", Status.WARN, f"{model}, {os_text}, Python {python}",
            "the install path is tested on Raspberry Pi OS Bookworm; other releases may "
            "need a different pin factory (see docs/raspberry-pi.md)",
        )
    return CheckResult("platform", Status.OK, f"{model}, {os_text}, Python {python}")


def check_i2c_bus(host: Host, bus: int) -> CheckResult:
    """``/dev/i2c-<bus>`` exists (the I2C interface is enabled)."""
    device = host.i2c_device(bus)
    if device.exists():
        return CheckResult("i2c bus", Status.OK, f"{device} exists")
    if host.pi_model() is None:
        return CheckResult(
            "i2c bus", Status.FAIL, f"{device} does not exist: this machine has no I2C bus",
            "run on a Raspberry Pi, or use the emulated ADC (`serve --source emulated`)",
        )
    return CheckResult("i2c bus", Status.FAIL, f"{device} does not exist: I2C is off",
                       ENABLE_I2C_FIX)


def user_groups() -> tuple[str, set[str], set[str]]:
    """The user name of this process, the groups it is in, and the groups that exist."""
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    member_of = set()
    for gid in {os.getgid(), *os.getgroups()}:
        try:
            member_of.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    existing = {g.gr_name for g in grp.getgrall()}
    return user, member_of, existing


def check_access(
    host: Host,
    bus: int,
    *,
    user: str,
    member_of: set[str],
    existing_groups: set[str],
    is_root: bool,
) -> CheckResult:
    """Check that the user may open the I2C device and is in groups ``i2c`` and ``gpio``."""
    device = host.i2c_device(bus)
    on_pi = host.pi_model() is not None
    missing = [g for g in ("i2c", "gpio") if g not in member_of]
    absent = [g for g in missing if g not in existing_groups]
    group_fix = (
        f"`sudo usermod -aG {','.join(missing)} {user}`, then log out and in again (the "
        "service user is set up by firmware/pi/install.sh)"
    )
    if device.exists() and not os.access(device, os.R_OK | os.W_OK):
        return CheckResult(
            "i2c access", Status.FAIL, f"permission denied on {device} for user {user}",
            group_fix if "i2c" in missing else f"check the owner and mode of {device} "
            "(`ls -l /dev/i2c-*`: expected group i2c, mode crw-rw----)",
        )
    if is_root:
        return CheckResult(
            "i2c access", Status.WARN,
            "running as root: root can open everything, so group membership is not tested",
            f"run doctor as the user that runs the service to test its permissions: "
            f"`{SERVICE_DOCTOR_COMMAND}`",
        )
    if absent and not on_pi:
        return CheckResult(
            "i2c access", Status.WARN,
            f"groups {', '.join(absent)} do not exist on this machine (not a Raspberry Pi)",
        )
    if missing:
        return CheckResult(
            "i2c access", Status.FAIL if on_pi else Status.WARN,
            f"user {user} is not in group(s) {', '.join(missing)}", group_fix,
        )
    return CheckResult("i2c access", Status.OK, f"user {user} is in groups i2c and gpio")


# -- ADC and channels -------------------------------------------------------------------


def open_hardware_adc(config: AdcConfig) -> VoltsReader:
    """``firmware.adc.open_adc(config, backend="hardware")``: the real bus, never emulated."""
    return open_adc(config, backend="hardware")


def _probe_other_addresses(
    config: AdcConfig, opener: AdcOpener, taken: Collection[int] = ()
) -> list[int]:
    found = []
    for address in ADS1X15_ADDRESSES:
        if address == config.address or address in taken:
            continue
        try:
            reader = opener(dataclasses.replace(config, address=address))
        except HardwareError:
            continue
        reader.close()
        found.append(address)
    return found


# One return per failure kind: each has its own fix text.
def check_adc(  # noqa: PLR0911
    config: AdcConfig, opener: AdcOpener, taken: Collection[int] = ()
) -> tuple[CheckResult, VoltsReader | None]:
    """The ADC answers at its address; on success the open reader is returned (caller closes).

    When it does not answer, the other ADS1x15 addresses (but not those ``taken`` by the
    other insole's chip) are tried so that a chip strapped to another address is named.
    """
    where = f"{config.model} at 0x{config.address:02x} on bus {config.i2c_bus}"
    try:
        reader = opener(config)
    except I2CBusMissingError as err:
        return CheckResult("adc", Status.FAIL, str(err), ENABLE_I2C_FIX), None
    except AdcNotFoundError as err:
        others = _probe_other_addresses(config, opener, taken)
        if others:
            names = ", ".join(f"0x{a:02x} (ADDR to {ADDR_PIN_FOR[a]})" for a in others)
            return CheckResult(
                "adc", Status.FAIL, f"nothing answers at 0x{config.address:02x}, but an "
                f"ADS1x15 answers at {names}",
                f"tie ADDR to {ADDR_PIN_FOR[config.address]} for 0x{config.address:02x}, or "
                f"run with the address the chip has (`--address 0x{others[0]:02x}`)",
            ), None
        return CheckResult(
            "adc", Status.FAIL, str(err),
            f"power the board off, check the four wires, then `sudo i2cdetect -y "
            f"{config.i2c_bus}` must show {config.address:02x}",
        ), None
    except AdcReadError as err:
        return CheckResult(
            "adc", Status.FAIL, f"{where} does not read reliably: {err}",
            "errno 121 (Remote I/O error) means a loose or long SDA/SCL wire or a missing "
            "ground: reseat the jumpers, keep I2C wires short",
        ), None
    except PermissionError as err:
        return CheckResult(
            "adc", Status.FAIL, f"permission denied opening the I2C bus: {err}",
            "add the user to group i2c (`sudo usermod -aG i2c $USER`) and log in again",
        ), None
    except ModuleNotFoundError as err:
        fix = (
            "`sudo apt install python3-libgpiod` (Blinka, under the ADS1x15 driver, imports "
            "it on a Pi) in a venv made with --system-site-packages"
            if err.name == "gpiod"
            else "reinstall the package (rerun firmware/pi/install.sh, or `pip install .` in "
            "the checkout)"
        )
        return CheckResult("adc", Status.FAIL, f"ADC support cannot be imported: {err}",
                           fix), None
    except (HardwareError, OSError) as err:
        return CheckResult("adc", Status.FAIL, f"{where}: {err}",
                           "see docs/raspberry-pi.md, troubleshooting"), None
    return CheckResult("adc", Status.OK, f"{where} answers"), reader


def sample_volts(
    reader: VoltsReader,
    count: int,
    interval_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Volts3]:
    """``count`` scans ``interval_s`` apart (raises the reader's ``AdcReadError``)."""
    samples = []
    for i in range(count):
        if i:
            sleep(interval_s)
        samples.append(reader.read_volts())
    return samples


def check_unloaded(samples: Sequence[Volts3], supply_v: float) -> list[CheckResult]:
    """Each channel with the foot off the insole: near 0 V, steady, not at the rail."""
    results = []
    for index, sensor in enumerate(SENSORS):
        values = [s[index] for s in samples]
        mean_v = statistics.fmean(values)
        p2p_v = max(values) - min(values)
        name = f"channel {sensor}"
        summary = f"{mean_v:.3f} V unloaded ({p2p_v * 1000:.0f} mV peak to peak)"
        if mean_v >= supply_v - SATURATION_MARGIN_V:
            results.append(CheckResult(
                name, Status.FAIL, f"{summary}: saturated at the supply",
                "the FSR is shorted, or its fixed resistor to GND is missing, or the channel "
                "is wired to 3.3 V: check the divider on this channel",
            ))
        elif mean_v <= NEGATIVE_V:
            results.append(CheckResult(
                name, Status.FAIL, f"{summary}: below ground",
                "the insole's GND is not the ADC's GND: connect the grounds",
            ))
        elif p2p_v > FLOATING_P2P_V:
            results.append(CheckResult(
                name, Status.FAIL, f"{summary}: floating (an input with nothing on it)",
                "the fixed resistor from this channel to GND is missing or the sensor's "
                "connector is unplugged",
            ))
        elif mean_v > UNLOADED_MAX_V:
            results.append(CheckResult(
                name, Status.WARN, f"{summary}: loaded with nothing on it?",
                "take the foot off the insole; if it stays, the sensor is pinched or bent "
                "(lay the insole flat) or the FSR and resistor are swapped",
            ))
        else:
            results.append(CheckResult(name, Status.OK, summary))
    return results


def check_press(
    sensor: str, baseline: Volts3, samples: Sequence[Volts3], supply_v: float
) -> CheckResult:
    """Judge the scans taken while the user pressed ``sensor``'s point."""
    index = SENSORS.index(sensor)
    name = f"press {sensor}"
    if not samples:
        return CheckResult(name, Status.SKIP, "no readings taken")
    rises = [max(s[i] for s in samples) - baseline[i] for i in range(len(SENSORS))]
    own_rise = rises[index]
    peak_v = baseline[index] + own_rise
    strongest = max(range(len(SENSORS)), key=lambda i: rises[i])
    if strongest != index and rises[strongest] >= PRESS_RISE_V and own_rise < rises[strongest]:
        other = SENSORS[strongest]
        return CheckResult(
            name, Status.FAIL,
            f"pressing {sensor} raised channel {other} by {rises[strongest]:.2f} V "
            f"({sensor}: {own_rise:+.2f} V): the sensors are on the wrong channels",
            f"swap the {sensor} and {other} wires at the ADC, or change the channel map "
            "(AdcConfig.channels)",
        )
    if own_rise < PRESS_RISE_V:
        return CheckResult(
            name, Status.FAIL,
            f"stayed at {peak_v:.2f} V when pressed (rise {own_rise:+.2f} V): stuck at 0 V",
            "the sensor is unplugged, its tail is cracked or the connector crimp is open: "
            "check continuity with a multimeter (about 10 kΩ when pressed)",
        )
    if peak_v >= supply_v - SATURATION_MARGIN_V:
        return CheckResult(
            name, Status.WARN, f"rose to {peak_v:.2f} V: reaches the supply rail under a press",
            "the fixed resistor is large for this load: 3.3 kΩ keeps standing loads in range",
        )
    return CheckResult(name, Status.OK, f"rose {own_rise:.2f} V to {peak_v:.2f} V when pressed")


def press_test(
    reader: VoltsReader,
    sensor: str,
    baseline: Volts3,
    *,
    supply_v: float,
    prompt: Callable[[str], None],
    timeout_s: float = 10.0,
    interval_s: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """Ask the user to press ``sensor``'s point and judge the response.

    Polls until the channel has risen by :data:`PRESS_RISE_V` (then a further 0.3 s to
    catch the peak, and a crossed channel) or until ``timeout_s``; then asks to release and
    waits up to 5 s for the channel to come back.
    """
    index = SENSORS.index(sensor)
    prompt(f"Press and hold the {sensor.replace('_', ' ')} point firmly "
           f"(waiting up to {timeout_s:.0f} s) ...")
    samples: list[Volts3] = []
    start = clock()
    risen_at: float | None = None
    while clock() - start < timeout_s:
        scan = reader.read_volts()
        samples.append(scan)
        if risen_at is None and scan[index] - baseline[index] >= PRESS_RISE_V:
            risen_at = clock()
        if risen_at is not None and clock() - risen_at >= 0.3:
            break
        sleep(interval_s)
    result = check_press(sensor, baseline, samples, supply_v)
    prompt("Release.")
    release_start = clock()
    while clock() - release_start < 5.0:
        if reader.read_volts()[index] - baseline[index] < PRESS_RISE_V / 2:
            break
        sleep(interval_s)
    return result


# -- the running service -----------------------------------------------------------------

SERVICE_UNIT = "insole-monitor.service"


def service_active(unit: str = SERVICE_UNIT) -> bool | None:
    """Whether systemd runs ``unit`` now; ``None`` when that cannot be asked (no systemd)."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return None
    try:
        result = subprocess.run(
            [systemctl, "is-active", "--quiet", unit], capture_output=True, timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.returncode == 0


def check_service(active: bool | None) -> CheckResult:
    """The service must be stopped while doctor reads the ADC and claims the pins.

    Two processes starting conversions on one ADS1x15 rewrite each other's channel
    selection, so both would read wrong channels; the GPIO pins can have one owner only.
    """
    if active is None:
        return CheckResult("service", Status.SKIP, "systemd not available: not checked")
    if active:
        return CheckResult(
            "service", Status.WARN,
            "insole-monitor is running: it owns the ADC and the pins, so those checks are "
            "skipped", "`sudo systemctl stop insole-monitor`, run doctor, then start it again",
        )
    return CheckResult("service", Status.OK, "insole-monitor is not running")


# -- GPIO and data directory -------------------------------------------------------------


def _claim_feedback_pins(name: str, factory: Any, pins: PinConfig) -> CheckResult | None:
    """Open and close the feedback devices; a result only when that fails."""
    try:
        Feedback(pins, pin_factory=factory).close()
    except GpioError as err:
        if isinstance(err.__cause__, GPIOPinInUse):
            return CheckResult(
                "gpio", Status.WARN, f"{name} works but the feedback pins are busy: {err}",
                "stop the service while running doctor (`sudo systemctl stop insole-monitor`)",
            )
        return CheckResult("gpio", Status.FAIL, f"{name} cannot drive the pins: {err}",
                           LGPIO_FIX)
    return None


def check_gpio(host: Host, pins: PinConfig) -> CheckResult:
    """Which pin factory gpiozero picks here, and whether the feedback pins can be claimed."""
    on_pi = host.pi_model() is not None
    try:
        info = resolve_pin_factory()
    except GpioError as err:
        detail = str(err)
        factory_fix = LGPIO_FIX
        if ".lgd-nfy" in detail:
            factory_fix = ("lgpio keeps a notification pipe in the current directory: run from a "
                   "writable directory (`cd ~`); the service uses its RuntimeDirectory")
        if not on_pi:
            return CheckResult(
                "gpio", Status.WARN, "no GPIO on this machine: the LED, buzzer and button "
                "are disabled (the service still runs)",
                "nothing to fix off a Pi; GPIOZERO_PIN_FACTORY=mock simulates pins",
            )
        return CheckResult("gpio", Status.FAIL, detail, factory_fix)
    chips = ", ".join(p.name for p in host.gpio_chips()) or "no /dev/gpiochip*"
    problem = _claim_feedback_pins(info.name, info.factory, pins)
    if problem is not None:
        return problem
    if info.is_mock:
        return CheckResult(
            "gpio", Status.WARN, "gpiozero uses its mock pin factory (GPIOZERO_PIN_FACTORY="
            "mock): nothing reaches a real pin", "unset GPIOZERO_PIN_FACTORY on the Pi",
        )
    how = "chosen by GPIOZERO_PIN_FACTORY" if info.from_env else "auto-detected"
    status = Status.OK
    fix: str | None = None
    if info.name not in ("LGPIOFactory", "RPiGPIOFactory"):
        status = Status.WARN
        fix = f"{info.name} works but lgpio is preferred: {LGPIO_FIX}"
    return CheckResult("gpio", status, f"{info.name} ({how}; {chips}); feedback pins free",
                       fix)


def default_data_dir() -> Path:
    """Where the session log lives: ``$INSOLE_DATA_DIR``, else the user data directory."""
    return SessionLog.default_path().parent


def check_data_dir(path: Path) -> CheckResult:
    """The data directory exists (or can be made), takes a file, and has room."""
    name = "data directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".doctor-", dir=path)
        try:
            os.write(fd, b"insole-monitor doctor write test\n")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as err:
        denied = err.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        return CheckResult(
            name, Status.FAIL, f"cannot write in {path}: {err.strerror or err}",
            f"`sudo chown -R $USER {path}` or point {DATA_DIR_ENV} at a writable directory"
            if denied else f"check the disk, or set {DATA_DIR_ENV} to another directory",
        )
    log_file = path / DB_FILENAME
    if log_file.exists() and not os.access(log_file, os.R_OK | os.W_OK):
        return CheckResult(
            name, Status.FAIL, f"the session log {log_file} is not writable by this user",
            f"`sudo chown $USER {log_file}*` (it belongs to whoever created it first)",
        )
    free = shutil.disk_usage(path).free
    detail = f"{path} is writable, {free / 1e9:.1f} GB free"
    if free < MIN_FREE_BYTES:
        return CheckResult(name, Status.WARN, detail,
                           "free some space: the log stops taking frames on a full disk")
    return CheckResult(name, Status.OK, detail)


# -- the whole run ----------------------------------------------------------------------


@dataclass
class DoctorOptions:
    """What :func:`run_checks` checks and how."""

    config: DeviceConfig = dataclasses.field(default_factory=DeviceConfig)
    host: Host = dataclasses.field(default_factory=Host)
    data_dir: Path | None = None
    interactive: bool = False
    supply_v: float = 3.3
    samples: int = 20
    sample_interval_s: float = 0.02
    press_timeout_s: float = 10.0
    open_adc: AdcOpener = open_hardware_adc
    check_gpio: bool = True
    is_service_active: Callable[[], bool | None] = service_active


def run_checks(
    options: DoctorOptions,
    report: Callable[[CheckResult], None] = lambda result: None,
    prompt: Callable[[str], None] = print,
) -> list[CheckResult]:
    """Run every check in order, passing each result to ``report`` as soon as it is known."""
    results: list[CheckResult] = []

    def add(result: CheckResult) -> CheckResult:
        results.append(result)
        report(result)
        return result

    host = options.host
    adc_config = options.config.adc
    add(check_platform(host))
    bus = add(check_i2c_bus(host, adc_config.i2c_bus))
    user, member_of, existing = user_groups()
    add(check_access(host, adc_config.i2c_bus, user=user, member_of=member_of,
                     existing_groups=existing, is_root=os.geteuid() == 0))
    running = add(check_service(options.is_service_active()))
    if bus.status is Status.FAIL:
        add(CheckResult("adc", Status.SKIP, "no I2C bus (see above)"))
    elif running.status is Status.WARN:
        add(CheckResult("adc", Status.SKIP, "the service is using the ADC (see above)"))
    else:
        _check_chips(options, add, prompt)
    if options.check_gpio and running.status is Status.WARN:
        add(CheckResult("gpio", Status.SKIP, "the service holds the pins (see above)"))
    elif options.check_gpio:
        add(check_gpio(host, options.config.pins))
    add(check_data_dir(options.data_dir or default_data_dir()))
    return results


def _check_chips(
    options: DoctorOptions,
    add: Callable[[CheckResult], CheckResult],
    prompt: Callable[[str], None],
) -> None:
    """The ADC and its channels; with two insoles (``feet="both"``) each chip in turn.

    Results of the two insoles' chips are named ``adc (left)``, ``channel heel (right)``...
    """
    config = options.config
    if config.feet != "both":
        chips: list[tuple[str | None, AdcConfig]] = [(None, config.adc)]
    else:
        chips = [(side, config.adc_for(side)) for side in SIDES]
    addresses = {chip.address for _, chip in chips}
    for side, chip in chips:

        def add_named(result: CheckResult, side: str | None = side) -> CheckResult:
            return add(_for_side(result, side))

        def prompt_named(text: str, side: str | None = side) -> None:
            prompt(text if side is None else f"{side.capitalize()} insole: {text}")

        adc_result, reader = check_adc(chip, options.open_adc, addresses - {chip.address})
        add_named(adc_result)
        if reader is not None:
            try:
                _check_channels(reader, options, add_named, prompt_named)
            finally:
                reader.close()


def _for_side(result: CheckResult, side: str | None) -> CheckResult:
    """``result`` of the ``side`` insole's chip (unchanged with one insole)."""
    if side is None:
        return result
    fix = result.fix
    if side == "right" and fix is not None:
        fix = fix.replace("--address", "--right-address")
    return dataclasses.replace(result, name=f"{result.name} ({side})", fix=fix)


def _check_channels(
    reader: VoltsReader,
    options: DoctorOptions,
    add: Callable[[CheckResult], CheckResult],
    prompt: Callable[[str], None],
) -> None:
    if options.interactive:
        prompt("Take the foot off the insole; measuring the unloaded channels ...")
    try:
        samples = sample_volts(reader, options.samples, options.sample_interval_s)
    except AdcReadError as err:
        add(CheckResult("channels", Status.FAIL, f"reading failed: {err}",
                        "a loose SDA/SCL or ground wire (errno 121): reseat the jumpers"))
        return
    unloaded = check_unloaded(samples, options.supply_v)
    for result in unloaded:
        add(result)
    heel_v, little_toe_v, big_toe_v = (
        statistics.fmean(s[i] for s in samples) for i in range(len(SENSORS))
    )
    baseline = (heel_v, little_toe_v, big_toe_v)
    for sensor, unloaded_result in zip(SENSORS, unloaded, strict=True):
        if not options.interactive:
            add(CheckResult(f"press {sensor}", Status.SKIP,
                            "not interactive (run `insole-monitor doctor` at a terminal "
                            "to test each sensor under a press)"))
        elif unloaded_result.status is Status.FAIL:
            add(CheckResult(f"press {sensor}", Status.SKIP, "channel failed unloaded"))
        else:
            try:
                add(press_test(reader, sensor, baseline, supply_v=options.supply_v,
                               prompt=prompt, timeout_s=options.press_timeout_s))
            except AdcReadError as err:
                add(CheckResult(f"press {sensor}", Status.FAIL, f"reading failed: {err}",
                                "a loose wire (errno 121): reseat the jumpers"))


def exit_status(results: Iterable[CheckResult]) -> int:
    """1 if any check failed, else 0."""
    return 1 if any(r.status is Status.FAIL for r in results) else 0


def format_result(result: CheckResult) -> str:
    """One report line, with an indented ``fix:`` line when there is something to do."""
    line = f"{result.status:<5} {result.name:<18} {result.detail}"
    if result.fix and result.status in (Status.WARN, Status.FAIL):
        line += f"\n{'':<24}fix: {result.fix}"
    return line


def format_summary(results: Sequence[CheckResult]) -> str:
    """The closing line: counts per status."""
    counts = {s: sum(r.status is s for r in results) for s in Status}
    text = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    verdict = "problems found" if counts[Status.FAIL] else "ready" if not counts[
        Status.WARN] else "usable, see the warnings"
    return f"{text}: {verdict}"
