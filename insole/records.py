"""Hold records: what is logged, exported and shown for every hold.

=================== ======= ==============================================================
field               unit    meaning
=================== ======= ==============================================================
start_s             s       time the hold started (balanced after the entry debounce)
end_s               s       time the hold ended (balance lost for longer than the grace)
duration_s          s       ``end_s - start_s``
outcome                     ``correct`` (lasted at least the hold target) or ``short``
in_band_share       0..1    share of the hold's time with every share inside the target band
mean_share_dev      0..1    mean absolute deviation of the three shares from the target
cop_rms_mm          mm      RMS distance of the centre of pressure from its mean
cop_path_mm_s       mm/s    centre-of-pressure path length per second
min_share_heel      0..1    smallest heel share during the hold (likewise the other two)
wobbles                     number of brief losses of balance shorter than the grace time
score               0..100  overall quality (formula in ``insole.quality``)
=================== ======= ==============================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OUTCOMES = ("correct", "short")


@dataclass(frozen=True, slots=True)
class Hold:
    """One finished hold with its quality figures."""

    start_s: float
    end_s: float
    duration_s: float
    outcome: str
    in_band_share: float
    mean_share_dev: float
    cop_rms_mm: float
    cop_path_mm_s: float
    min_share_heel: float
    min_share_little_toe: float
    min_share_big_toe: float
    wobbles: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary with the documented field names."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hold:
        """Rebuild a hold from ``to_dict`` output (extra keys are ignored)."""
        values = record_values(cls, data, "hold")
        values["wobbles"] = int(values["wobbles"])
        if values["outcome"] not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        return cls(**values)


HOLD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Hold))


def record_values(cls: type[Any], data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The dataclass fields of ``cls`` taken from ``data``; a missing one is a ValueError."""
    names = [f.name for f in dataclasses.fields(cls)]
    missing = [n for n in names if n not in data]
    if missing:
        raise ValueError(f"{kind} record lacks {', '.join(missing)}")
    return {n: data[n] for n in names}
