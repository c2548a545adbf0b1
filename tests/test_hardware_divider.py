"""Divider design maths against values worked out by hand (default FSR curve:
r = 12 kΩ · F^-0.85, 3.3 V supply)."""

from __future__ import annotations

import math

import pytest

from firmware.cli import main
from hardware.checks import expected_readings
from hardware.divider import (
    DesignError,
    DesignInputs,
    LoadCase,
    counts_per_percent,
    e_series,
    evaluate,
    lsb_v,
    newtons_per_lsb,
    puck_area_cm2,
    recommend,
    sensitivity_v_per_n,
)
from insole.sensor_model import Divider, FsrCurve, force_to_volts

CURVE = FsrCurve()
DIV_3K3 = Divider(3.3, 3300)


def test_lsb_sizes() -> None:
    # 4.096 V / 2^15 and 4.096 V / 2^11; 0.256 V / 2^15.
    assert lsb_v(4.096) == pytest.approx(125e-6)
    assert lsb_v(4.096, "ADS1015") == pytest.approx(2e-3)
    assert lsb_v(0.256) == pytest.approx(7.8125e-6)


def test_voltage_and_slope_at_10_n() -> None:
    # r(10 N) = 12000 * 10^-0.85 = 1695.05 Ω; v = 3.3 * 3300 / 4995.05 = 2.1802 V;
    # dv/dF = 3.3 * 3300 * 0.85 * 1695.05 / (10 * 4995.05²) = 0.062886 V/N.
    assert CURVE.resistance_ohm(10.0) == pytest.approx(1695.05, rel=1e-5)
    assert force_to_volts(10.0, CURVE, DIV_3K3) == pytest.approx(2.1802, rel=1e-4)
    assert sensitivity_v_per_n(10.0, CURVE, DIV_3K3) == pytest.approx(0.062886, rel=1e-4)


def test_slope_matches_a_finite_difference() -> None:
    step = 1e-4
    numeric = (
        force_to_volts(10.0 + step, CURVE, DIV_3K3) - force_to_volts(10.0 - step, CURVE, DIV_3K3)
    ) / (2 * step)
    assert sensitivity_v_per_n(10.0, CURVE, DIV_3K3) == pytest.approx(numeric, rel=1e-6)


def test_force_resolution_at_10_n() -> None:
    # 125 µV / 0.062886 V/N = 1.988 mN per count; ADS1015: 2 mV / 0.062886 = 31.80 mN.
    assert newtons_per_lsb(10.0, CURVE, DIV_3K3, 125e-6) == pytest.approx(1.9877e-3, rel=1e-3)
    assert newtons_per_lsb(10.0, CURVE, DIV_3K3, 2e-3) == pytest.approx(31.80e-3, rel=1e-3)
    # 0.01 * 10 N * 0.062886 V/N / 125 µV = 50.31 counts per 1 % of force.
    assert counts_per_percent(10.0, CURVE, DIV_3K3, 125e-6) == pytest.approx(50.31, rel=1e-3)


def test_expected_meter_readings_for_one_litre_of_water() -> None:
    # 1 kg -> 9.80665 N; r = 12000 * 9.80665^-0.85 = 1723.4 Ω; v = 3.3 * 3300 / 5023.4
    # = 2.1679 V; 2.1679 V / 125 µV = 17343 counts; current 3.3 V / 5023.4 Ω = 0.657 mA.
    row = next(r for r in expected_readings(3300) if r.label.startswith("1 kg"))
    assert row.force_n == pytest.approx(9.80665)
    assert row.r_fsr_ohm == pytest.approx(1723.4, rel=1e-4)
    assert row.v_out == pytest.approx(2.1679, rel=1e-4)
    assert row.counts == 17343
    assert row.current_ma == pytest.approx(0.657, rel=1e-3)
    unloaded = expected_readings(3300)[0]
    assert unloaded.force_n == 0.0
    assert unloaded.counts == 0


def test_e12_candidates() -> None:
    values = e_series(1_000, 47_000)
    assert len(values) == 21
    assert values[:3] == [1000.0, 1200.0, 1500.0]
    assert 3300.0 in values
    assert values[-1] == 47000.0
    assert len(e_series(1_000, 9_100, "E24")) == 24


