"""Divider resistor and ADC gain design for the three FSR channels (pure maths).

Each sensor is an FSR from 3.3 V to the ADC input with a fixed resistor to GND (see
``insole.sensor_model``): ``v = supply * R / (R + r_fsr(F))``. The design question is
which fixed resistor ``R`` and which ADS1x15 full-scale range give the most usable
resolution over the forces the insole really sees, without clipping and without
overloading the sensor.

Figure of merit: ADC counts per 1 % change of force,
``c(F) = 0.01 * F * dv/dF / lsb_v``. With the power law ``r = k F^-n`` this is
``0.01 * supply * n * R * r / (R + r)^2 / lsb_v``: scale-free (a 1 % change matters as
much at 2 N as at 30 N, which suits a rule built on load *shares*) and largest when
``R`` equals the FSR resistance. It has a single peak in ``r``, so its minimum over a
load range is at one of the range's two ends; the design maximises that minimum. For a
single range ``[r_lo, r_hi]`` the best unconstrained ``R`` is ``sqrt(r_lo * r_hi)``.

Constraints:

- no clipping: the output at the overload force (highest expected load times
  ``overload_factor``) stays below ``headroom`` of the full-scale range;
- sensor current: Interlink's FSR integration guide limits the current to 1 mA per cm²
  of actuated area, i.e. ``supply / (R + r_fsr(overload)) <= max_current_a``;
- the ADC input never exceeds the supply, so a full-scale range above 3.3 V only wastes
  codes (it is still allowed: it never clips).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from insole.errors import InsoleError
from insole.frames import SENSORS
from insole.sensor_model import Divider, FsrCurve

ADS1X15_FULL_SCALE_V: dict[float, float] = {
    # Adafruit driver gain -> programmable full-scale range (ADS1115/ADS1015 data sheet,
    # PGA table). Gain 2/3 exceeds any 3.3 V input and only wastes codes.
    2 / 3: 6.144,
    1: 4.096,
    2: 2.048,
    4: 1.024,
    8: 0.512,
    16: 0.256,
}
ADC_BITS: dict[str, int] = {"ADS1115": 16, "ADS1015": 12}
"""Conversion width; one bit is the sign, so a single-ended input uses ``bits - 1``."""

E12 = (1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2)
E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)  # fmt: skip

PUCK_DIAMETER_MM = 12.0
"""Diameter of the rigid puck over each FSR 402 (12.7 mm active area): the loaded area."""

FSR_MAX_CURRENT_A_PER_CM2 = 1e-3
"""Interlink FSR integration guide: at most 1 mA per cm² of applied-force (actuator) area."""


class DesignError(InsoleError, ValueError):
    """Divider design inputs are invalid, or no candidate satisfies the constraints."""


def e_series(
    low_ohm: float = 1_000.0, high_ohm: float = 47_000.0, series: str = "E12"
) -> list[float]:
    """Standard resistor values from ``low_ohm`` to ``high_ohm`` inclusive."""
    bases = {"E12": E12, "E24": E24}.get(series)
    if bases is None:
        raise DesignError(f"series must be E12 or E24, got {series!r}")
    if not 0 < low_ohm <= high_ohm:
        raise DesignError(f"need 0 < low_ohm <= high_ohm, got {low_ohm}, {high_ohm}")
    values = []
    for decade in range(0, 8):
        for base in bases:
            value = round(base * 10**decade, 6)
            if low_ohm * (1 - 1e-9) <= value <= high_ohm * (1 + 1e-9):
                values.append(value)
    return values


def puck_area_cm2(diameter_mm: float = PUCK_DIAMETER_MM) -> float:
    """Area of a round puck in cm²."""
    return math.pi * (diameter_mm / 20.0) ** 2


@dataclass(frozen=True)
class LoadCase:
    """Expected plantar pressure under each sensor spot during one activity.

    ``pressure_kpa`` maps a sensor name to (low, high) in kPa; the force on the sensor is
    pressure times the puck area (1 kPa on 1 cm² is 0.1 N).
    """

    name: str
    description: str
    pressure_kpa: Mapping[str, tuple[float, float]]

    @classmethod
    def from_forces(
        cls, name: str, forces_n: Mapping[str, tuple[float, float]], area_cm2: float
    ) -> LoadCase:
        """A case given as forces on the sensors (N) instead of pressures."""
        for sensor, (lo, hi) in forces_n.items():
            if sensor not in SENSORS:
                raise DesignError(f"unknown sensor {sensor!r}; allowed: {', '.join(SENSORS)}")
            if not 0.0 <= lo <= hi:
                raise DesignError(f"{sensor}: need 0 <= low <= high force, got {lo:g}-{hi:g} N")
        per_kpa = 0.1 * area_cm2
        return cls(
            name,
            "given as forces",
            {s: (lo / per_kpa, hi / per_kpa) for s, (lo, hi) in forces_n.items()},
        )

    def forces_n(self, area_cm2: float) -> dict[str, tuple[float, float]]:
        """(low, high) force on each sensor in newtons for a loaded area in cm²."""
        return {
            name: (lo * 0.1 * area_cm2, hi * 0.1 * area_cm2)
            for name, (lo, hi) in self.pressure_kpa.items()
        }


LOAD_CASES: tuple[LoadCase, ...] = (
    LoadCase(
        "seated_arch_hold",
        "Sitting, pressing heel and both balls down on purpose. The leg's weight alone is "
        "roughly 6 % of body weight per foot; an active press adds up to about a quarter "
        "of body weight. Pressure-insole recordings of people sitting show under 10 kPa at "
        "rest and brief 100-200 kPa pushes; the press is spread over the three spots.",
        {"heel": (10.0, 120.0), "little_toe": (5.0, 80.0), "big_toe": (10.0, 100.0)},
    ),
    LoadCase(
        "standing",
        "Quiet standing on both feet, arch held. Barefoot standing peaks are about 140 kPa "
        "under the heel and 60 kPa under the forefoot, with the 1st and 5th metatarsal heads "
        "below the 2nd-3rd (Cavanagh, Rodgers & Iiboshi 1987, Foot Ankle 7:262-276).",
        {"heel": (40.0, 160.0), "little_toe": (5.0, 80.0), "big_toe": (10.0, 110.0)},
    ),
    LoadCase(
        "squat",
        "Slow squat, sit-to-stand and lunge with the arch held: the whole body weight "
        "moves between heel and balls. In-shoe pressure-insole recordings of squats and "
        "tiptoe standing peak at about 170-250 kPa on the heel and ball sensors.",
        {"heel": (10.0, 250.0), "little_toe": (5.0, 180.0), "big_toe": (10.0, 250.0)},
    ),
)


@dataclass(frozen=True)
class DesignInputs:
    """Everything the recommendation depends on."""

    curve: FsrCurve = field(default_factory=FsrCurve)
    supply_v: float = 3.3
    load_cases: tuple[LoadCase, ...] = LOAD_CASES
    area_cm2: float = field(default_factory=puck_area_cm2)
    overload_factor: float = 1.5
    min_force_n: float = 1.0
    headroom: float = 0.95
    adc_model: str = "ADS1115"
    resistors_ohm: tuple[float, ...] = field(default_factory=lambda: tuple(e_series()))
    gains: tuple[float, ...] = tuple(ADS1X15_FULL_SCALE_V)
    max_current_a: float | None = None  # None: FSR_MAX_CURRENT_A_PER_CM2 * area_cm2

    def __post_init__(self) -> None:
        if self.adc_model not in ADC_BITS:
            raise DesignError(
                f"adc_model must be one of {', '.join(ADC_BITS)}, got {self.adc_model!r}"
            )
        bad_gains = [g for g in self.gains if g not in ADS1X15_FULL_SCALE_V]
        if bad_gains:
            allowed = ", ".join(_gain_text(g) for g in ADS1X15_FULL_SCALE_V)
            raise DesignError(f"gains must be among {allowed}; got {bad_gains}")
        if not self.resistors_ohm or min(self.resistors_ohm) <= 0:
            raise DesignError("need at least one positive candidate resistor")
        if not (self.overload_factor >= 1.0 and 0.0 < self.headroom <= 1.0):
            raise DesignError("overload_factor must be >= 1 and headroom in (0, 1]")
        if self.min_force_n <= 0 or self.area_cm2 <= 0:
            raise DesignError("min_force_n and area_cm2 must be positive")
        if not self.load_cases or not all(c.pressure_kpa for c in self.load_cases):
            raise DesignError("need at least one load case with at least one sensor")
        # Validates the supply range the same way the runtime model does.
        Divider(self.supply_v, 1_000.0)

    @property
    def current_limit_a(self) -> float:
        """Largest allowed FSR current."""
        if self.max_current_a is not None:
            return self.max_current_a
        return FSR_MAX_CURRENT_A_PER_CM2 * self.area_cm2

    def force_ranges_n(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Case -> sensor -> (low, high) force; the low end is at least ``min_force_n``."""
        return {
            case.name: {
                name: (max(self.min_force_n, lo), max(self.min_force_n, hi))
                for name, (lo, hi) in case.forces_n(self.area_cm2).items()
            }
            for case in self.load_cases
        }

    @property
    def peak_force_n(self) -> float:
        """Highest expected force on any sensor in any case."""
        return max(hi for case in self.force_ranges_n().values() for _, hi in case.values())

    @property
    def overload_force_n(self) -> float:
        """Force the design must survive without clipping or overcurrent."""
        return self.peak_force_n * self.overload_factor


