"""The parts of the live ``frame`` event every counter's state shares (docs/ARCHITECTURE.md).

The hold pipeline and the rep counter each add their own fields (the hold or the rep in
progress, the last record); the load on the three points and the set's tally are written here
once so that both modes send them alike.
"""

from __future__ import annotations

from typing import Any

from insole.frames import SENSORS


def load_json(
    t_s: float,
    forces_n: tuple[float, float, float],
    total_n: float,
    shares: tuple[float, float, float] | None,
) -> dict[str, Any]:
    """Time, forces, total and shares (``None`` below the load floor), rounded for the wire."""
    return {
        "t_s": round(t_s, 4),
        "forces_n": {n: round(f, 2) for n, f in zip(SENSORS, forces_n, strict=True)},
        "total_n": round(total_n, 2),
        "shares": None
        if shares is None
        else {n: round(s, 4) for n, s in zip(SENSORS, shares, strict=True)},
    }


def set_json(
    *,
    running: bool,
    correct: int,
    attempted: int,
    rep_target: int,
    done_at: int,
    set_index: int | None = None,
) -> dict[str, Any]:
    """The set's tally; ``set_index`` only for modes that split a session into sets."""
    tally: dict[str, Any] = {"running": running}
    if set_index is not None:
        tally["set_index"] = set_index
    tally.update(
        correct=correct,
        attempted=attempted,
        rep_target=rep_target,
        done_at=done_at,
        done=correct >= done_at,
    )
    return tally
