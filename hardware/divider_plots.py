"""SVG plots of the divider design: output voltage, resolution and force step per count."""

from __future__ import annotations

from collections.abc import Callable

from hardware.divider import (
    ADS1X15_FULL_SCALE_V,
    Recommendation,
    counts_per_percent,
    format_ohm,
    lsb_v,
    newtons_per_lsb,
)
from hardware.drawing import Drawing
from hardware.plot import PALETTE, Band, Chart, HLine, Series, log_space
from insole.sensor_model import Divider

FORCE_RANGE_N = (0.5, 60.0)
SHOWN_RESISTORS_OHM = (1_000.0, 3_300.0, 10_000.0, 47_000.0)
_BAND_COLOURS = ("#e8f1fb", "#eaf6e8", "#fbefe6")


def _bands(rec: Recommendation) -> list[Band]:
    bands = []
    for i, (case, ranges) in enumerate(rec.inputs.force_ranges_n().items()):
        lo = min(r[0] for r in ranges.values())
        hi = max(r[1] for r in ranges.values())
        bands.append(
            Band(lo, hi, f"{case.replace('_', ' ')} {lo:.0f}-{hi:.0f} N", _BAND_COLOURS[i % 3])
        )
    return bands


def _resistors(rec: Recommendation) -> list[float]:
    shown = set(SHOWN_RESISTORS_OHM) | {rec.best.r_fixed_ohm}
    return sorted(shown)


def voltage_chart(rec: Recommendation) -> Drawing:
    """Divider output voltage against force for several fixed resistors."""
    inp = rec.inputs
    series = _resistor_series(
        rec, lambda f, divider: divider.volts(inp.curve.resistance_ohm(f))
    )
    hlines = [HLine(inp.supply_v, f"supply {inp.supply_v:g} V = highest possible input", "#000000")]
    hlines += [
        HLine(fs, f"full scale gain {g:g} ({fs:g} V)")
        for g, fs in ADS1X15_FULL_SCALE_V.items()
        if fs < inp.supply_v and g in (2, 4)
    ]
    chart = Chart(
        title="Divider output voltage vs force on the sensor",
        x_label="force on the sensor [N] (log scale)",
        y_label="v_out [V]",
        x_range=FORCE_RANGE_N,
        y_range=(0.0, 3.5),
        x_log=True,
        series=series,
        hlines=hlines,
        bands=_bands(rec),
    )
    return chart.draw()


def resolution_chart(rec: Recommendation) -> Drawing:
    """ADC counts per 1 % change of force against force (the design's figure of merit)."""
    inp = rec.inputs
    lsb = lsb_v(ADS1X15_FULL_SCALE_V[rec.best.gain], inp.adc_model)
    series = _resistor_series(
        rec, lambda f, divider: counts_per_percent(f, inp.curve, divider, lsb)
    )
    chart = Chart(
        title=f"{inp.adc_model} counts per 1 % force change (gain {rec.best.gain:g})",
        x_label="force on the sensor [N] (log scale)",
        y_label="counts per 1 %",
        x_range=FORCE_RANGE_N,
        y_range=(1.0, 100.0),
        x_log=True,
        y_log=True,
        series=series,
        bands=_bands(rec),
    )
    return chart.draw()


def _resistor_series(
    rec: Recommendation, value: Callable[[float, Divider], float]
) -> list[Series]:
    """One curve per candidate resistor of ``value(force_n, divider)``, the best one bold."""
    inp = rec.inputs
    forces = log_space(*FORCE_RANGE_N, 120)
    series = []
    for i, r_ohm in enumerate(_resistors(rec)):
        divider = Divider(inp.supply_v, r_ohm)
        best = r_ohm == rec.best.r_fixed_ohm
        series.append(
            Series(
                f"{format_ohm(r_ohm)}{' (recommended)' if best else ''}",
                [(f, value(f, divider)) for f in forces],
                PALETTE[i % len(PALETTE)],
                width_mm=0.8 if best else 0.45,
            )
        )
    return series


def force_step_chart(rec: Recommendation, wired_r_ohm: float | None = None) -> Drawing:
    """Force change per ADC count: the recommendation on both ADCs, and the wired resistor."""
    inp = rec.inputs
    forces = log_space(*FORCE_RANGE_N, 120)
    full_scale = ADS1X15_FULL_SCALE_V[rec.best.gain]
    configs = [(rec.best.r_fixed_ohm, "ADS1115"), (rec.best.r_fixed_ohm, "ADS1015")]
    if wired_r_ohm is not None and wired_r_ohm != rec.best.r_fixed_ohm:
        configs += [(wired_r_ohm, "ADS1115"), (wired_r_ohm, "ADS1015")]
    series = []
    for i, (r_ohm, model) in enumerate(configs):
        divider = Divider(inp.supply_v, r_ohm)
        lsb = lsb_v(full_scale, model)
        wired = r_ohm == wired_r_ohm
        series.append(
            Series(
                f"{model}, {format_ohm(r_ohm)}{' (wired)' if wired else ''}",
                [(f, newtons_per_lsb(f, inp.curve, divider, lsb)) for f in forces],
                PALETTE[i],
                width_mm=0.7,
                dash_mm=() if model == "ADS1115" else (2.0, 1.0),
            )
        )
    chart = Chart(
        title=f"Force step per ADC count (gain {rec.best.gain:g}, ±{full_scale:g} V)",
        x_label="force on the sensor [N] (log scale)",
        y_label="N per count",
        x_range=FORCE_RANGE_N,
        y_range=(1e-4, 1.0),
        x_log=True,
        y_log=True,
        series=series,
        bands=_bands(rec),
    )
    return chart.draw()
