"""The emulated ADS1115/ADS1015 at register level: through its I2C bus and the real driver."""

from __future__ import annotations

import errno
import itertools

import pytest
from adafruit_ads1x15 import ads1015, ads1115
from adafruit_ads1x15.ads1x15 import Pin
from adafruit_ads1x15.analog_in import AnalogIn

from firmware.ads_emulator import (
    ADS1115,
    POWER_ON_CONFIG,
    EmulatedAds1x15,
    EmulatedI2CBus,
)
from firmware.clock import FakeClock

ADDRESS = 0x48


def fixed_inputs(*volts: float):  # type: ignore[no-untyped-def]
    values = list(volts) + [0.0] * (4 - len(volts))
    return lambda channel, t_s: values[channel]


def make_bus(
    inputs=None,  # type: ignore[no-untyped-def]
    model: str = "ADS1115",
    bus_hz: float | None = None,
    **bus_options,  # type: ignore[no-untyped-def]
) -> tuple[EmulatedI2CBus, EmulatedAds1x15, FakeClock]:
    clock = FakeClock()
    chip = EmulatedAds1x15(model, ADDRESS, inputs or fixed_inputs())
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=bus_hz, **bus_options)
    return bus, chip, clock


def read_reg(bus: EmulatedI2CBus, pointer: int) -> int:
    buf = bytearray(2)
    assert bus.try_lock()
    try:
        bus.writeto_then_readfrom(ADDRESS, bytes([pointer]), buf)
    finally:
        bus.unlock()
    return (buf[0] << 8) | buf[1]


def write_reg(bus: EmulatedI2CBus, pointer: int, value: int) -> None:
    assert bus.try_lock()
    try:
        bus.writeto(ADDRESS, bytes([pointer, value >> 8, value & 0xFF]))
    finally:
        bus.unlock()


def single_shot_config(mux: int, pga: int = 1, dr: int = 7, start: bool = True) -> int:
    return (0x8000 if start else 0) | mux << 12 | pga << 9 | 0x0100 | dr << 5 | 0x0003


def convert(bus: EmulatedI2CBus, clock: FakeClock, config: int) -> int:
    write_reg(bus, 1, config)
    clock.advance(0.2)  # longer than any conversion
    return read_reg(bus, 0)


def signed(code: int) -> int:
    return code - 0x10000 if code & 0x8000 else code


def test_power_on_registers() -> None:
    bus, chip, clock = make_bus()
    assert chip.registers(clock.monotonic()) == {
        "conversion": 0,
        "config": POWER_ON_CONFIG,
        "lo_thresh": 0x8000,
        "hi_thresh": 0x7FFF,
    }
    assert read_reg(bus, 1) == POWER_ON_CONFIG
    assert read_reg(bus, 0) == 0
    assert read_reg(bus, 2) == 0x8000
    assert read_reg(bus, 3) == 0x7FFF


@pytest.mark.parametrize(
    "config",
    [0x0583, 0x4383, 0x71E3, 0x1E1F, 0x3D0C, 0x5B70],
)
def test_config_round_trip_reads_os_one_when_idle(config: int) -> None:
    bus, _, _ = make_bus()
    write_reg(bus, 1, config | 0x0100)  # single-shot, OS=0: no conversion started
    assert read_reg(bus, 1) == config | 0x0100 | 0x8000


def test_threshold_registers_round_trip() -> None:
    bus, _, _ = make_bus()
    write_reg(bus, 2, 0x1234)
    write_reg(bus, 3, 0xFEDC)
    assert (read_reg(bus, 2), read_reg(bus, 3)) == (0x1234, 0xFEDC)


def test_conversion_register_is_read_only() -> None:
    bus, _, clock = make_bus(fixed_inputs(1.0))
    code = convert(bus, clock, single_shot_config(4))
    write_reg(bus, 0, 0x5555)
    assert read_reg(bus, 0) == code