def test_default_loads_overload_and_limits() -> None:
    inputs = DesignInputs()
    # Puck 12 mm: pi * 0.6² = 1.131 cm²; squat peak 250 kPa -> 250 * 0.1 * 1.131 = 28.27 N.
    assert puck_area_cm2() == pytest.approx(1.13097, rel=1e-5)
    assert inputs.peak_force_n == pytest.approx(28.274, rel=1e-4)
    assert inputs.overload_force_n == pytest.approx(42.412, rel=1e-4)
    assert inputs.current_limit_a == pytest.approx(1.13097e-3, rel=1e-5)
    # r(42.41 N) = 496.2 Ω: 3.3 kΩ gives 3.3 * 3300 / 3796.2 = 2.869 V, which clips the
    # 2.048 V range (95 % headroom: 1.946 V) but not the 4.096 V range.
    gain1 = evaluate(inputs, 3300, 1)
    gain2 = evaluate(inputs, 3300, 2)
    assert gain1.v_overload == pytest.approx(2.8687, rel=1e-3)
    assert not gain1.clips
    assert gain2.clips
    # 2.2 kΩ draws 3.3 / (2200 + 496.2) = 1.224 mA > 1.131 mA; 2.7 kΩ 1.032 mA is allowed.
    assert evaluate(inputs, 2200, 1).current_a == pytest.approx(1.2239e-3, rel=1e-3)
    assert evaluate(inputs, 2200, 1).over_current
    assert not evaluate(inputs, 2700, 1).over_current


def _hand_worst(r_fixed: float, lsb: float, ranges: list[tuple[float, float]]) -> float:
    """0.01 * supply * n * R * r / (R + r)² / lsb at every range end, minimum."""
    ends = [f for lo, hi in ranges for f in (lo, hi)]
    return min(
        0.01 * 3.3 * 0.85 * r_fixed * r / (r_fixed + r) ** 2 / lsb
        for r in (12000.0 * f**-0.85 for f in ends)
    )


def test_recommendation_maximises_the_hand_figure_among_allowed_pairs() -> None:
    inputs = DesignInputs()
    rec = recommend(inputs)
    ranges = [rng for case in inputs.force_ranges_n().values() for rng in case.values()]
    assert rec.best.worst_counts_per_percent == pytest.approx(
        _hand_worst(rec.best.r_fixed_ohm, lsb_v(rec.best.full_scale_v), ranges), rel=1e-9
    )
    for cand in rec.candidates:
        if cand.valid:
            assert cand.worst_counts_per_percent <= rec.best.worst_counts_per_percent + 1e-9
    assert rec.best.valid


def test_unconstrained_optimum_is_the_geometric_mean() -> None:
    # One range 1-10 N: r from 12000 to 1695.05 Ω, best R = sqrt(12000 * 1695.05) = 4510 Ω.
    case = LoadCase.from_forces("one", {"heel": (1.0, 10.0)}, area_cm2=1.0)
    inputs = DesignInputs(
        load_cases=(case,),
        area_cm2=1.0,
        resistors_ohm=tuple(float(r) for r in range(1_000, 20_001, 10)),
        gains=(1,),
        max_current_a=1.0,
    )
    assert recommend(inputs).best.r_fixed_ohm == pytest.approx(math.sqrt(12000 * 1695.05), abs=10)


def test_divider_command_prints_the_hand_computed_recommendation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Heel 1-10 N, E24, no current limit. Gain 1: R*r/(R+r)² at the range ends (r = 12000 and
    # 1695.05 Ω) is 4.3 kΩ: min(0.19421, 0.20279); 4.7 kΩ: min(0.20223, 0.19480);
    # 5.1 kΩ: min(0.20930, 0.18722) -> 4.7 kΩ, 0.01*3.3*0.85*0.19480/125e-6 = 43.7 counts.
    # Gain 2 halves the LSB but must keep the 15 N overload (r = 1201 Ω) under
    # 0.95 * 2.048 V: R <= 1201 * 1.9456 / (3.3 - 1.9456) = 1725 Ω -> 1.6 kΩ:
    # min(0.10381, 0.24979) * 0.01*3.3*0.85 / 62.5e-6 = 46.6 counts, which wins.
    status = main(
        ["divider", "--load", "heel=1:10", "--series", "E24", "--max-current-ma", "100",
         "--compare", "4700", "--compare", "3300@2"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert "RECOMMENDED: R_fixed = 1.6 kΩ, gain 2 (±2.048 V full scale)" in out
    assert "worst case 46.6 counts per 1 % force change" in out
    assert "compare: 4.7 kΩ, gain 1: 43.7 counts per 1 %" in out
    assert "3.3 kΩ, gain 2" in out
    assert "CLIPS" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--load", "heel=ten:20"], "--load must look like heel=2:40"),
        (["--load", "toe=1:2"], "unknown sensor 'toe'"),
        (["--load", "heel=5:1"], "need 0 <= low <= high"),
        (["--supply-v", "12"], "supply_v must be from 1.0 to 5.5 V"),
        (["--compare", "3300@3"], "--compare gain must be one of"),
        (["--max-current-ma", "0.001"], "no resistor/gain pair"),
    ],
)
def test_divider_command_rejects_bad_input(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["divider", *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_gain_lists_the_allowed_ones() -> None:
    with pytest.raises(DesignError, match="gains must be among 2/3, 1, 2, 4, 8, 16"):
        DesignInputs(gains=(3,))
