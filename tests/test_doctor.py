"""`insole-monitor doctor`: each check on temporary directories; the command on this machine."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Device

from firmware import doctor
from firmware.adc import open_adc
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.cli import main
from firmware.config import AdcConfig, DeviceConfig, PinConfig
from firmware.doctor import CheckResult, Host, Status
from firmware.errors import AdcReadError, I2CBusMissingError
from firmware.feedback import Feedback
from firmware.gpio import release_default_pin_factory

PI4 = "Raspberry Pi 4 Model B Rev 1.4"
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n'


def make_host(root: Path, *, model: str | None = None, os_release: str = BOOKWORM,
              i2c: bool = False) -> Host:
    """A Host over a directory tree laid out like /dev, /proc/device-tree and /etc."""
    dev = root / "dev"
    dev.mkdir(parents=True, exist_ok=True)
    if i2c:
        (dev / "i2c-1").touch()
    model_file = root / "model"
    if model is not None:
        model_file.write_bytes(model.encode() + b"\x00")  # the kernel NUL-terminates it
    (root / "os-release").write_text(os_release)
    return Host(dev_dir=dev, model_file=model_file, os_release=root / "os-release")


@pytest.fixture(autouse=True)
def no_global_factory() -> Iterator[None]:
    yield
    release_default_pin_factory()
    assert Device.pin_factory is None


# -- platform, bus, access --------------------------------------------------------------


def test_host_reads_model_and_release(tmp_path: Path) -> None:
    host = make_host(tmp_path, model=PI4)
    assert host.pi_model() == PI4
    assert host.os_codename() == "bookworm"
    assert make_host(tmp_path / "pc", model="QEMU Virtual Machine").pi_model() is None
    assert make_host(tmp_path / "none").pi_model() is None


@pytest.mark.parametrize(
    ("model", "release", "status", "words"),
    [
        (PI4, BOOKWORM, Status.OK, "Raspberry Pi 4"),
        (PI4, "VERSION_CODENAME=bullseye\n", Status.WARN, "bullseye"),
        (None, BOOKWORM, Status.WARN, "not a Raspberry Pi"),
    ],
)
def test_platform(
    tmp_path: Path, model: str | None, release: str, status: Status, words: str
) -> None:
    result = doctor.check_platform(make_host(tmp_path, model=model, os_release=release))
    assert result.status is status
    assert words in result.detail


def test_i2c_bus_present(tmp_path: Path) -> None:
    result = doctor.check_i2c_bus(make_host(tmp_path, model=PI4, i2c=True), 1)
    assert result.status is Status.OK


def test_i2c_bus_off_on_a_pi_says_how_to_enable_it(tmp_path: Path) -> None:
    result = doctor.check_i2c_bus(make_host(tmp_path, model=PI4), 1)
    assert result.status is Status.FAIL
    assert result.fix is not None
    assert "raspi-config nonint do_i2c 0" in result.fix


def test_i2c_bus_missing_off_a_pi_says_so(tmp_path: Path) -> None:
    result = doctor.check_i2c_bus(make_host(tmp_path), 1)
    assert result.status is Status.FAIL
    assert "no I2C bus" in result.detail
    assert result.fix is not None
    assert "emulated" in result.fix


@pytest.mark.parametrize(
    ("member_of", "existing", "on_pi", "status", "words"),
    [
        ({"pi", "i2c", "gpio"}, {"i2c", "gpio"}, True, Status.OK, "in groups i2c and gpio"),
        ({"pi", "i2c"}, {"i2c", "gpio"}, True, Status.FAIL, "gpio"),
        ({"me"}, set(), False, Status.WARN, "do not exist"),
        ({"me"}, {"i2c", "gpio"}, False, Status.WARN, "not in group"),
    ],
)
def test_group_membership(
    tmp_path: Path, member_of: set[str], existing: set[str], on_pi: bool, status: Status,
    words: str,
) -> None:
    host = make_host(tmp_path, model=PI4 if on_pi else None, i2c=on_pi)
    result = doctor.check_access(host, 1, user="pi", member_of=member_of,
                                 existing_groups=existing, is_root=False)
    assert result.status is status
    assert words in result.detail
    if status is Status.FAIL:
        assert result.fix is not None
        assert "usermod -aG gpio pi" in result.fix


def test_root_is_told_that_groups_were_not_tested(tmp_path: Path) -> None:
    host = make_host(tmp_path, model=PI4, i2c=True)
    result = doctor.check_access(host, 1, user="root", member_of={"root"},
                                 existing_groups={"i2c", "gpio"}, is_root=True)
    assert result.status is Status.WARN
    assert "root" in result.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root bypasses file permissions")
def test_unreadable_i2c_device_is_permission_denied(tmp_path: Path) -> None:
    host = make_host(tmp_path, model=PI4, i2c=True)
    host.i2c_device(1).chmod(0)
    result = doctor.check_access(host, 1, user="pi", member_of={"pi"},
                                 existing_groups={"i2c", "gpio"}, is_root=False)
    assert result.status is Status.FAIL
    assert "permission denied" in result.detail


# -- ADC --------------------------------------------------------------------------------


class Foot:
    """Inputs of an emulated ADS1115: fixed volts per channel, one channel pressable.

    The doctor reads it through the real Adafruit driver on the emulated chip, exactly as
    it reads the hardware backend.
    """

    def __init__(self, volts: tuple[float, float, float] = (0.01, 0.01, 0.01)) -> None:
        self.volts = list(volts)
        self.pressed: tuple[int, float] | None = None  # (channel, volts) while pressed

    def __call__(self, channel: int, t_s: float) -> float:
        if self.pressed is not None and self.pressed[0] == channel:
            return self.pressed[1]
        return self.volts[channel] if channel < 3 else 0.0


def emulated(*chips: EmulatedAds1x15) -> doctor.AdcOpener:
    """An opener over one emulated bus carrying ``chips`` (the hardware backend's stand-in)."""
    bus = EmulatedI2CBus(chips)

    def opener(config: AdcConfig) -> doctor.VoltsReader:
        return open_adc(config, backend="emulated", emulator=bus)

    return opener


def test_adc_answers() -> None:
    result, reader = doctor.check_adc(AdcConfig(), emulated(EmulatedAds1x15(address=0x48)))
    assert result.status is Status.OK
    assert "0x48" in result.detail
    assert reader is not None
    try:
        assert reader.read_volts() == pytest.approx((0.0, 0.0, 0.0), abs=1e-3)
    finally:
        reader.close()


def test_adc_at_another_address_is_named() -> None:
    result, reader = doctor.check_adc(AdcConfig(), emulated(EmulatedAds1x15(address=0x49)))
    assert reader is None
    assert result.status is Status.FAIL
    assert "0x49 (ADDR to VDD)" in result.detail
    assert result.fix is not None
    assert "--address 0x49" in result.fix


def test_adc_missing_everywhere_points_at_i2cdetect() -> None:
    result, reader = doctor.check_adc(AdcConfig(), emulated())
    assert reader is None
    assert result.status is Status.FAIL
    assert "0x48" in result.detail
    assert result.fix is not None
    assert "i2cdetect -y 1" in result.fix


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (I2CBusMissingError("no /dev/i2c-1"), "raspi-config"),
        (AdcReadError("[Errno 121] I2C transfer to the ADC failed"), "loose"),
        (PermissionError(13, "Permission denied", "/dev/i2c-1"), "usermod -aG i2c"),
        (ModuleNotFoundError("No module named 'adafruit_ads1x15'", name="adafruit_ads1x15"),
         "reinstall"),
        (ModuleNotFoundError("No module named 'gpiod'", name="gpiod"), "python3-libgpiod"),
    ],
)
def test_adc_errors_each_have_a_fix(error: Exception, words: str) -> None:
    # Failures the emulated chip cannot produce (no bus, permissions, a broken install)
    # are raised by the opener itself.
    def opener(config: AdcConfig) -> doctor.VoltsReader:
        raise error

    result, reader = doctor.check_adc(AdcConfig(), opener)
    assert reader is None
    assert result.status is Status.FAIL
    assert result.fix is not None
    assert words in result.fix