@pytest.mark.parametrize("dr_code", range(8))
def test_os_bit_timing_follows_the_data_rate(dr_code: int) -> None:
    bus, _, clock = make_bus(fixed_inputs(1.0))
    previous = convert(bus, clock, single_shot_config(5))  # AIN1 = 0 V -> code 0
    conversion_s = 1.0 / ADS1115.rates_sps[dr_code]
    write_reg(bus, 1, single_shot_config(4, dr=dr_code))  # AIN0 = 1 V
    clock.advance(conversion_s * 0.98)
    assert read_reg(bus, 1) & 0x8000 == 0  # still converting
    assert read_reg(bus, 0) == previous  # the register holds the last result meanwhile
    clock.advance(conversion_s * 0.03)
    assert read_reg(bus, 1) & 0x8000
    assert read_reg(bus, 0) == round(1.0 / 4.096 * 32768)


def test_start_during_a_conversion_is_ignored() -> None:
    bus, chip, clock = make_bus(fixed_inputs(1.0, 2.0))
    write_reg(bus, 1, single_shot_config(4))
    clock.advance(0.0005)
    write_reg(bus, 1, single_shot_config(4))
    clock.advance(0.0007)  # 1.2 ms after the first start, 0.7 ms after the second
    assert read_reg(bus, 1) & 0x8000
    assert chip.conversions == 1


@pytest.mark.parametrize(
    ("mux", "expected_v"),
    [
        (0, 0.5 - 1.25),  # AIN0 - AIN1
        (1, 0.5 - 3.0),  # AIN0 - AIN3
        (2, 1.25 - 3.0),  # AIN1 - AIN3
        (3, 2.0 - 3.0),  # AIN2 - AIN3
        (4, 0.5),
        (5, 1.25),
        (6, 2.0),
        (7, 3.0),
    ],
)
def test_mux_selects_inputs(mux: int, expected_v: float) -> None:
    bus, _, clock = make_bus(fixed_inputs(0.5, 1.25, 2.0, 3.0))
    code = signed(convert(bus, clock, single_shot_config(mux, pga=0)))
    assert code == round(expected_v / 6.144 * 32768)


@pytest.mark.parametrize(
    ("pga", "fsr_v"), [(0, 6.144), (1, 4.096), (2, 2.048), (3, 1.024), (4, 0.512), (5, 0.256)]
)
def test_pga_sets_the_full_scale_range(pga: int, fsr_v: float) -> None:
    volts = 0.2
    bus, _, clock = make_bus(fixed_inputs(volts))
    assert signed(convert(bus, clock, single_shot_config(4, pga=pga))) == round(
        volts / fsr_v * 32768
    )


@pytest.mark.parametrize(
    ("inputs", "mux", "pga", "expected"),
    [
        ((3.0,), 4, 2, 0x7FFF),  # above +2.048 V full scale: top code
        ((0.0, 3.0), 0, 2, 0x8000),  # AIN0 - AIN1 = -3 V below -2.048 V: bottom code
        ((-1.0,), 4, 5, 0x8000),  # clamped to -0.3 V, still below -0.256 V
        ((-1.0,), 4, 0, 0x10000 - round(0.3 / 6.144 * 32768)),  # clamped to -0.3 V
        ((9.0,), 4, 0, round(3.6 / 6.144 * 32768)),  # clamped to VDD + 0.3 V
    ],
)
def test_clipping(inputs: tuple[float, ...], mux: int, pga: int, expected: int) -> None:
    bus, _, clock = make_bus(fixed_inputs(*inputs))
    assert convert(bus, clock, single_shot_config(mux, pga=pga)) == expected


@pytest.mark.parametrize(("volts", "code12"), [(1.0, 1000), (-0.2, -200), (3.3, 2047)])
def test_ads1015_codes_are_12_bit_left_aligned(volts: float, code12: int) -> None:
    # ±2.048 V: 1 mV per 12-bit code.
    bus, _, clock = make_bus(fixed_inputs(volts, 0.0), model="ADS1015")
    code = convert(bus, clock, single_shot_config(0, pga=2, dr=4))
    assert code & 0xF == 0
    assert signed(code) >> 4 == code12


