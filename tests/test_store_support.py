"""Shared helpers for the session-log tests (no tests of its own).

Realistic frames: smooth forces of tens of newtons swaying at 0.2-1 Hz plus white sensor
noise of 0.05-0.3 N, sampled at about 100 Hz with a little timing jitter, as the sampler
produces them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from insole.records import Hold

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def realistic_frames(
    n: int,
    *,
    noise_n: float = 0.15,
    rate_hz: float = 100.0,
    t0_s: float = 0.0,
    seed: int = 0,
) -> npt.NDArray[np.float64]:
    """``n`` frames as an ``(n, 4)`` array: time, heel, little toe, big toe."""
    rng = np.random.default_rng(seed)
    t = t0_s + np.arange(n) / rate_hz + rng.normal(0.0, 0.0003, n)
    t = np.maximum.accumulate(t)
    columns = [t]
    for base_n in (40.0, 12.0, 20.0):
        phase = rng.uniform(0, 2 * np.pi)
        sway = base_n * (
            1 + 0.15 * np.sin(2 * np.pi * 0.2 * t + phase) + 0.05 * np.sin(2 * np.pi * 0.9 * t)
        )
        columns.append(sway + rng.normal(0.0, noise_n, n))
    return np.column_stack(columns)


def make_hold(
    start_s: float,
    duration_s: float = 9.0,
    score: float = 80.0,
    hold_target_s: float = 8.0,
    **figures: Any,
) -> Hold:
    """A plausible hold record starting at ``start_s``; ``figures`` override quality fields."""
    quality: dict[str, Any] = {
        "in_band_share": 0.875,
        "mean_share_dev": 0.04,
        "cop_rms_mm": 2.5,
        "cop_path_mm_s": 6.25,
        "min_share_heel": 0.41,
        "min_share_little_toe": 0.12,
        "min_share_big_toe": 0.2,
        "wobbles": 2,
        **figures,
    }
    return Hold(
        start_s=start_s,
        end_s=start_s + duration_s,
        duration_s=duration_s,
        outcome="correct" if duration_s >= hold_target_s else "short",
        score=score,
        **quality,
    )


def session_kwargs(minutes: int = 0, exercise: str = "arch_hold") -> dict[str, object]:
    """Arguments for ``SessionLog.start_session``."""
    return {
        "started_at": START + timedelta(minutes=minutes),
        "exercise": exercise,
        "foot": "left",
        "source": "simulated",
        "settings": {"hold_target_s": 8.0, "grace_s": 0.5},
    }