# -- channels ---------------------------------------------------------------------------

QUIET = [(0.010, 0.012, 0.008), (0.011, 0.013, 0.009), (0.010, 0.012, 0.008)]


def test_unloaded_channels_near_zero_are_ok() -> None:
    results = doctor.check_unloaded(QUIET, supply_v=3.3)
    assert [r.name for r in results] == ["channel heel", "channel little_toe", "channel big_toe"]
    assert all(r.status is Status.OK for r in results)


@pytest.mark.parametrize(
    ("values", "status", "words"),
    [
        ([3.29, 3.29, 3.28], Status.FAIL, "saturated"),
        ([0.1, 1.2, 0.6], Status.FAIL, "floating"),
        ([-0.2, -0.2, -0.21], Status.FAIL, "below ground"),
        ([0.8, 0.81, 0.8], Status.WARN, "loaded"),
    ],
)
def test_unloaded_faults_of_one_channel(values: list[float], status: Status, words: str) -> None:
    samples = [(0.01, v, 0.01) for v in values]
    heel, little_toe, big_toe = doctor.check_unloaded(samples, supply_v=3.3)
    assert little_toe.status is status
    assert words in little_toe.detail
    assert heel.status is big_toe.status is Status.OK


BASE = (0.01, 0.01, 0.01)


