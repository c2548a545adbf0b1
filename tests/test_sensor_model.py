import math

import pytest

from insole.errors import CalibrationError
from insole.sensor_model import Divider, FsrCurve, force_to_volts, volts_to_force


def test_divider_matches_hand_computation() -> None:
    # 3.3 V * 3.3 kΩ / (3.3 kΩ + 6.7 kΩ) = 1.089 V
    assert Divider(3.3, 3300).volts(6700) == pytest.approx(1.089)
    assert Divider(3.3, 3300).resistance_ohm(1.089) == pytest.approx(6700)


def test_unloaded_sensor_reads_zero() -> None:
    curve, div = FsrCurve(), Divider()
    assert force_to_volts(0.0, curve, div) < 1e-4
    assert volts_to_force(0.0, curve, div) == 0.0


@pytest.mark.parametrize("force", [0.2, 1.0, 5.0, 20.0, 80.0, 150.0])
def test_force_volts_round_trip(force: float) -> None:
    curve, div = FsrCurve(), Divider()
    v = force_to_volts(force, curve, div)
    assert 0.0 < v < div.supply_v
    assert volts_to_force(v, curve, div) == pytest.approx(force, rel=1e-9)


def test_voltage_rises_with_force() -> None:
    volts = [force_to_volts(f, FsrCurve(), Divider()) for f in (0.5, 1, 2, 5, 10, 50, 100)]
    assert volts == sorted(volts)


def test_saturated_input_gives_finite_force() -> None:
    assert math.isfinite(volts_to_force(3.3, FsrCurve(), Divider()))


@pytest.mark.parametrize("kwargs", [{"exponent": -1.0}, {"r_at_1n_ohm": float("inf")}])
def test_bad_curves_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(CalibrationError):
        FsrCurve(**kwargs)
