"""The ADC interface: backend selection, non-spinning reads through the real driver, errors."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from adafruit_ads1x15 import ads1115
from adafruit_ads1x15.analog_in import AnalogIn

from firmware.acquisition_bench import CountingClock
from firmware.adc import (
    BACKEND_ENV,
    AdcConfigError,
    AdcTimeoutError,
    Ads1x15Adc,
    open_adc,
    resolve_backend,
)
from firmware.adc_stream import spoiled_conversions
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import FakeClock
from firmware.config import AdcConfig
from firmware.errors import AdcNotFoundError, AdcReadError, I2CBusMissingError

SENSOR_VOLTS = {0: 0.8, 1: 1.6, 2: 2.4, 3: 3.1}


def inputs(channel: int, t_s: float) -> float:
    return SENSOR_VOLTS[channel]


def emulated(
    config: AdcConfig | None = None, **bus_options: object
) -> tuple[EmulatedI2CBus, EmulatedAds1x15, FakeClock]:
    config = config or AdcConfig()
    clock = FakeClock()
    chip = EmulatedAds1x15(config.model, config.address, inputs)
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=400_000, **bus_options)  # type: ignore[arg-type]
    return bus, chip, clock


@pytest.fixture(autouse=True)
def no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)


def test_auto_without_a_bus_is_emulated(tmp_path: Path) -> None:
    assert resolve_backend("auto", AdcConfig(), dev_dir=tmp_path) == "emulated"
    with open_adc(AdcConfig(), "auto", inputs, dev_dir=tmp_path) as adc:
        assert adc.simulated
        assert adc.backend == "emulated"
        assert "emulated ADS1115 at 0x48" in adc.description


def test_auto_with_a_bus_device_is_hardware(tmp_path: Path) -> None:
    (tmp_path / "i2c-1").touch()
    assert resolve_backend("auto", AdcConfig(), dev_dir=tmp_path) == "hardware"
    assert resolve_backend("auto", AdcConfig(i2c_bus=3), dev_dir=tmp_path) == "emulated"


def test_hardware_without_a_bus_says_how_to_enable_i2c(tmp_path: Path) -> None:
    with pytest.raises(I2CBusMissingError, match="enable I2C") as caught:
        open_adc(AdcConfig(), "hardware", dev_dir=tmp_path)
    assert isinstance(caught.value, FileNotFoundError)


def test_environment_variable_picks_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "i2c-1").touch()
    monkeypatch.setenv(BACKEND_ENV, "emulated")
    assert resolve_backend("auto", AdcConfig(), dev_dir=tmp_path) == "emulated"
    # An explicit argument wins over the environment.
    assert resolve_backend("hardware", AdcConfig(), dev_dir=tmp_path) == "hardware"
    monkeypatch.setenv(BACKEND_ENV, "magic")
    with pytest.raises(AdcConfigError, match=BACKEND_ENV):
        resolve_backend("auto", AdcConfig(), dev_dir=tmp_path)


def test_unknown_backend_lists_the_allowed_ones() -> None:
    with pytest.raises(AdcConfigError, match="'auto', 'hardware', 'emulated'"):
        open_adc(AdcConfig(), "spi")


def test_emulated_bus_without_the_chip_is_adc_not_found() -> None:
    bus = EmulatedI2CBus([EmulatedAds1x15(address=0x49)], clock=FakeClock())
    with pytest.raises(AdcNotFoundError, match="0x48") as caught:
        open_adc(AdcConfig(), "emulated", emulator=bus)
    assert "i2cdetect" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (AdcConfig(model="ADS1015"), r"ADS1015 data rate must be one of \[128, 250"),
        (AdcConfig(gain=3), "gain must be one of"),
        (AdcConfig(model="ADS1234"), "ADC model must be one of"),
        (AdcConfig(channels={"heel": 0, "little_toe": 0, "big_toe": 1}), "its own input"),
        (AdcConfig(channels={"heel": 0, "little_toe": 1}), "channels must map"),
    ],
)
def test_bad_configuration_is_rejected(config: AdcConfig, message: str) -> None:
    with pytest.raises(AdcConfigError, match=message):
        open_adc(config, "emulated")


@pytest.mark.parametrize(
    "config",
    [
        AdcConfig(),
        AdcConfig(gain=2, data_rate_sps=128),
        AdcConfig(gain=2 / 3, channels={"heel": 3, "little_toe": 2, "big_toe": 0}),
        AdcConfig(model="ADS1015", data_rate_sps=3300, address=0x4A),
    ],
)
def test_read_volts_matches_the_inputs_within_one_lsb(config: AdcConfig) -> None:
    bus, _, clock = emulated(config)
    with open_adc(config, "emulated", emulator=bus) as adc:
        bits = 16 if config.model == "ADS1115" else 12
        fsr_v = {2 / 3: 6.144, 1: 4.096, 2: 2.048}[config.gain]
        lsb_v = fsr_v / (1 << (bits - 1))
        expected = [
            min(SENSOR_VOLTS[config.channels[s]], fsr_v) for s in ("heel", "little_toe", "big_toe")
        ]
        t_before = clock.monotonic()
        t_s, volts = adc.read_scan()
        assert volts == pytest.approx(expected, abs=lsb_v)
        assert t_before < t_s < clock.monotonic()
        assert adc.read_volts() == volts


def test_reads_do_not_poll_like_the_driver() -> None:
    """Our scan needs a handful of transfers; the driver's own read polls many times."""
    bus, _, _ = emulated()
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        adc.read_scan()  # settle the adaptive wait
        before = bus.transfers
        for _ in range(10):
            adc.read_scan()
        ours = (bus.transfers - before) / 10
        ads = ads1115.ADS1115(bus, data_rate=860)
        pins = [AnalogIn(ads, p) for p in range(3)]
        before = bus.transfers
        for _ in range(10):
            for pin in pins:
                pin.value  # noqa: B018
        plain = (bus.transfers - before) / 10
    # 3 starts, 3 done-checks, 3 result reads (a re-check now and then).
    assert ours <= 11
    assert plain > 2 * ours