@pytest.mark.parametrize(
    ("sensor", "pressed", "status", "words"),
    [
        ("heel", (1.8, 0.02, 0.01), Status.OK, "rose"),
        ("heel", (0.01, 0.02, 0.01), Status.FAIL, "stuck at 0 V"),
        ("heel", (0.02, 0.01, 1.5), Status.FAIL, "wrong channels"),
        ("big_toe", (0.01, 0.01, 3.29), Status.WARN, "supply rail"),
    ],
)
def test_press(sensor: str, pressed: tuple[float, float, float], status: Status,
               words: str) -> None:
    result = doctor.check_press(sensor, BASE, [BASE, pressed, pressed], supply_v=3.3)
    assert result.name == f"press {sensor}"
    assert result.status is status
    assert words in result.detail


class SteppedClock:
    """A clock that moves only when the code under test sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.now_s += seconds


@pytest.fixture
def foot() -> Foot:
    return Foot()


@pytest.fixture
def adc(foot: Foot) -> Iterator[doctor.VoltsReader]:
    reader = emulated(EmulatedAds1x15(inputs=foot))(AdcConfig())
    yield reader
    reader.close()


def test_press_test_waits_for_the_press_then_asks_to_release(
    foot: Foot, adc: doctor.VoltsReader
) -> None:
    clock = SteppedClock()
    prompts: list[str] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now_s >= 2.0 and prompts[-1] != "Release.":  # the person reacts after 2 s
            foot.pressed = (1, 2.0)

    def prompt(text: str) -> None:
        prompts.append(text)
        if text == "Release.":
            foot.pressed = None

    result = doctor.press_test(adc, "little_toe", BASE, supply_v=3.3, prompt=prompt,
                               clock=clock, sleep=sleep)
    assert result.status is Status.OK, result
    assert "2.00 V" in result.detail
    assert "little toe" in prompts[0]
    assert prompts[-1] == "Release."
    assert 2.0 <= clock.now_s < 10.0  # it stopped polling soon after the press was seen


def test_press_test_times_out_on_a_dead_sensor(adc: doctor.VoltsReader) -> None:
    clock = SteppedClock()
    result = doctor.press_test(adc, "heel", BASE, supply_v=3.3, prompt=lambda text: None,
                               timeout_s=3.0, clock=clock, sleep=clock.sleep)
    assert result.status is Status.FAIL
    assert "stuck at 0 V" in result.detail
    assert clock.now_s >= 3.0


def test_press_on_swapped_wires_names_the_other_channel(
    foot: Foot, adc: doctor.VoltsReader
) -> None:
    clock = SteppedClock()
    foot.pressed = (2, 1.5)  # the "heel" press lands on the big_toe input
    result = doctor.press_test(adc, "heel", BASE, supply_v=3.3, prompt=lambda text: None,
                               timeout_s=1.0, clock=clock,
                               sleep=clock.sleep)
    assert result.status is Status.FAIL
    assert "raised channel big_toe" in result.detail


# -- GPIO and data directory ------------------------------------------------------------


def test_gpio_missing_off_a_pi_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    result = doctor.check_gpio(make_host(tmp_path), PinConfig())
    assert result.status is Status.WARN
    assert "disabled" in result.detail


def test_gpio_missing_on_a_pi_fails_with_the_lgpio_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    result = doctor.check_gpio(make_host(tmp_path, model="Raspberry Pi 5 Model B Rev 1.0"),
                               PinConfig())
    assert result.status is Status.FAIL
    assert "no-such-factory" in result.detail
    assert result.fix is not None
    assert "python3-lgpio" in result.fix
    assert "--system-site-packages" in result.fix


def test_gpio_mock_factory_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    monkeypatch.setenv("GPIOZERO_MOCK_PIN_CLASS", "mockpwmpin")
    result = doctor.check_gpio(make_host(tmp_path, model=PI4), PinConfig())
    assert result.status is Status.WARN
    assert "mock" in result.detail


def test_gpio_pins_held_by_another_user_are_reported_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    monkeypatch.setenv("GPIOZERO_MOCK_PIN_CLASS", "mockpwmpin")
    with Feedback(PinConfig()):  # a running service holds the pins
        result = doctor.check_gpio(make_host(tmp_path, model=PI4), PinConfig())
    assert result.status is Status.WARN
    assert "busy" in result.detail
    assert result.fix is not None
    assert "systemctl stop insole-monitor" in result.fix


def test_data_dir_is_created_and_written(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "data"
    result = doctor.check_data_dir(target)
    assert result.status is Status.OK
    assert target.is_dir()
    assert list(target.iterdir()) == []  # the probe file was removed


def test_data_dir_that_cannot_exist_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = doctor.check_data_dir(blocker / "data")
    assert result.status is Status.FAIL
    assert "INSOLE_DATA_DIR" in (result.fix or "")
    assert blocker.read_text() == "not a directory"


def test_default_data_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSOLE_DATA_DIR", str(tmp_path / "state"))
    assert doctor.default_data_dir() == tmp_path / "state"
    monkeypatch.delenv("INSOLE_DATA_DIR")
    assert doctor.default_data_dir().name == "insole-monitor"


# -- whole runs -------------------------------------------------------------------------


def test_run_on_a_pi_with_everything_working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    monkeypatch.setenv("GPIOZERO_MOCK_PIN_CLASS", "mockpwmpin")
    options = doctor.DoctorOptions(
        host=make_host(tmp_path, model=PI4, i2c=True), data_dir=tmp_path / "data",
        open_adc=emulated(EmulatedAds1x15(inputs=Foot())), samples=5, sample_interval_s=0.0,
        is_service_active=lambda: False,
    )
    seen: list[CheckResult] = []
    results = doctor.run_checks(options, report=seen.append)
    assert seen == results
    names = [r.name for r in results]
    assert names == [
        "platform", "i2c bus", "i2c access", "service", "adc", "channel heel", "channel little_toe",
        "channel big_toe", "press heel", "press little_toe", "press big_toe", "gpio",
        "data directory",
    ]
    by_name = {r.name: r for r in results}
    assert by_name["adc"].status is Status.OK
    assert all(by_name[f"channel {s}"].status is Status.OK
               for s in ("heel", "little_toe", "big_toe"))
    assert by_name["press heel"].status is Status.SKIP  # not interactive
    assert by_name["gpio"].status is Status.WARN  # the mock factory is named as such
    failed = {r.name for r in results if r.status is Status.FAIL}
    assert failed <= {"i2c access"}  # depends on the groups of whoever runs the tests
    assert doctor.exit_status(results) == (1 if failed else 0)


def test_run_on_a_pc_fails_and_says_what_is_missing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    options = doctor.DoctorOptions(host=make_host(tmp_path), data_dir=tmp_path / "data")
    results = doctor.run_checks(options)
    by_name = {r.name: r for r in results}
    assert by_name["i2c bus"].status is Status.FAIL
    assert by_name["adc"].status is Status.SKIP
    assert by_name["gpio"].status is Status.WARN
    assert by_name["data directory"].status is Status.OK
    assert doctor.exit_status(results) == 1
    report = "\n".join(doctor.format_result(r) for r in results)
    assert "fix: run on a Raspberry Pi" in report
    assert doctor.format_summary(results).endswith("problems found")


def test_command_on_this_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor", "--non-interactive", "--data-dir", str(tmp_path / "data")])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line[:4] in ("OK  ", "WARN", "FAIL", "SKIP")]
    assert {line.split()[1] for line in lines} >= {"platform", "i2c", "gpio", "data"}
    assert status == (1 if any(line.startswith("FAIL") for line in lines) else 0)
    assert f"{tmp_path / 'data'} is writable" in out
    if not Path("/dev/i2c-1").exists():
        assert status == 1
        assert "FAIL  i2c bus" in out


def test_command_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor", "--json", "--data-dir", str(tmp_path)])
    results = json.loads(capsys.readouterr().out)
    assert {r["status"] for r in results} <= {"OK", "WARN", "FAIL", "SKIP"}
    assert results[-1]["name"] == "data directory"
    assert status == (1 if any(r["status"] == "FAIL" for r in results) else 0)


@pytest.mark.parametrize("address", ["0x50", "banana"])
def test_command_rejects_bad_addresses(address: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor", "--address", address])
    assert exit_info.value.code == 2
    assert "0x48" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root bypasses file permissions")
def test_session_log_owned_by_someone_else_fails(tmp_path: Path) -> None:
    log_file = tmp_path / "sessions.sqlite3"
    log_file.write_bytes(b"")
    log_file.chmod(0o400)
    result = doctor.check_data_dir(tmp_path)
    assert result.status is Status.FAIL
    assert "not writable" in result.detail


def pi_options(tmp_path: Path, opener: doctor.AdcOpener, **changes: object) -> doctor.DoctorOptions:
    options = doctor.DoctorOptions(
        host=make_host(tmp_path, model=PI4, i2c=True), data_dir=tmp_path / "data",
        open_adc=opener, samples=8, sample_interval_s=0.0, check_gpio=False,
        is_service_active=lambda: False,
    )
    for name, value in changes.items():
        setattr(options, name, value)
    return options


class WanderingFoot(Foot):
    """A floating input on one channel: each conversion reads somewhere else."""

    def __init__(self, channel: int) -> None:
        super().__init__()
        self.channel = channel
        self.calls = 0

    def __call__(self, channel: int, t_s: float) -> float:
        if channel == self.channel:
            self.calls += 1
            return (0.1, 1.4, 0.6, 0.9)[self.calls % 4]
        return super().__call__(channel, t_s)


def test_run_finds_a_saturated_and_a_floating_channel(tmp_path: Path) -> None:
    chip = EmulatedAds1x15(inputs=WanderingFoot(channel=2))
    chip.stick_channel(0, "full_scale")  # heel: shorted FSR or missing resistor
    results = {r.name: r for r in doctor.run_checks(pi_options(tmp_path, emulated(chip)))}
    assert results["adc"].status is Status.OK
    assert results["channel heel"].status is Status.FAIL
    assert "saturated" in results["channel heel"].detail
    assert results["channel little_toe"].status is Status.OK
    assert results["channel big_toe"].status is Status.FAIL
    assert "floating" in results["channel big_toe"].detail


def test_run_reports_a_chip_lost_after_opening(tmp_path: Path) -> None:
    chip = EmulatedAds1x15()
    open_chip = emulated(chip)

    def opener(config: AdcConfig) -> doctor.VoltsReader:
        reader = open_chip(config)
        chip.vanish()  # a wire comes loose right after the probe
        return reader

    results = {r.name: r for r in doctor.run_checks(pi_options(tmp_path, opener))}
    assert results["adc"].status is Status.OK
    assert results["channels"].status is Status.FAIL
    assert "121" in results["channels"].detail
    assert "loose" in (results["channels"].fix or "")


def test_interactive_run_presses_each_point(tmp_path: Path) -> None:
    foot = Foot()
    channels = {"heel": 0, "little toe": 1, "big toe": 2}

    def prompt(text: str) -> None:
        # The person presses the point the doctor names, and lets go when told.
        for words, channel in channels.items():
            if f"the {words} point" in text:
                foot.pressed = (channel, 1.8)
        if text == "Release.":
            foot.pressed = None

    options = pi_options(tmp_path, emulated(EmulatedAds1x15(inputs=foot)), interactive=True)
    results = {r.name: r for r in doctor.run_checks(options, prompt=prompt)}
    for sensor in ("heel", "little_toe", "big_toe"):
        assert results[f"press {sensor}"].status is Status.OK, results[f"press {sensor}"]
        assert "1.80 V" in results[f"press {sensor}"].detail


def test_a_running_service_is_left_alone(tmp_path: Path) -> None:
    chip = EmulatedAds1x15()
    options = pi_options(tmp_path, emulated(chip), is_service_active=lambda: True,
                         check_gpio=True)
    results = {r.name: r for r in doctor.run_checks(options)}
    assert results["service"].status is Status.WARN
    assert "systemctl stop insole-monitor" in (results["service"].fix or "")
    assert results["adc"].status is Status.SKIP
    assert results["gpio"].status is Status.SKIP
    assert chip.conversions == 0  # the service's ADC was not touched


@pytest.mark.parametrize(("active", "status"), [(None, Status.SKIP), (False, Status.OK)])
def test_service_check(active: bool | None, status: Status) -> None:
    assert doctor.check_service(active).status is status


def test_two_insoles_check_both_chips(tmp_path: Path) -> None:
    left = EmulatedAds1x15(address=0x48, inputs=Foot())
    right = EmulatedAds1x15(address=0x49, inputs=Foot())
    right.stick_channel(1, "full_scale")
    options = pi_options(tmp_path, emulated(left, right), config=DeviceConfig(feet="both"))
    results = {r.name: r for r in doctor.run_checks(options)}
    assert results["adc (left)"].status is Status.OK
    assert "0x48" in results["adc (left)"].detail
    assert results["adc (right)"].status is Status.OK
    assert "0x49" in results["adc (right)"].detail
    assert results["channel little_toe (left)"].status is Status.OK
    assert results["channel little_toe (right)"].status is Status.FAIL
    assert "adc" not in results  # one insole's names are not used


def test_a_second_insole_at_the_wrong_address_is_named(tmp_path: Path) -> None:
    chips = emulated(EmulatedAds1x15(address=0x48), EmulatedAds1x15(address=0x4A))
    options = pi_options(tmp_path, chips, config=DeviceConfig(feet="both"))
    results = {r.name: r for r in doctor.run_checks(options)}
    right = results["adc (right)"]
    assert right.status is Status.FAIL
    # The left chip at 0x48 is not offered as the right one.
    assert "0x4a (ADDR to SDA)" in right.detail
    assert "0x48" not in right.detail.split("but")[1]
    assert right.fix is not None
    assert "--right-address 0x4a" in right.fix
    assert "channel heel (right)" not in results
