"""Expected multimeter and ADC readings, computed from the sensor model and the wiring.

The FSR curve is the nominal one from ``insole.sensor_model`` (Interlink FSR 400-series
data sheet); real parts differ by tens of percent, so the guide treats these figures as
"about this much", not as pass/fail limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.divider import ADS1X15_FULL_SCALE_V, format_ohm, lsb_v
from insole.sensor_model import OPEN_CIRCUIT_OHM, Divider, FsrCurve

STANDARD_GRAVITY = 9.80665
"""m/s²: a 1 kg mass weighs 9.81 N."""

HOUSEHOLD_LOADS: tuple[tuple[str, float], ...] = (
    ("nothing (foot lifted)", 0.0),
    ("100 g (a bar of soap, 1 N)", 0.1),
    ("500 g (a pack of pasta)", 0.5),
    ("1 kg (1 L water bottle, bag of sugar)", 1.0),
    ("2 kg (2 L bottle, two bags of sugar)", 2.0),
)
"""Known weights a maker has at home: label and mass in kg."""


@dataclass(frozen=True)
class Reading:
    """What one sensor channel should show under one load."""

    label: str
    force_n: float
    r_fsr_ohm: float
    v_out: float
    counts: int
    current_ma: float


def expected_readings(
    r_fixed_ohm: float,
    gain: float = 1,
    supply_v: float = 3.3,
    curve: FsrCurve | None = None,
    adc_model: str = "ADS1115",
) -> list[Reading]:
    """Model readings for the household loads placed on one sensor through its puck."""
    curve = curve or FsrCurve()
    divider = Divider(supply_v, r_fixed_ohm)
    lsb = lsb_v(ADS1X15_FULL_SCALE_V[gain], adc_model)
    rows = []
    for label, mass_kg in HOUSEHOLD_LOADS:
        force = mass_kg * STANDARD_GRAVITY
        r = curve.resistance_ohm(force)
        v = divider.volts(r)
        rows.append(Reading(label, force, r, v, round(v / lsb), 1e3 * supply_v / (r_fixed_ohm + r)))
    return rows


def readings_markdown(
    r_fixed_ohm: float, gain: float = 1, supply_v: float = 3.3, adc_model: str = "ADS1115"
) -> str:
    """The expected-readings table for the assembly guide."""
    lines = [
        f"Model values for R_fixed = {format_ohm(r_fixed_ohm)}, {supply_v:g} V supply, "
        f"{adc_model} gain {gain:g} (±{ADS1X15_FULL_SCALE_V[gain]:g} V). Real sensors differ "
        "by ±30 % or more; what matters is open when unloaded and a steady fall as the load grows.",
        "",
        "| Load on one sensor (through the puck) | Force | FSR resistance (meter, unplugged) "
        "| Voltage A-input to GND | ADC counts | FSR current |",
        "|---|---|---|---|---|---|",
    ]
    for row in expected_readings(r_fixed_ohm, gain, supply_v, adc_model=adc_model):
        resistance = (
            "open (OL, > 1 MΩ)"
            if row.r_fsr_ohm >= OPEN_CIRCUIT_OHM
            else f"≈ {format_ohm(row.r_fsr_ohm)}"
        )
        lines.append(
            f"| {row.label} | {row.force_n:.1f} N | {resistance} | {row.v_out:.2f} V "
            f"| {row.counts} | {row.current_ma:.2f} mA |"
        )
    return "\n".join(lines) + "\n"