def test_bus_errors_become_adc_read_errors_with_the_errno() -> None:
    bus, _, _ = emulated()
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        bus.error_rate = 1.0
        bus.error_errnos = (errno.EIO,)
        with pytest.raises(AdcReadError) as caught:
            adc.read_volts()
        assert caught.value.errno == errno.EIO
        assert isinstance(caught.value.__cause__, OSError)
        bus.error_rate = 0.0
        assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)


def test_an_interrupted_scan_does_not_mix_up_channels() -> None:
    """After a failed transfer mid-scan the next scan waits for the orphan conversion."""
    bus, _, _ = emulated(error_rate=0.1, seed=3)
    good = 0
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        for _ in range(300):
            try:
                volts = adc.read_volts()
            except AdcReadError:
                continue
            good += 1
            assert volts == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
    assert good > 50
    assert bus.failed_transfers > 20


def test_stalled_conversion_hits_the_deadline() -> None:
    bus, chip, clock = emulated()
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        chip.stall()
        start = clock.monotonic()
        with pytest.raises(AdcTimeoutError, match="not finished") as caught:
            adc.read_volts()
        assert isinstance(caught.value, TimeoutError)
        assert clock.monotonic() - start < 0.1
        chip.stall(False)
        assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)


def test_vanished_chip_then_reconnect() -> None:
    bus, chip, _ = emulated()
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        chip.vanish()
        with pytest.raises(AdcReadError) as caught:
            adc.read_volts()
        assert caught.value.errno == errno.EREMOTEIO
        with pytest.raises(AdcNotFoundError):
            adc.reconnect()
        chip.reappear()
        adc.reconnect()
        assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)


def test_sensor_faults_seen_through_the_adc() -> None:
    bus, chip, _ = emulated()
    with open_adc(AdcConfig(), "emulated", emulator=bus) as adc:
        chip.disconnect_sensor(0)
        chip.stick_channel(2, "full_scale")
        volts = adc.read_volts()
        assert volts[0] == 0.0
        assert volts[2] == pytest.approx(adc.full_scale_v)
        assert adc.full_scale_v == pytest.approx(4.096, abs=1e-3)


