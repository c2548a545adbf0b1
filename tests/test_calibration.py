import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insole.calibration import Calibration, check_drift, fit_curve
from insole.errors import CalibrationError
from insole.sensor_model import Divider, FsrCurve, force_to_volts


def test_fit_recovers_a_known_curve() -> None:
    truth = FsrCurve(r_at_1n_ohm=9_000.0, exponent=0.9)
    div = Divider()
    points = [(f, force_to_volts(f, truth, div)) for f in (2.0, 9.81, 19.6, 49.0)]
    fitted = fit_curve(points, div)
    assert fitted.r_at_1n_ohm == pytest.approx(9_000.0, rel=1e-6)
    assert fitted.exponent == pytest.approx(0.9, rel=1e-6)


def test_fit_with_two_weights_is_exact() -> None:
    div = Divider()
    fitted = fit_curve([(5.0, 1.2), (20.0, 2.4)], div)
    cal = Calibration(div, (fitted, fitted, fitted))
    assert cal.force_n(0, 1.2) == pytest.approx(5.0)
    assert cal.force_n(0, 2.4) == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("points", "fragment"),
    [
        ([(5.0, 1.0)], "at least two"),
        ([(5.0, 1.0), (5.0, 1.1)], "two different weights"),
        ([(5.0, 2.0), (20.0, 1.0)], "did not rise"),
        ([(5.0, 1.0), (20.0, 3.5)], "outside 0..3.3"),
        ([(-1.0, 1.0), (20.0, 2.0)], "positive forces"),
        ([(5.0, float("nan")), (20.0, 2.0)], "outside"),
        ([(1.0, 0.5), (2.0, 0.6), (50.0, 0.61), (60.0, 3.2)], "do not fit one curve"),
    ],
)
def test_bad_calibrations_are_rejected(
    points: list[tuple[float, float]], fragment: str
) -> None:
    with pytest.raises(CalibrationError, match=fragment):
        fit_curve(points, Divider())


def test_tare_subtracts_the_unloaded_reading() -> None:
    cal = Calibration()
    unloaded = [force_to_volts(f, FsrCurve(), Divider()) for f in (1.0, 0.5, 0.0)]
    tared = cal.with_tare(unloaded)
    assert tared.tare_n[0] == pytest.approx(1.0)
    assert tared.force_n(0, unloaded[0]) == pytest.approx(0.0, abs=1e-9)
    loaded = force_to_volts(11.0, FsrCurve(), Divider())
    assert tared.force_n(0, loaded) == pytest.approx(10.0)


def test_tare_with_the_foot_down_is_refused() -> None:
    pressed = force_to_volts(60.0, FsrCurve(), Divider())
    with pytest.raises(CalibrationError, match="lift the foot"):
        Calibration().with_tare([pressed, 0.0, 0.0])


@given(st.lists(st.floats(0.0, 3.29), min_size=3, max_size=3))
def test_fast_converter_agrees_with_reference(volts: list[float]) -> None:
    cal = Calibration(
        Divider(3.3, 4_700), (FsrCurve(), FsrCurve(8_000, 1.1), FsrCurve(20_000, 0.7)),
        (0.5, 0.0, 1.0),
    )
    fast = cal.converter()(volts)
    for i in range(3):
        assert fast[i] == pytest.approx(cal.force_n(i, volts[i]), rel=1e-12, abs=1e-12)
        assert math.isfinite(fast[i])
        assert fast[i] >= 0.0


def test_round_trip_and_malformed_dicts() -> None:
    cal = Calibration(Divider(3.3, 10_000), (FsrCurve(), FsrCurve(8_000, 1.1), FsrCurve()),
                      (0.2, 0.0, 0.1))
    assert Calibration.from_dict(cal.to_dict()) == cal
    with pytest.raises(CalibrationError, match="malformed"):
        Calibration.from_dict({"supply_v": 3.3})
    bad = cal.to_dict()
    bad["sensors"]["heel"]["exponent"] = -2
    with pytest.raises(CalibrationError, match="exponent"):
        Calibration.from_dict(bad)


def test_drift_warning_names_the_sensor() -> None:
    report = check_drift([0.5, 0.2, 0.1], [0.6, 3.0, 0.1])
    assert report.drifted == ("little_toe",)
    assert report.warning is not None
    assert "little_toe +2.8 N" in report.warning
    assert check_drift([0.5, 0.2, 0.1], [0.7, 0.2, 0.1]).warning is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"r_fixed_ohm": 0.0, "sensors": {}}, "supply_v is missing"),
        ({"supply_v": 3.3, "r_fixed_ohm": "x", "sensors": {}}, "r_fixed_ohm must be a number"),
        ({"supply_v": 3.3, "r_fixed_ohm": 3300, "sensors": []}, "sensors must be an object"),
        ({"supply_v": 3.3, "r_fixed_ohm": 3300, "sensors": {}}, "sensors.heel is missing"),
        (
            {"supply_v": True, "r_fixed_ohm": 3300, "sensors": {}},
            "supply_v must be a number, got True",
        ),
    ],
)
def test_a_malformed_calibration_names_the_field_not_a_python_error(
    data: dict[str, object], message: str
) -> None:
    """Before, the message was "malformed calibration: KeyError('supply_v')"."""
    with pytest.raises(CalibrationError, match=re.escape(message)) as raised:
        Calibration.from_dict(data)
    assert "Error" not in str(raised.value)


def test_a_missing_sensor_field_is_named_with_its_sensor() -> None:
    data = Calibration().to_dict()
    del data["sensors"]["big_toe"]["exponent"]
    with pytest.raises(CalibrationError, match=r"sensors\.big_toe\.exponent is missing"):
        Calibration.from_dict(data)
    del data["sensors"]["heel"]["tare_n"]
    data["sensors"]["big_toe"]["exponent"] = 1.0
    assert Calibration.from_dict(data).tare_n[0] == 0.0
