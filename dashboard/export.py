"""Export of a logged session: frames CSV, holds CSV and one JSON document.

Frames CSV (the recording format of DESIGN.md, readable by ``insole.recording_csv``):

============ ===== ====================================
column       unit  meaning
============ ===== ====================================
time_s       s     time from the start of the session
heel_n       N     force on the outer heel
little_toe_n N     force on the ball of the little toe
big_toe_n    N     force on the ball of the big toe
============ ===== ====================================

Holds CSV: one row per hold, one column per ``insole.records.Hold`` field in
``HOLD_FIELDS`` order (the table is documented in ``insole/records.py``), preceded by
``hold`` (1-based number in the session).

JSON: ``{"session": {...}, "holds": [Hold.to_dict(), ...], "frames": {"columns": [...],
"data": [[time_s, heel_n, little_toe_n, big_toe_n], ...]}}``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from insole.records import HOLD_FIELDS, Hold

FRAME_COLUMNS = ("time_s", "heel_n", "little_toe_n", "big_toe_n")

TIME_DECIMALS = 4
"""Time resolution of exported frames: 0.1 ms, finer than any ADS1115 sample spacing."""

FORCE_DECIMALS = 3
"""Force resolution of exported frames: 1 mN, below the FSR's noise."""

CHUNK_ROWS = 20_000
"""Rows formatted per chunk while streaming: bounded memory for hour-long sessions."""


def frames_csv(frames: NDArray[np.float64]) -> Iterator[str]:
    """The frames as CSV text in chunks (header first), times as stored (session time).

    Streaming keeps a one-hour session (360 000 rows, about 10 MB) out of memory as one
    string; numpy formats each chunk in C rather than row by row in Python.
    """
    yield ",".join(FRAME_COLUMNS) + "\r\n"
    if len(frames) == 0:
        return
    fmt = [f"%.{TIME_DECIMALS}f"] + [f"%.{FORCE_DECIMALS}f"] * 3
    for start in range(0, len(frames), CHUNK_ROWS):
        chunk = frames[start : start + CHUNK_ROWS]
        buffer = io.StringIO()
        np.savetxt(buffer, chunk, fmt=fmt, delimiter=",", newline="\r\n")
        yield buffer.getvalue()


def holds_csv(holds: Sequence[Hold]) -> str:
    """The holds as CSV text: a ``hold`` number then every ``Hold`` field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("hold", *HOLD_FIELDS))
    for number, hold in enumerate(holds, start=1):
        row = hold.to_dict()
        writer.writerow((number, *(row[name] for name in HOLD_FIELDS)))
    return buffer.getvalue()


def read_holds_csv(text: str) -> list[Hold]:
    """Holds back from ``holds_csv`` text (numbers parsed, unknown columns ignored)."""
    holds = []
    for row in csv.DictReader(io.StringIO(text)):
        values: dict[str, Any] = {}
        for name in HOLD_FIELDS:
            raw = row[name]
            values[name] = raw if name == "outcome" else float(raw)
        holds.append(Hold.from_dict(values))
    return holds


def session_document(
    session: Mapping[str, Any], holds: Sequence[Hold], frames: NDArray[np.float64] | None
) -> dict[str, Any]:
    """One JSON-ready document with the session's summary, holds and (optionally) frames.

    Frame times stay in session time so they line up with the holds' ``start_s``/``end_s``.
    """
    document: dict[str, Any] = {
        "session": dict(session),
        "holds": [hold.to_dict() for hold in holds],
    }
    if frames is not None:
        relative = frames.copy()
        relative[:, 0] = np.round(relative[:, 0], TIME_DECIMALS)
        relative[:, 1:] = np.round(relative[:, 1:], FORCE_DECIMALS)
        document["frames"] = {"columns": list(FRAME_COLUMNS), "data": relative.tolist()}
    return document