def test_continuous_mode_converts_back_to_back_and_switches_at_a_boundary() -> None:
    times: list[float] = []

    def inputs(channel: int, t_s: float) -> float:
        times.append(t_s)
        return [0.5, 1.0, 0.0, 0.0][channel]

    bus, _, clock = make_bus(inputs)
    config = 4 << 12 | 1 << 9 | 7 << 5 | 0x0003  # continuous, AIN0, 860 SPS
    period_s = 1.0 / 860
    write_reg(bus, 1, config)
    assert read_reg(bus, 1) & 0x8000 == 0  # always converting
    clock.advance(period_s * 2.5)
    assert read_reg(bus, 0) == round(0.5 / 4.096 * 32768)
    write_reg(bus, 1, config & ~0x7000 | 5 << 12)  # AIN1, written mid-conversion
    clock.advance(period_s * 0.6)  # the conversion in progress ends with AIN0
    assert read_reg(bus, 0) == round(0.5 / 4.096 * 32768)
    clock.advance(period_s)  # the next one is AIN1
    assert read_reg(bus, 0) == round(1.0 / 4.096 * 32768)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g == pytest.approx(period_s) for g in gaps)


@pytest.mark.parametrize(("bus_hz", "scale"), [(400_000, 1), (100_000, 4)])
def test_wire_time_counts_bits(bus_hz: float, scale: int) -> None:
    bus, _, clock = make_bus(bus_hz=bus_hz)
    t0 = clock.monotonic()
    write_reg(bus, 1, 0x0583)  # start + address/ACK + 3 bytes/ACK + stop = 38 bits
    t1 = clock.monotonic()
    read_reg(bus, 1)  # + pointer byte, repeated start, address, 2 bytes = 48 bits
    t2 = clock.monotonic()
    assert t1 - t0 == pytest.approx(scale * 38 / 400_000)
    assert t2 - t1 == pytest.approx(scale * 48 / 400_000)
    assert bus.wire_time_s == pytest.approx(scale * 86 / 400_000)


def test_combined_transfer_writes_then_reads_in_one_transfer_with_its_wire_time() -> None:
    """Config write, pointer write and a padded read: one transfer, actions at their bits."""
    bus, _, clock = make_bus(fixed_inputs(0.5, 1.0), bus_hz=400_000)
    period_s = 1.0 / 860
    ain0 = 4 << 12 | 1 << 9 | 7 << 5 | 0x0003  # continuous, AIN0, 860 SPS
    write_reg(bus, 1, ain0)
    clock.advance(period_s * 1.5)  # conversion 0 done, conversion 1 (AIN0) under way
    transfers = bus.transfers
    t0 = clock.monotonic()
    ain1 = ain0 & ~0x7000 | 5 << 12
    buf = bytearray(2 + 10)
    bus.writes_then_readfrom(ADDRESS, (bytes([1, ain1 >> 8, ain1 & 0xFF]), bytes([0])), buf)
    # START+address (10) + 3 bytes (27) | rSTART+address (10) + pointer (9) |
    # rSTART+address (10) + 12 bytes (108) + STOP (1)
    assert clock.monotonic() - t0 == pytest.approx((37 + 19 + 10 + 108 + 1) / 400_000)
    assert bus.transfers == transfers + 1
    code = round(0.5 / 4.096 * 32768)
    # The result, then the register again for every padding byte.
    assert buf == bytes([code >> 8, code & 0xFF]) * 6
    # The input change written mid-conversion takes effect at the next boundary.
    clock.advance(period_s)
    assert read_reg(bus, 0) == code  # conversion 1 was AIN0
    clock.advance(period_s)
    assert read_reg(bus, 0) == round(1.0 / 4.096 * 32768)  # conversion 2 is AIN1
    assert read_reg(bus, 1) == ain1  # the write reached the config register