def lsb_v(full_scale_v: float, adc_model: str = "ADS1115") -> float:
    """Volts per count for a single-ended input (``full_scale / 2^(bits-1)``)."""
    return float(full_scale_v / 2 ** (ADC_BITS[adc_model] - 1))


def sensitivity_v_per_n(force_n: float, curve: FsrCurve, divider: Divider) -> float:
    """Slope dv/dF of the divider output at ``force_n`` (analytic, power-law curve)."""
    r = curve.resistance_ohm(force_n)
    rf = divider.r_fixed_ohm
    return divider.supply_v * rf * curve.exponent * r / (force_n * (rf + r) ** 2)


def newtons_per_lsb(force_n: float, curve: FsrCurve, divider: Divider, lsb: float) -> float:
    """Force step that moves the reading by one ADC count at ``force_n``."""
    return lsb / sensitivity_v_per_n(force_n, curve, divider)


def counts_per_percent(force_n: float, curve: FsrCurve, divider: Divider, lsb: float) -> float:
    """ADC counts for a 1 % change of force at ``force_n`` (the figure of merit)."""
    return 0.01 * force_n * sensitivity_v_per_n(force_n, curve, divider) / lsb


@dataclass(frozen=True)
class Candidate:
    """One resistor/gain pair, evaluated."""

    r_fixed_ohm: float
    gain: float
    full_scale_v: float
    v_overload: float
    current_a: float
    worst_counts_per_percent: float
    clips: bool
    over_current: bool

    @property
    def valid(self) -> bool:
        """Neither clips nor overloads the sensor."""
        return not (self.clips or self.over_current)


