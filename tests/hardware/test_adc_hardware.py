"""The real ADS1x15 on the Pi's I2C bus, read through the hardware backend."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import pytest

from firmware import doctor
from firmware.config import AdcConfig, DeviceConfig
from firmware.doctor import Status
from insole.calibration import Calibration
from insole.frames import SENSORS

pytestmark = pytest.mark.hardware

SUPPLY_V = 3.3


def test_three_channels_read_inside_the_supply(adc: Any) -> None:
    scans = doctor.sample_volts(adc, count=50, interval_s=0.005)
    for scan in scans:
        assert len(scan) == 3
        for volts in scan:
            assert -0.05 <= volts <= SUPPLY_V + 0.1


def test_doctor_finds_the_chip_and_sane_channels(adc_config: AdcConfig, tmp_path: Any) -> None:
    options = doctor.DoctorOptions(
        config=DeviceConfig(adc=adc_config), data_dir=tmp_path, check_gpio=False
    )
    results = {r.name: r for r in doctor.run_checks(options)}
    assert results["i2c bus"].status is Status.OK
    assert results["adc"].status is Status.OK, results["adc"]
    for sensor in SENSORS:
        result = results[f"channel {sensor}"]
        assert result.status is not Status.FAIL, result


def test_each_sensor_responds_to_a_press(adc: Any, interactive: Callable[[str], None]) -> None:
    interactive("Take the foot off the insole (measuring the unloaded channels).")
    scans = doctor.sample_volts(adc, count=20, interval_s=0.02)
    means = [statistics.fmean(s[i] for s in scans) for i in range(3)]
    baseline = (means[0], means[1], means[2])
    for sensor in SENSORS:
        result = doctor.press_test(adc, sensor, baseline, supply_v=SUPPLY_V,
                                   prompt=interactive, timeout_s=15.0)
        assert result.status is not Status.FAIL, result


def test_tare_zeroes_the_unloaded_insole_and_a_press_still_reads(
    adc: Any, interactive: Callable[[str], None]
) -> None:
    interactive("Take the foot off the insole for the tare.")
    scans = doctor.sample_volts(adc, count=20, interval_s=0.02)
    unloaded = [statistics.fmean(s[i] for s in scans) for i in range(3)]
    calibration = Calibration().with_tare(unloaded)
    forces = calibration.converter()
    after = doctor.sample_volts(adc, count=20, interval_s=0.02)
    assert max(max(forces(scan)) for scan in after) < 2.0  # newtons: tared to about zero
    interactive("Press the heel point firmly and keep pressing for 2 s.")
    peak_n = 0.0
    for scan in doctor.sample_volts(adc, count=100, interval_s=0.03):
        peak_n = max(peak_n, forces(scan)[0])
    interactive("Release.")
    assert peak_n > 5.0


def test_continuous_runs_use_combined_transfers_and_agree_with_single_shot(
    adc_config: AdcConfig,
) -> None:
    """At 860 SPS the continuous strategy reads the same unloaded levels as single shots.

    Also checks that the Pi's I2C adapter took the combined (``I2C_RDWR``) transfers that
    pace the runs; with a refusal the ADC would log it and use two transfers per step.
    """
    from firmware.adc import open_adc

    config = AdcConfig(
        model=adc_config.model,
        i2c_bus=adc_config.i2c_bus,
        address=adc_config.address,
        gain=adc_config.gain,
        data_rate_sps=860 if adc_config.model == "ADS1115" else 3300,
        channels=dict(adc_config.channels),
    )
    with open_adc(config, backend="hardware") as single:
        reference = [single.read_volts() for _ in range(30)]
    with open_adc(config, backend="hardware", strategy="continuous") as stream:
        assert stream.combined is not None, "the I2C adapter refused combined transfers"
        scans = [stream.read_volts() for _ in range(300)]
        stats = stream.stream_stats()
    assert stats["runs"] >= 1
    assert stats["rejected_runs"] <= stats["runs"] // 2
    for index in range(3):
        # Unloaded and still: each channel's median agrees within 20 mV.
        assert statistics.median(s[index] for s in scans) == pytest.approx(
            statistics.median(r[index] for r in reference), abs=0.02
        )
