"""Building real sessions in a real session log for the review tests and the benchmark."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from insole.records import Hold
from insole.settings import Settings
from insole.store import SessionLog
from tests.test_store_support import make_hold as store_hold


def synthetic_frames(seconds: float, rate_hz: float = 100.0, seed: int = 1) -> NDArray[np.float64]:
    """Forces with slow sway and noise, rounded to the log's resolution (0.1 ms, 0.01 N)."""
    rng = np.random.default_rng(seed)
    t = np.round(np.arange(0.0, seconds, 1.0 / rate_hz), 4)
    heel = 40 + 5 * np.sin(t / 2) + rng.normal(0, 0.5, t.size)
    little = 15 + 3 * np.cos(t / 3) + rng.normal(0, 0.5, t.size)
    big = 20 + 2 * np.sin(t / 5) + rng.normal(0, 0.5, t.size)
    forces = np.clip(np.stack([heel, little, big], axis=1), 0.0, None)
    return np.column_stack([t, np.round(forces, 2)])


REVIEW_FIGURES: dict[str, Any] = {
    "in_band_share": 0.85,
    "cop_rms_mm": 3.5,
    "cop_path_mm_s": 12.25,
    "min_share_heel": 0.31,
    "wobbles": 1,
}
"""Quality figures of the review tests' holds (the pages' tests look for these on the page)."""


def make_hold(start_s: float, duration_s: float, score: float, hold_target_s: float = 8.0) -> Hold:
    """A hold record with the review tests' quality figures."""
    return store_hold(start_s, duration_s, score, hold_target_s, **REVIEW_FIGURES)


def record_session(
    log: SessionLog,
    *,
    started_at: datetime,
    frames: NDArray[np.float64],
    holds: list[Hold],
    status: str | None = "completed",
    foot: str = "right",
    settings: Settings | None = None,
) -> int:
    """Log a session as the monitor would; ``status=None`` leaves it open (recording)."""
    session_settings: dict[str, Any] = (settings or Settings(foot=foot)).to_dict()
    session_id = log.start_session(
        started_at=started_at,
        exercise="arch_hold",
        foot=foot,
        source="emulated",
        settings=session_settings,
    )
    log.append_frames(session_id, frames)
    for hold in holds:
        log.add_hold(session_id, hold)
    if status is None:
        log.flush()
    else:
        duration_s = float(frames[-1, 0]) if len(frames) else 0.0
        log.end_session(session_id, started_at + timedelta(seconds=duration_s), status=status)
    return session_id
