"""Export round trips: what the review downloads reads back as what was logged."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from flask.testing import FlaskClient

from dashboard import export
from insole.recording_csv import read_recording
from insole.records import HOLD_FIELDS
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames

STARTED = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)


@pytest.fixture
def session_id(log: SessionLog) -> int:
    # 450 s at 100 Hz: more than two export chunks, so chunk joins are exercised.
    holds = [make_hold(10.0, 9.0, 81.5), make_hold(30.0, 3.25, 22.0)]
    return record_session(log, started_at=STARTED, frames=synthetic_frames(450.0), holds=holds)


def test_frames_csv_reads_back_as_the_logged_frames(
    client: FlaskClient, log: SessionLog, session_id: int
) -> None:
    response = client.get(f"/review/{session_id}/frames.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{session_id}-frames.csv"'
    )
    text = response.get_data(as_text=True)
    assert text.startswith("time_s,heel_n,little_toe_n,big_toe_n\n")
    frames = read_recording(io.StringIO(text))
    logged = log.frames_array(session_id)
    assert len(frames) == len(logged) == 45_000
    np.testing.assert_allclose(np.array(frames), logged, rtol=0, atol=0.005)


def test_holds_csv_reads_back_as_the_logged_holds(
    client: FlaskClient, log: SessionLog, session_id: int
) -> None:
    response = client.get(f"/review/{session_id}/holds.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(("hold", *HOLD_FIELDS))
    assert export.read_holds_csv(text) == log.holds(session_id)


def test_json_export_has_summary_holds_and_frames(
    client: FlaskClient, log: SessionLog, session_id: int
) -> None:
    response = client.get(f"/review/{session_id}/session.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["session"]["id"] == session_id
    assert document["session"]["started_at"].startswith("2026-11-03T07:00")
    assert [h["score"] for h in document["holds"]] == [81.5, 22.0]
    assert document["frames"]["columns"] == ["time_s", "heel_n", "little_toe_n", "big_toe_n"]
    np.testing.assert_allclose(
        np.array(document["frames"]["data"]), log.frames_array(session_id), atol=1e-9
    )


def test_api_frames_match_the_download(client: FlaskClient, session_id: int) -> None:
    api = client.get(f"/api/sessions/{session_id}/frames").json
    download = json.loads(client.get(f"/review/{session_id}/session.json").data)
    assert api == download


def test_a_session_without_frames_exports_the_header_only(
    client: FlaskClient, log: SessionLog
) -> None:
    empty = record_session(log, started_at=STARTED, frames=np.empty((0, 4)), holds=[])
    text = client.get(f"/review/{empty}/frames.csv").get_data(as_text=True)
    assert text == "time_s,heel_n,little_toe_n,big_toe_n\n"
    holds = client.get(f"/review/{empty}/holds.csv").get_data(as_text=True)
    assert holds.splitlines() == [",".join(("hold", *HOLD_FIELDS))]


@pytest.mark.parametrize("rows", [0, 1, export.JSON_CHUNK_ROWS, 2 * export.JSON_CHUNK_ROWS + 7])
def test_chunked_json_parses_to_the_whole_document(
    log: SessionLog, session_id: int, rows: int
) -> None:
    rng = np.random.default_rng(rows)
    frames = np.column_stack([np.arange(rows) * 0.01, rng.uniform(0, 80, (rows, 3))])
    summary = {"id": session_id, "exercise": "arch_hold"}
    holds = log.holds(session_id)
    chunks = list(export.session_json_chunks(summary, holds, frames, json.dumps))
    # Bounded pieces: no chunk carries more than one chunk's worth of rows.
    assert len(chunks) == 2 + -(-rows // export.JSON_CHUNK_ROWS)
    whole = json.loads(json.dumps(export.session_document(summary, holds, frames)))
    assert json.loads("".join(chunks)) == whole