def test_combined_transfer_faults_fail_it_before_the_chip() -> None:
    bus, chip, _ = make_bus(bus_hz=400_000, error_rate=1.0)
    with pytest.raises(OSError, match="Remote I/O") as caught:
        bus.writes_then_readfrom(ADDRESS, (bytes([1, 0x45, 0x83]),), bytearray(2))
    assert caught.value.errno == errno.EREMOTEIO
    bus.error_rate = 0.0
    assert read_reg(bus, 1) == POWER_ON_CONFIG  # the failed write changed nothing
    chip.vanish()
    with pytest.raises(OSError, match="Remote I/O"):
        bus.writes_then_readfrom(ADDRESS, (bytes([0]),), bytearray(2))


def test_missing_chip_fails_the_driver_probe() -> None:
    bus = EmulatedI2CBus([], clock=FakeClock())
    with pytest.raises(ValueError, match="No I2C device at address: 0x48"):
        ads1115.ADS1115(bus)


def test_vanished_chip_gives_errno_121_and_returns_reset() -> None:
    bus, chip, _clock = make_bus(bus_hz=400_000)
    ads = ads1115.ADS1115(bus, data_rate=860)
    pin = AnalogIn(ads, Pin.A0)
    chip.vanish()
    with pytest.raises(OSError, match="Remote I/O") as caught:
        pin.value  # noqa: B018
    assert caught.value.errno == errno.EREMOTEIO
    assert bus.scan() == []
    chip.reappear()
    assert bus.scan() == [ADDRESS]
    assert read_reg(bus, 1) == POWER_ON_CONFIG  # the chip was reset
    assert pin.value == 0


@pytest.mark.parametrize("code", [errno.EREMOTEIO, errno.EIO, errno.ETIMEDOUT])
def test_injected_transfer_errors_reach_the_driver(code: int) -> None:
    bus, _, _ = make_bus(bus_hz=400_000, error_rate=1.0, error_errnos=(code,))
    with pytest.raises(ValueError, match="No I2C device"):
        ads1115.ADS1115(bus)  # every transfer fails, the probe included
    bus.error_rate = 0.0
    ads = ads1115.ADS1115(bus)
    bus.error_rate = 1.0
    with pytest.raises(OSError, match=r"\[Errno") as caught:
        AnalogIn(ads, Pin.A1).value  # noqa: B018
    assert caught.value.errno == code


def test_error_share_is_seeded_and_failed_transfers_change_nothing() -> None:
    counts = []
    for _ in range(2):
        bus, _chip, _ = make_bus(error_rate=0.3, seed=7)
        failures = 0
        for _ in range(1000):
            try:
                write_reg(bus, 2, 0x0F0F)
            except OSError:
                failures += 1
        counts.append(failures)
        assert bus.failed_transfers == failures
    assert counts[0] == counts[1]
    assert 230 < counts[0] < 370
    bus, _, _ = make_bus(error_rate=1.0)
    with pytest.raises(OSError, match="Remote I/O"):
        write_reg(bus, 2, 0x0F0F)
    bus.error_rate = 0.0
    assert read_reg(bus, 2) == 0x8000


def test_disconnected_and_stuck_channels() -> None:
    bus, chip, _clock = make_bus(fixed_inputs(1.0, 2.0, 3.0), bus_hz=400_000)
    ads = ads1115.ADS1115(bus, gain=1, data_rate=860)
    pins = [AnalogIn(ads, p) for p in (Pin.A0, Pin.A1, Pin.A2)]
    chip.disconnect_sensor(0)
    chip.disconnect_sensor(1, volts=0.4)
    chip.stick_channel(2, "full_scale")
    assert [p.value for p in pins] == [0, round(0.4 / 4.096 * 32768), 0x7FFF]
    chip.stick_channel(2, "zero")
    assert pins[2].value == 0
    for channel in range(3):
        chip.reconnect_sensor(channel)
    assert [p.voltage for p in pins] == pytest.approx([1.0, 2.0, 3.0], abs=2 * 4.096 / 32768)


