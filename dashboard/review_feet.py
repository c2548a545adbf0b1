"""Left/right symmetry of a two-foot set, for the session page and the report.

A set on two insoles is two sessions, one per foot, linked by ``meta["pair"]``
(``firmware.feet_monitor``). The figures are worked out again from what both sessions
logged, so they are there for an interrupted set too:

- load share: the time-weighted left share of the two feet's load, over the frames where
  both insoles read together (``insole.bilateral.LoadSplit`` on ``pair_frames``);
- symmetry index: ``100 (L - R) / ((L + R) / 2)`` of the mean loads (positive: more on
  the left);
- per foot: attempted, correct and mean score of its session, and the score gap (left
  minus right).

``feet_symmetry`` returns ``None`` for a one-foot session; the template
``review_feet.html`` draws the figures (SVG only: the CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dashboard.review_data import summary_dict
from insole.bilateral import LoadSplit, pair_frames
from insole.frames import Frame

SIDES = ("left", "right")


def _frames(array: NDArray[np.float64]) -> list[Frame]:
    return [Frame(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in array]


def _foot(summary: Mapping[str, Any], this_id: int) -> dict[str, Any]:
    return {
        "session_id": summary["id"],
        "attempted": summary.get("attempted") or 0,
        "correct": summary.get("correct") or 0,
        "mean_score": summary.get("mean_score"),
        "this": summary["id"] == this_id,
    }


def feet_symmetry(log: Any, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """The symmetry figures of the two-foot set ``summary`` belongs to, else ``None``.

    A partner session that was deleted gives ``{"missing": <its id>}``.
    """
    meta = summary.get("meta") or {}
    pair = meta.get("pair") if isinstance(meta, Mapping) else None
    if not isinstance(pair, Mapping) or summary.get("foot") not in SIDES:
        return None
    other_id = pair.get("session_id")
    if not isinstance(other_id, int):
        return None
    try:
        other = summary_dict(log.get_session(other_id))
    except KeyError:  # SessionNotFoundError: the other foot's session was deleted
        return {"missing": other_id}
    by_foot = {summary["foot"]: dict(summary), other.get("foot"): other}
    if set(by_foot) != set(SIDES):
        return None
    left, right = by_foot["left"], by_foot["right"]
    split = LoadSplit()
    pairs = pair_frames(
        _frames(np.asarray(log.frames_array(left["id"]), dtype=np.float64)),
        _frames(np.asarray(log.frames_array(right["id"]), dtype=np.float64)),
    )
    for frame in pairs:
        split.add(frame.t_s, sum(frame.left_n), sum(frame.right_n))
    share, asym = split.figures()
    feet = {side: _foot(by_foot[side], int(summary["id"])) for side in SIDES}
    gap = None
    if feet["left"]["mean_score"] is not None and feet["right"]["mean_score"] is not None:
        gap = round(feet["left"]["mean_score"] - feet["right"]["mean_score"], 1)
    most = max(1, *(f["attempted"] for f in feet.values()))
    return {
        "feet": feet,
        "left_load_share": share,
        "right_load_share": None if share is None else round(1.0 - share, 4),
        "load_asymmetry_pct": asym,
        "score_gap": gap,
        "paired_s": round(split.time_s, 1),
        "most_attempted": most,
    }