@dataclass(frozen=True)
class SensorResolution:
    """Resolution of one sensor in one load case, at the ends of its force range."""

    case: str
    sensor: str
    force_lo_n: float
    force_hi_n: float
    v_lo: float
    v_hi: float
    n_per_lsb_lo: float
    n_per_lsb_hi: float
    counts_per_percent_lo: float
    counts_per_percent_hi: float


@dataclass(frozen=True)
class Recommendation:
    """The best candidate, every candidate, and the per-sensor resolution it gives."""

    inputs: DesignInputs
    best: Candidate
    candidates: tuple[Candidate, ...]
    resolution: tuple[SensorResolution, ...]

    def candidate(self, r_fixed_ohm: float, gain: float) -> Candidate:
        """The evaluated candidate with this resistor and gain."""
        for c in self.candidates:
            if math.isclose(c.r_fixed_ohm, r_fixed_ohm) and c.gain == gain:
                return c
        raise DesignError(f"no candidate {r_fixed_ohm:g} Ω at gain {_gain_text(gain)}")


def evaluate(inputs: DesignInputs, r_fixed_ohm: float, gain: float) -> Candidate:
    """Score one resistor/gain pair against the inputs' loads and limits."""
    full_scale = ADS1X15_FULL_SCALE_V[gain]
    divider = Divider(inputs.supply_v, r_fixed_ohm)
    lsb = lsb_v(full_scale, inputs.adc_model)
    r_overload = inputs.curve.resistance_ohm(inputs.overload_force_n)
    v_overload = divider.volts(r_overload)
    current = inputs.supply_v / (r_fixed_ohm + r_overload)
    # c(F) has one peak (at r_fsr == R), so each range's minimum is at one of its ends.
    worst = min(
        counts_per_percent(force, inputs.curve, divider, lsb)
        for ranges in inputs.force_ranges_n().values()
        for lo, hi in ranges.values()
        for force in (lo, hi)
    )
    return Candidate(
        r_fixed_ohm=r_fixed_ohm,
        gain=gain,
        full_scale_v=full_scale,
        v_overload=v_overload,
        current_a=current,
        worst_counts_per_percent=worst,
        clips=v_overload > inputs.headroom * full_scale,
        over_current=current > inputs.current_limit_a * (1 + 1e-9),
    )