def test_scheduled_fault_runs_on_the_bus_clock() -> None:
    bus, chip, clock = make_bus()
    bus.schedule(clock.monotonic() + 1.0, chip.vanish)
    read_reg(bus, 1)
    assert chip.present
    clock.advance(1.0)
    with pytest.raises(OSError, match="Remote I/O"):
        read_reg(bus, 1)
    assert not chip.present


def test_deinitialised_bus_refuses_transfers() -> None:
    bus, _, _ = make_bus()
    with bus:
        read_reg(bus, 1)
    with pytest.raises(OSError, match="deinitialised"):
        read_reg(bus, 1)


def test_bus_locking_and_validation() -> None:
    bus, chip, _ = make_bus()
    assert bus.try_lock()
    assert not bus.try_lock()
    bus.unlock()
    with pytest.raises(ValueError, match="already taken"):
        bus.attach(EmulatedAds1x15())
    with pytest.raises(ValueError, match="unknown ADC model"):
        EmulatedAds1x15("ADS1234")
    with pytest.raises(ValueError, match="0x48-0x4B"):
        EmulatedAds1x15(address=0x50)
    with pytest.raises(ValueError, match="bus_hz"):
        EmulatedI2CBus(bus_hz=5)
    with pytest.raises(ValueError, match="AIN channel"):
        chip.disconnect_sensor(4)


@pytest.mark.parametrize("driver", [ads1115.ADS1115, ads1015.ADS1015])
@pytest.mark.parametrize("gain", [2 / 3, 1, 2, 4, 8, 16])
def test_driver_voltage_within_one_lsb_across_gains(driver: type, gain: float) -> None:
    model = "ADS1115" if driver is ads1115.ADS1115 else "ADS1015"
    fsr_v = {2 / 3: 6.144, 1: 4.096, 2: 2.048, 4: 1.024, 8: 0.512, 16: 0.256}[gain]
    bits = 16 if model == "ADS1115" else 12
    lsb_v = fsr_v / (1 << (bits - 1))
    top_v = min(fsr_v, 3.3)  # inputs cannot exceed the supply (VDD = 3.3 V)
    volts = [0.0, top_v * 0.123, top_v * 0.5, top_v * 0.987]
    bus, _, _ = make_bus(fixed_inputs(*volts), model=model, bus_hz=400_000)
    ads = driver(bus, gain=gain)
    for channel, expected_v in enumerate(volts):
        assert AnalogIn(ads, channel).voltage == pytest.approx(expected_v, abs=lsb_v)


def test_mode_one_in_continuous_powers_down_after_the_conversion_in_progress() -> None:
    bus, chip, clock = make_bus(fixed_inputs(0.5, 1.0))
    period_s = 1.0 / 860
    continuous = 4 << 12 | 1 << 9 | 7 << 5 | 0x0003
    write_reg(bus, 1, continuous)
    clock.advance(period_s * 1.5)
    write_reg(bus, 1, single_shot_config(5, start=True))  # OS=1 ignored: not powered down
    assert read_reg(bus, 1) & 0x8000 == 0  # the conversion in progress goes on
    clock.advance(period_s * 0.6)
    assert read_reg(bus, 1) & 0x8000  # powered down at the boundary
    assert read_reg(bus, 0) == round(0.5 / 4.096 * 32768)  # with the old input
    conversions = chip.conversions
    clock.advance(period_s * 3)
    read_reg(bus, 0)
    assert chip.conversions == conversions


def test_oscillator_error_stretches_conversions() -> None:
    clock = FakeClock()
    chip = EmulatedAds1x15(inputs=fixed_inputs(1.0), oscillator_error=0.1)
    bus = EmulatedI2CBus([chip], clock=clock)
    write_reg(bus, 1, single_shot_config(4))
    clock.advance(1.05 / 860)
    assert read_reg(bus, 1) & 0x8000 == 0
    clock.advance(0.06 / 860)
    assert read_reg(bus, 1) & 0x8000
    with pytest.raises(ValueError, match=r"±0\.1"):
        EmulatedAds1x15(oscillator_error=0.2)