def test_close_is_idempotent_and_reads_after_close_fail() -> None:
    adc = open_adc(AdcConfig(), "emulated", inputs, clock=FakeClock())
    adc.close()
    adc.close()
    assert adc.closed
    with pytest.raises(AdcReadError, match="closed"):
        adc.read_volts()


@pytest.mark.parametrize("oscillator_error", [0.0, 0.08, -0.08])
def test_continuous_runs_give_the_right_channels_at_near_full_rate(
    oscillator_error: float,
) -> None:
    clock = FakeClock()
    chip = EmulatedAds1x15(inputs=inputs, oscillator_error=oscillator_error)
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=400_000)
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        start = clock.monotonic()
        times = []
        for _ in range(300):
            t_s, volts = adc.read_scan()
            times.append(t_s)
            assert volts == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
        elapsed = clock.monotonic() - start
    assert times == sorted(times)
    chip_limit_hz = 860 / 3 / (1 + oscillator_error)
    assert 300 / elapsed > 0.85 * chip_limit_hz  # fake time: a property of the schedule
    assert bus.transfers / 300 < 8  # vs ~3 per conversion in single-shot


def _blocking_calls_per_scan(adc: Ads1x15Adc, clock: CountingClock, scans: int) -> float:
    for _ in range(100):
        adc.read_scan()  # calibration, runs growing, the bit time learned
    before = clock.waits
    for _ in range(scans):
        assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
    return (clock.waits - before) / scans


def test_continuous_runs_are_paced_by_the_bus_one_call_per_conversion() -> None:
    """Each step is one combined transfer that lasts until the next: no sleep in between."""
    clock = CountingClock(FakeClock())
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock, bus_hz=400_000)
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        paced = _blocking_calls_per_scan(adc, clock, 280)
        stats = adc.stream_stats()
    # Three transfers per scan, plus a run's start, stop and end checks (84 conversions).
    assert 3.0 <= paced < 3.6
    assert stats["paced_steps"] > 0
    assert stats["rejected_runs"] == 0
    # Without combined transfers (an adapter that refuses them): the driver's read and
    # write and a sleep per conversion.
    clock = CountingClock(FakeClock())
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock, bus_hz=400_000)
    two_per_step = Ads1x15Adc(
        bus,
        AdcConfig(),
        backend="emulated",
        description="two transfers per step",
        simulated=True,
        clock=clock,
        strategy="continuous",
    )
    with two_per_step:
        assert _blocking_calls_per_scan(two_per_step, clock, 280) > 8.5
        assert two_per_step.stream_stats()["paced_steps"] == 0


def test_a_bus_slower_than_fast_mode_is_not_paced() -> None:
    """At 100 kHz each padding byte may take 4x the 400 kHz time the checks count with:
    the steps are combined but not padded (a sleep waits), and every run verifies."""
    config = AdcConfig(data_rate_sps=250)
    clock = CountingClock(FakeClock())
    chip = EmulatedAds1x15(inputs=inputs)
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=100_000)
    with open_adc(config, "emulated", emulator=bus, strategy="continuous") as adc:
        calls = _blocking_calls_per_scan(adc, clock, 100)
        stats = adc.stream_stats()
    # A transfer and a sleep per conversion, and a run's start and end (4 scans a run).
    assert 6.0 <= calls < 8.0
    assert stats["paced_steps"] == 0
    assert stats["rejected_runs"] == 0
    assert stats["partial_runs"] == 0


