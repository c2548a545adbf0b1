"""Force-sensitive resistor and voltage-divider model.

Circuit (one per sensor, powered from the Pi's 3.3 V rail)::

    3.3 V ── FSR ──┬── ADC input (v_out)
                   │
                 R_fixed
                   │
                  GND

so ``v_out = supply_v * r_fixed / (r_fixed + r_fsr)``: an unloaded FSR (nearly open
circuit) reads about 0 V and the voltage rises with force.

The FSR itself follows a rough power law ``r_fsr = r_at_1n_ohm * force_n ** -exponent``.
The default curve is read off the "resistance vs force" figure of the Interlink FSR 400
series data sheet: about 12 kΩ at 1 N (100 g), about 1.7 kΩ at 10 N and about 240 Ω at
100 N, i.e. roughly 50 kΩ at a light 0.2 N touch. Parts differ by ±6 % and drift, so real
use replaces it with a fitted curve (see ``insole.calibration``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from insole.errors import CalibrationError

OPEN_CIRCUIT_OHM = 1e9
"""Resistance reported for a divider voltage too small to resolve (an unloaded FSR)."""

MIN_RESOLVABLE_V = 1e-4
"""Below this output voltage the FSR is treated as open (unloaded): 0 N."""


@dataclass(frozen=True, slots=True)
class FsrCurve:
    """Power-law force-to-resistance curve of one FSR: ``r = r_at_1n_ohm * f ** -exponent``."""

    r_at_1n_ohm: float = 12_000.0
    exponent: float = 0.85

    def __post_init__(self) -> None:
        if not (math.isfinite(self.r_at_1n_ohm) and 10.0 <= self.r_at_1n_ohm <= 1e7):
            raise CalibrationError(
                f"r_at_1n_ohm must be a finite value from 10 to 1e7 Ω, got {self.r_at_1n_ohm!r}"
            )
        if not (math.isfinite(self.exponent) and 0.2 <= self.exponent <= 3.0):
            raise CalibrationError(
                "exponent must be from 0.2 to 3.0 (resistance must fall as force rises), "
                f"got {self.exponent!r}"
            )

    def resistance_ohm(self, force_n: float) -> float:
        """FSR resistance at ``force_n``; an unloaded sensor is an open circuit."""
        if force_n <= 0.0:
            return OPEN_CIRCUIT_OHM
        return float(min(OPEN_CIRCUIT_OHM, self.r_at_1n_ohm * force_n**-self.exponent))

    def force_n(self, resistance_ohm: float) -> float:
        """Force that gives ``resistance_ohm`` (0 for an open circuit)."""
        if resistance_ohm >= OPEN_CIRCUIT_OHM:
            return 0.0
        return float((self.r_at_1n_ohm / resistance_ohm) ** (1.0 / self.exponent))


@dataclass(frozen=True, slots=True)
class Divider:
    """The voltage divider that turns FSR resistance into an ADC voltage."""

    supply_v: float = 3.3
    r_fixed_ohm: float = 3_300.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.supply_v) and 1.0 <= self.supply_v <= 5.5):
            raise CalibrationError(f"supply_v must be from 1.0 to 5.5 V, got {self.supply_v!r}")
        if not (math.isfinite(self.r_fixed_ohm) and 100.0 <= self.r_fixed_ohm <= 1e6):
            raise CalibrationError(
                f"r_fixed_ohm must be from 100 Ω to 1 MΩ, got {self.r_fixed_ohm!r}"
            )

    def volts(self, r_fsr_ohm: float) -> float:
        """Output voltage for an FSR resistance."""
        return self.supply_v * self.r_fixed_ohm / (self.r_fixed_ohm + r_fsr_ohm)

    def resistance_ohm(self, volts: float) -> float:
        """FSR resistance that gives ``volts`` at the output (open circuit near 0 V).

        A reading at or above the supply (a shorted sensor or a saturated input) maps to
        the smallest resolvable resistance rather than to zero or a negative value.
        """
        if volts <= MIN_RESOLVABLE_V:
            return OPEN_CIRCUIT_OHM
        headroom_v = self.supply_v - volts
        headroom_v = max(MIN_RESOLVABLE_V, headroom_v)
        return self.r_fixed_ohm * headroom_v / volts


def force_to_volts(force_n: float, curve: FsrCurve, divider: Divider) -> float:
    """Divider output for a force on an FSR: what the emulated ADC input sees."""
    return divider.volts(curve.resistance_ohm(force_n))


def volts_to_force(volts: float, curve: FsrCurve, divider: Divider) -> float:
    """Force on an FSR from its divider output voltage (inverse of ``force_to_volts``)."""
    return curve.force_n(divider.resistance_ohm(volts))