def sensor_resolution(
    inputs: DesignInputs, r_fixed_ohm: float, gain: float
) -> tuple[SensorResolution, ...]:
    """Per case and sensor: voltages, N per count and counts per 1 % at the range ends."""
    divider = Divider(inputs.supply_v, r_fixed_ohm)
    lsb = lsb_v(ADS1X15_FULL_SCALE_V[gain], inputs.adc_model)
    curve = inputs.curve
    rows = []
    for case, ranges in inputs.force_ranges_n().items():
        for name in (n for n in SENSORS if n in ranges):
            lo, hi = ranges[name]
            rows.append(
                SensorResolution(
                    case=case,
                    sensor=name,
                    force_lo_n=lo,
                    force_hi_n=hi,
                    v_lo=divider.volts(curve.resistance_ohm(lo)),
                    v_hi=divider.volts(curve.resistance_ohm(hi)),
                    n_per_lsb_lo=newtons_per_lsb(lo, curve, divider, lsb),
                    n_per_lsb_hi=newtons_per_lsb(hi, curve, divider, lsb),
                    counts_per_percent_lo=counts_per_percent(lo, curve, divider, lsb),
                    counts_per_percent_hi=counts_per_percent(hi, curve, divider, lsb),
                )
            )
    return tuple(rows)


def recommend(inputs: DesignInputs | None = None) -> Recommendation:
    """Evaluate every candidate and pick the valid one with the best worst-case resolution.

    Ties (equal within 0.1 %) go to the lower gain, which keeps more headroom.
    """
    inputs = inputs or DesignInputs()
    candidates = tuple(
        evaluate(inputs, r, g) for r in sorted(inputs.resistors_ohm) for g in inputs.gains
    )
    valid = [c for c in candidates if c.valid]
    if not valid:
        raise DesignError(
            f"no resistor/gain pair keeps {inputs.overload_force_n:.1f} N below full scale "
            f"and the FSR current under {inputs.current_limit_a * 1e3:.2f} mA; "
            "widen the candidate resistors or lower the loads"
        )
    top = max(c.worst_counts_per_percent for c in valid)
    near_top = [c for c in valid if c.worst_counts_per_percent >= top * 0.999]
    best = min(near_top, key=lambda c: (c.gain, -c.worst_counts_per_percent))
    return Recommendation(
        inputs, best, candidates, sensor_resolution(inputs, best.r_fixed_ohm, best.gain)
    )


def optimum_unconstrained_ohm(inputs: DesignInputs) -> float:
    """The continuous best ``R`` ignoring limits: geometric mean of the FSR range ends."""
    r_hi = inputs.curve.resistance_ohm(
        min(lo for case in inputs.force_ranges_n().values() for lo, _ in case.values())
    )
    r_lo = inputs.curve.resistance_ohm(inputs.peak_force_n)
    return math.sqrt(r_lo * r_hi)


def _gain_text(gain: float) -> str:
    return "2/3" if math.isclose(gain, 2 / 3) else f"{gain:g}"


def format_ohm(value: float) -> str:
    """``3300`` -> ``3.3 kΩ``."""
    if value >= 1e6:
        return f"{value / 1e6:.3g} MΩ"
    if value >= 1e3:
        return f"{value / 1e3:.3g} kΩ"
    return f"{value:.3g} Ω"