@pytest.mark.parametrize("stall_at_s", [0.004, 0.011, 0.019, 0.026])
def test_continuous_run_hit_by_a_stall_delivers_only_verified_scans(stall_at_s: float) -> None:
    """A 3 ms stall in a run: the scans around it are dropped, none is mislabelled."""
    clock = FakeClock()
    chip = EmulatedAds1x15(inputs=inputs)
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=400_000)
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        for _ in range(50):
            adc.read_scan()
        before = adc.stream_stats()
        # The reading thread is descheduled for 3 ms in the middle of a run.
        bus.schedule(clock.monotonic() + stall_at_s, lambda: clock.advance(0.003))
        errors: list[AdcTimeoutError] = []
        for _ in range(100):
            try:
                volts = adc.read_volts()
            except AdcTimeoutError as err:
                errors.append(err)
                continue
            assert volts == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
        after = adc.stream_stats()
    assert after["rejected_runs"] == before["rejected_runs"]
    assert after["partial_runs"] == before["partial_runs"] + 1
    # A stall of about 2.6 conversions spoils the scans around it, not the rest of the run
    # (84 conversions): up to three when it delays a step whose padding was already planned.
    assert 1 <= after["dropped_scans"] - before["dropped_scans"] <= 3
    assert len(errors) <= 1
    assert all("continuous scan rejected" in str(e) for e in errors)


@pytest.mark.parametrize("stall_s", [0.0012, 0.002])
def test_no_scan_is_mislabelled_wherever_a_stall_hits(stall_s: float) -> None:
    """A stall at every phase of a run (steps, the stop, the end check, between runs)."""
    clock = FakeClock()
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock, bus_hz=400_000)
    delivered = 0
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        for _ in range(50):
            adc.read_scan()
        for step in range(150):
            # One run is up to 84 conversions (98 ms): 0.7 ms steps cover every phase of it.
            bus.schedule(clock.monotonic() + step * 0.0007, lambda: clock.advance(stall_s))
            for _ in range(12):
                try:
                    volts = adc.read_volts()
                except AdcTimeoutError:
                    continue
                delivered += 1
                assert volts == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
        stats = adc.stream_stats()
    assert stats["late_stops"] >= 1  # the stop itself was hit at least once
    assert stats["partial_runs"] >= 1
    assert delivered >= 0.9 * 150 * 12


@pytest.mark.parametrize(
    ("missed", "spoiled"),
    [
        ([], set()),
        ([0], {0, 1}),
        ([5], {4, 5, 6}),
        ([5, 6], {4, 5, 6, 7}),
    ],
)
def test_a_missed_step_spoils_the_conversions_it_reads_and_selects(
    missed: list[int], spoiled: set[int]
) -> None:
    assert spoiled_conversions(missed) == spoiled


def test_unknown_strategy_is_rejected() -> None:
    with pytest.raises(AdcConfigError, match="single_shot"):
        open_adc(AdcConfig(), "emulated", strategy="burst")


def test_continuous_falls_back_to_single_shot_on_a_slow_bus(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At 100 kHz one step (read + write, 860 µs) cannot fit a 1163 µs conversion."""
    clock = FakeClock()
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock, bus_hz=100_000)
    good = []
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        for _ in range(20):
            try:
                good.append(adc.read_volts())
            except AdcTimeoutError:
                continue
        assert adc.strategy == "single_shot"
    assert "falling back to single-shot" in caplog.text
    assert len(good) > 5
    assert all(v == pytest.approx([0.8, 1.6, 2.4], abs=1e-3) for v in good)


def test_continuous_runs_on_a_bus_without_wire_time() -> None:
    clock = FakeClock()
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock)
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        for _ in range(100):
            assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
        assert adc.strategy == "continuous"


def test_a_bus_error_while_calibrating_calibrates_again() -> None:
    """The calibration (and the bit time that paces the steps) is not skipped after an error."""
    clock = FakeClock()
    bus = EmulatedI2CBus([EmulatedAds1x15(inputs=inputs)], clock=clock, bus_hz=400_000)
    with open_adc(AdcConfig(), "emulated", emulator=bus, strategy="continuous") as adc:
        bus.error_rate = 1.0  # the first run's calibration fails at its first transfer
        with pytest.raises(AdcReadError):
            adc.read_scan()
        bus.error_rate = 0.0
        for _ in range(100):
            assert adc.read_volts() == pytest.approx([0.8, 1.6, 2.4], abs=1e-3)
        stats = adc.stream_stats()
    assert stats["calibrations"] == 2
    assert stats["paced_steps"] > 0
