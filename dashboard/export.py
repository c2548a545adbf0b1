"""Export of a logged session: frames CSV, holds CSV and one JSON document.

Frames CSV (the recording format of DESIGN.md, written by ``insole.recording_csv``):

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
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from insole.frames import Frame
from insole.recording_csv import REQUIRED_COLUMNS, write_recording
from insole.records import HOLD_FIELDS, Hold

FRAME_COLUMNS = REQUIRED_COLUMNS

EXPORT_DECIMALS = 4
"""Decimals of exported frames: the log's resolution (0.1 ms, 0.01 N) survives exactly."""

CHUNK_ROWS = 1_000
"""Rows written per chunk while streaming: bounded memory for hour-long sessions, and no
long hold of the interpreter lock (writing a chunk is one C call during which the sampler
cannot run: 20 000 rows held it for about 0.3 s; 1 000 rows, a few milliseconds)."""


def frames_csv(frames: NDArray[np.float64]) -> Iterator[str]:
    """The frames as recording CSV text in chunks, header first, times as stored.

    Each chunk goes through ``insole.recording_csv.write_recording``, so the export is
    exactly what the reader accepts; streaming keeps a one-hour session (360 000 rows,
    about 10 MB) from being built as one string. A session without frames exports the
    header alone.
    """
    yield ",".join(FRAME_COLUMNS) + "\n"
    for start in range(0, len(frames), CHUNK_ROWS):
        chunk = [Frame(*row) for row in frames[start : start + CHUNK_ROWS].tolist()]
        buffer = io.StringIO()
        write_recording(buffer, chunk, decimals=EXPORT_DECIMALS)
        text = buffer.getvalue()
        yield text[text.index("\n") + 1 :]  # the header went out once, first


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


JSON_CHUNK_ROWS = 1_000
"""Frame rows encoded per chunk of a JSON export: the encoder holds the interpreter lock
for the whole call, so one call over an hour of frames would stall sampling for a second."""


def session_json_chunks(
    session: Mapping[str, Any],
    holds: Sequence[Hold],
    frames: NDArray[np.float64],
    dumps: Callable[[Any], str],
) -> Iterator[str]:
    """``session_document`` with frames as JSON text in chunks, for streaming.

    ``dumps`` encodes the summary and holds (the app's JSON provider, so dates come out as
    in every other answer); frame rows are plain numbers, encoded ``JSON_CHUNK_ROWS`` at a
    time. The text parses to the same document as ``session_document`` gives.
    """
    head = dumps({"session": dict(session), "holds": [hold.to_dict() for hold in holds]})
    columns = json.dumps(list(FRAME_COLUMNS), separators=(",", ":"))
    yield head[: head.rindex("}")] + f',"frames":{{"columns":{columns},"data":['
    for start in range(0, len(frames), JSON_CHUNK_ROWS):
        rows = np.round(frames[start : start + JSON_CHUNK_ROWS], EXPORT_DECIMALS).tolist()
        text = json.dumps(rows, separators=(",", ":"))[1:-1]
        yield text if start == 0 else "," + text
    yield "]}}"


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
        rounded = np.round(frames, EXPORT_DECIMALS)
        document["frames"] = {"columns": list(FRAME_COLUMNS), "data": rounded.tolist()}
    return document