def report(rec: Recommendation, compare: Sequence[tuple[float, float]] = ()) -> str:
    """A plain-text report of the recommendation (what the ``divider`` command prints)."""
    inp = rec.inputs
    best = rec.best
    lines = [
        f"Divider design for {inp.adc_model}, supply {inp.supply_v:g} V, "
        f"FSR r = {inp.curve.r_at_1n_ohm:g} Ω · F^-{inp.curve.exponent:g}",
        f"Loaded area {inp.area_cm2:.2f} cm² (puck); force = pressure × area.",
        "",
        f"Expected force per sensor [N] (low-high, low end at least {inp.min_force_n:g} N):",
    ]
    for case, ranges in inp.force_ranges_n().items():
        ranges_text = ", ".join(f"{n} {lo:.1f}-{hi:.1f}" for n, (lo, hi) in ranges.items())
        lines.append(f"  {case:<17} {ranges_text}")
    lines += [
        f"Overload check at {inp.overload_force_n:.1f} N "
        f"(peak {inp.peak_force_n:.1f} N × {inp.overload_factor:g}); "
        f"FSR current limit {inp.current_limit_a * 1e3:.2f} mA.",
        f"Unconstrained optimum R = {format_ohm(optimum_unconstrained_ohm(inp))} "
        "(geometric mean of the FSR resistance range).",
        "",
        f"RECOMMENDED: R_fixed = {format_ohm(best.r_fixed_ohm)}, gain {_gain_text(best.gain)} "
        f"(±{best.full_scale_v:g} V full scale)",
        f"  worst case {best.worst_counts_per_percent:.1f} counts per 1 % force change; "
        f"{best.v_overload:.3f} V and {best.current_a * 1e3:.2f} mA at overload",
    ]
    for r_ohm, gain in compare:
        other = evaluate(inp, r_ohm, gain)
        flags = [
            w for w, on in (("CLIPS", other.clips), ("OVER CURRENT", other.over_current)) if on
        ]
        lines.append(
            f"  compare: {format_ohm(r_ohm)}, gain {_gain_text(gain)}: "
            f"{other.worst_counts_per_percent:.1f} counts per 1 %, {other.v_overload:.3f} V, "
            f"{other.current_a * 1e3:.2f} mA {' '.join(flags)}".rstrip()
        )
    lines += ["", "Force resolution with the recommendation (mN per count at low / high load):"]
    for row in rec.resolution:
        lines.append(
            f"  {row.case:<17} {row.sensor:<10} {row.force_lo_n:5.1f} N: {row.v_lo:.3f} V "
            f"{row.n_per_lsb_lo * 1e3:6.2f} mN/count | {row.force_hi_n:5.1f} N: {row.v_hi:.3f} V "
            f"{row.n_per_lsb_hi * 1e3:6.2f} mN/count"
        )
    lines += ["", "Candidates (worst counts per 1 %; x = clips, ! = over current):"]
    gains = sorted(inp.gains)
    lines.append("  R \\ gain  " + "".join(f"{_gain_text(g):>9}" for g in gains))
    for r_ohm in sorted(inp.resistors_ohm):
        cells = []
        for gain in gains:
            c = rec.candidate(r_ohm, gain)
            mark = "x" if c.clips else ("!" if c.over_current else " ")
            cells.append(f"{c.worst_counts_per_percent:8.1f}{mark}")
        lines.append(f"  {format_ohm(r_ohm):>8}  " + "".join(cells))
    return "\n".join(lines) + "\n"


def summary_markdown(rec: Recommendation, compare: Sequence[tuple[float, float]] = ()) -> str:
    """Markdown summary: load cases with their reasoning, the recommendation, comparisons."""
    inp = rec.inputs
    best = rec.best
    lines = [
        "| Case | heel | little_toe | big_toe | Why these loads |",
        "|---|---|---|---|---|",
    ]
    for case in inp.load_cases:
        forces = case.forces_n(inp.area_cm2)
        cells = " | ".join(
            f"{case.pressure_kpa[n][0]:g}-{case.pressure_kpa[n][1]:g} kPa "
            f"({forces[n][0]:.1f}-{forces[n][1]:.1f} N)"
            if n in forces
            else "-"
            for n in SENSORS
        )
        lines.append(f"| {case.name} | {cells} | {case.description} |")
    lines += [
        "",
        f"Forces are pressure × {inp.area_cm2:.2f} cm² (the {PUCK_DIAMETER_MM:g} mm puck); "
        f"loads under {inp.min_force_n:g} N are scored as {inp.min_force_n:g} N (below that an "
        "FSR is in its unreliable turn-on region). "
        f"Overload check at {inp.overload_force_n:.1f} N (the highest load × "
        f"{inp.overload_factor:g}); FSR current limit {inp.current_limit_a * 1e3:.2f} mA "
        f"(1 mA per cm² of loaded area); {inp.adc_model}, {inp.supply_v:g} V supply.",
        "",
        f"**Recommended: {format_ohm(best.r_fixed_ohm)} and gain {_gain_text(best.gain)} "
        f"(±{best.full_scale_v:g} V)**: at least {best.worst_counts_per_percent:.1f} ADC counts "
        f"per 1 % change of force over every expected load; {best.v_overload:.2f} V and "
        f"{best.current_a * 1e3:.2f} mA at the overload force.",
        "",
        "| Resistor, gain | Worst counts per 1 % | v at overload | FSR current | Verdict |",
        "|---|---|---|---|---|",
    ]
    shown = [(best.r_fixed_ohm, best.gain), *compare]
    for r_ohm, gain in dict.fromkeys(shown):
        c = evaluate(inp, r_ohm, gain)
        verdict = (
            "clips"
            if c.clips
            else "over current"
            if c.over_current
            else f"{100 * c.worst_counts_per_percent / best.worst_counts_per_percent:.0f} % of best"
        )
        lines.append(
            f"| {format_ohm(r_ohm)}, gain {_gain_text(gain)} | {c.worst_counts_per_percent:.1f} "
            f"| {c.v_overload:.2f} V | {c.current_a * 1e3:.2f} mA | {verdict} |"
        )
    return "\n".join(lines) + "\n"
