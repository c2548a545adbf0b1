"""Session log round trips on real SQLite files: every API, chunking, errors, whole-file ops."""

from __future__ import annotations

import math
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insole import frame_codec
from insole.errors import InsoleError, StorageError
from insole.frames import Frame
from insole.migrations import SCHEMA_VERSION
from insole.records import HOLD_FIELDS
from insole.store import (
    CHUNK_S,
    CalibrationNotFoundError,
    LogInputError,
    SchemaTooNewError,
    SessionLog,
    SessionNotFoundError,
)
from tests.test_store_support import START, make_hold, realistic_frames, session_kwargs

RES = np.array([frame_codec.TIME_STEP_S, *[frame_codec.FORCE_STEP_N] * 3]) / 2 + 1e-9


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sessions.sqlite3"


@pytest.fixture
def log(db_path: Path) -> Iterator[SessionLog]:
    with SessionLog(db_path) as opened:
        yield opened


def chunk_count(path: Path, session_id: int) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(
            conn.execute(
                "SELECT count(*) FROM frame_chunks WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
        )
    finally:
        conn.close()


def test_creates_directory_in_wal_mode_at_current_schema(db_path: Path, log: SessionLog) -> None:
    assert db_path.parent.is_dir()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert log.integrity_check() == ["ok"]


def test_default_path_honours_data_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSOLE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert SessionLog.default_path() == tmp_path / "elsewhere" / "sessions.sqlite3"
    monkeypatch.delenv("INSOLE_DATA_DIR")
    default = SessionLog.default_path()
    assert default.name == "sessions.sqlite3"
    assert "insole-monitor" in str(default.parent)


def test_full_session_round_trip(db_path: Path) -> None:
    frames = realistic_frames(1234, seed=1)
    with SessionLog(db_path) as log:
        cal_id = log.save_calibration({"r_fixed_ohm": 3300.0}, "morning", START)
        sid = log.start_session(**session_kwargs(), calibration_id=cal_id)
        for start in range(0, len(frames), 7):
            log.append_frames(sid, [Frame(*row) for row in frames[start : start + 7]])
        hold_ids = [log.add_hold(sid, make_hold(1.0, 9.0, 90.0))]
        hold_ids.append(log.add_hold(sid, make_hold(11.0, 3.0, 40.0)))
        log.set_session_meta(sid, "unloaded_start_n", [0.1, 0.0, 0.2])
        log.set_session_meta(sid, "unloaded_end_n", [0.3, 0.1, 0.2])
        log.end_session(sid, START + timedelta(minutes=2))
        assert hold_ids == [1, 2]
    with SessionLog(db_path) as log:
        summary = log.get_session(sid)
        assert (summary.status, summary.exercise, summary.foot, summary.source) == (
            "completed",
            "arch_hold",
            "left",
            "simulated",
        )
        assert summary.started_at == START
        assert summary.ended_at == START + timedelta(minutes=2)
        assert summary.duration_s == 120.0
        assert (summary.correct, summary.attempted, summary.mean_score) == (1, 2, 65.0)
        assert summary.calibration_id == cal_id
        assert summary.settings == {"hold_target_s": 8.0, "grace_s": 0.5}
        assert summary.meta == {
            "unloaded_start_n": [0.1, 0.0, 0.2],
            "unloaded_end_n": [0.3, 0.1, 0.2],
        }
        assert summary.to_dict()["started_at"] == "2026-03-01T09:30:00+00:00"
        assert log.holds(sid) == [make_hold(1.0, 9.0, 90.0), make_hold(11.0, 3.0, 40.0)]
        stored = log.frames_array(sid)
        assert stored.shape == frames.shape
        assert (np.abs(stored - frames) <= RES).all()
        as_records = log.frames(sid)
        assert as_records[0] == Frame(*stored[0])
        assert len(as_records) == len(frames)
        assert log.calibration(cal_id) == {"r_fixed_ohm": 3300.0}


def test_frames_are_written_in_one_second_chunks(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    frames = realistic_frames(round(450 * CHUNK_S), seed=2)  # 4.5 chunks at 100 Hz
    for row in frames:
        log.append_frames(sid, [Frame(*row)])
    # Four full chunks are on disk, the last half chunk is still buffered ...
    assert chunk_count(db_path, sid) == 4
    assert 40 * CHUNK_S <= log.pending_frame_count <= 60 * CHUNK_S
    # ... yet a reader sees every frame, each exactly once.
    assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
    log.flush()
    assert log.pending_frame_count == 0
    assert chunk_count(db_path, sid) == 5
    assert (np.abs(log.frames_array(sid) - frames) <= RES).all()


def test_chunk_boundary_exactly_one_second(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    times = np.arange(0, 101) * (CHUNK_S / 100)  # 0.00 .. 1.00 s inclusive
    batch = np.column_stack([times, np.full((101, 3), 10.0)])
    log.append_frames(sid, batch[:100])  # spans 0.99 s: stays buffered
    assert chunk_count(db_path, sid) == 0
    log.append_frames(sid, batch[100:])  # now 1.00 s: written
    assert chunk_count(db_path, sid) == 1
    assert log.pending_frame_count == 0


def test_one_large_batch_is_split_into_bounded_chunks(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    frames = realistic_frames(15_000, seed=3)
    log.append_frames(sid, frames)
    assert chunk_count(db_path, sid) == 3  # 6000 + 6000 + 3000 frames
    assert (np.abs(log.frames_array(sid) - frames) <= RES).all()


def chunk_sizes(path: Path, session_id: int) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT n FROM frame_chunks WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [int(row[0]) for row in rows]
    finally:
        conn.close()


def test_each_minute_of_small_chunks_is_merged(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    frames = realistic_frames(13_050, seed=10)  # 130.5 s
    # A chunk is written by the first 25-frame batch that makes the buffer span CHUNK_S.
    small = 25 * math.ceil((CHUNK_S * 100 + 1) / 25)
    for start in range(0, len(frames), 25):
        log.append_frames(sid, frames[start : start + 25])
        if start == 5000:
            # Before a minute is full: only chunks of about one second (25-frame batches).
            assert set(chunk_sizes(db_path, sid)) == {small}
    sizes = chunk_sizes(db_path, sid)
    # Two merged minutes, then one-second chunks; the last frames are still buffered.
    assert sizes[:2] == [6000, 6000]
    assert set(sizes[2:]) == {small}
    assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
    log.end_session(sid, START)
    assert chunk_sizes(db_path, sid) == [6000, 6000, 1050]  # the tail merged at the end
    assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
    middle = log.frames_array(sid, start_s=59.0, end_s=61.0)
    assert middle.shape[0] in range(199, 203)


def test_time_range_selection(log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    frames = realistic_frames(1000, seed=4)
    log.append_frames(sid, frames)
    part = log.frames_array(sid, start_s=2.5, end_s=4.0)
    expected = frames[(frames[:, 0] >= 2.5) & (frames[:, 0] <= 4.0)]
    assert part.shape[0] in range(expected.shape[0] - 1, expected.shape[0] + 2)
    assert part[:, 0].min() >= 2.5
    assert part[:, 0].max() <= 4.0
    assert log.frames(sid, start_s=100.0) == []


def test_add_hold_commits_pending_frames_at_once(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    log.append_frames(sid, realistic_frames(30, seed=5))
    assert chunk_count(db_path, sid) == 0
    log.add_hold(sid, make_hold(0.0, 0.2))
    assert chunk_count(db_path, sid) == 1
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT count(*) FROM holds").fetchone()[0] == 1
    finally:
        other.close()


def test_many_sessions_listed_newest_first_and_trends_oldest_first(log: SessionLog) -> None:
    ids = []
    for minute in range(40):
        sid = log.start_session(**session_kwargs(minutes=minute * 60))
        for rep in range(minute % 4):
            log.add_hold(sid, make_hold(rep * 12.0, 9.0 if rep % 2 == 0 else 4.0, 50.0 + rep))
        log.append_frames(sid, realistic_frames(150, seed=minute))
        log.end_session(sid, START + timedelta(minutes=minute * 60 + 5))
        ids.append(sid)
    sessions = log.list_sessions()
    assert [s.id for s in sessions] == ids[::-1]
    trend = log.trends()
    assert [s.id for s in trend] == ids
    by_id = {s.id: s for s in trend}
    assert by_id[ids[3]].attempted == 3
    assert by_id[ids[3]].correct == 2
    assert by_id[ids[3]].mean_score == pytest.approx(51.0)
    assert by_id[ids[0]].mean_score is None
    assert log.trends(exercise="lunge") == []


def test_delete_session_removes_holds_and_frames(db_path: Path, log: SessionLog) -> None:
    keep = log.start_session(**session_kwargs())
    gone = log.start_session(**session_kwargs(minutes=1))
    for sid in (keep, gone):
        log.append_frames(sid, realistic_frames(300, seed=sid))
        log.add_hold(sid, make_hold(0.5))
    log.delete_session(gone)
    with pytest.raises(SessionNotFoundError):
        log.get_session(gone)
    assert [s.id for s in log.list_sessions()] == [keep]
    assert len(log.holds(keep)) == 1
    assert chunk_count(db_path, gone) == 0
    with pytest.raises(SessionNotFoundError):
        log.delete_session(gone)


def test_reopening_marks_open_sessions_interrupted(db_path: Path) -> None:
    log = SessionLog(db_path)
    sid = log.start_session(**session_kwargs())
    log.append_frames(sid, realistic_frames(520, seed=6))  # 5.2 s
    log.add_hold(sid, make_hold(1.0, 9.0))
    # Simulate the process dying: drop the object without ending the session.
    log.close()
    with SessionLog(db_path) as reopened:
        summary = reopened.get_session(sid)
        assert summary.status == "interrupted"
        assert summary.ended_at is not None
        # Estimated from the logged span: the hold ended at 10 s after the first frame.
        assert summary.duration_s == pytest.approx(10.0, abs=0.01)
        assert reopened.mark_interrupted() == []


def test_calibrations_and_settings(log: SessionLog) -> None:
    assert log.latest_calibration() is None
    assert log.load_settings() is None
    first = log.save_calibration({"curves": [1, 2]}, "first", START)
    second = log.save_calibration({"curves": [3, 4]}, "second", START + timedelta(days=1))
    assert log.latest_calibration() == (second, {"curves": [3, 4]})
    assert log.calibration(first) == {"curves": [1, 2]}
    with pytest.raises(CalibrationNotFoundError, match="no calibration with id 99"):
        log.calibration(99)
    log.save_settings({"hold_target_s": 9.0})
    log.save_settings({"hold_target_s": 10.0, "language": "de"})
    assert log.load_settings() == {"hold_target_s": 10.0, "language": "de"}


def test_not_found_errors_are_key_errors_with_clear_text(log: SessionLog) -> None:
    with pytest.raises(KeyError) as info:
        log.get_session(42)
    assert isinstance(info.value, InsoleError)
    assert str(info.value) == "no session with id 42"
    for call in (log.holds, log.frames_array, log.frames):
        with pytest.raises(SessionNotFoundError):
            call(42)
    with pytest.raises(SessionNotFoundError):
        log.append_frames(42, [Frame(0.0, 1.0, 1.0, 1.0)])
    with pytest.raises(SessionNotFoundError):
        log.set_session_meta(42, "k", 1)
    with pytest.raises(CalibrationNotFoundError):
        log.start_session(**session_kwargs(), calibration_id=7)


def test_bad_arguments_are_rejected_without_writing(log: SessionLog) -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(LogInputError, match="timezone-aware"):
        log.start_session(**{**session_kwargs(), "started_at": naive})
    with pytest.raises(LogInputError, match="JSON"):
        log.start_session(**{**session_kwargs(), "settings": {"x": float("nan")}})
    with pytest.raises(LogInputError, match="exercise"):
        log.start_session(**{**session_kwargs(), "exercise": ""})
    assert log.list_sessions() == []
    sid = log.start_session(**session_kwargs())
    with pytest.raises(LogInputError, match="completed, interrupted"):
        log.end_session(sid, START, status="open")
    with pytest.raises(LogInputError, match="finite"):
        log.add_hold(sid, make_hold(float("nan")))
    with pytest.raises(frame_codec.FrameRangeError):
        log.append_frames(sid, [Frame(0.0, float("nan"), 1.0, 1.0)])
    with pytest.raises(LogInputError, match="JSON"):
        log.set_session_meta(sid, "when", datetime.now(UTC))
    assert log.pending_frame_count == 0
    assert log.holds(sid) == []
    log.end_session(sid, START + timedelta(seconds=30))
    with pytest.raises(LogInputError, match="completed"):
        log.append_frames(sid, [Frame(0.0, 1.0, 1.0, 1.0)])
    with pytest.raises(LogInputError, match="completed"):
        log.end_session(sid, START)


def test_other_timezones_are_stored_as_utc(log: SessionLog) -> None:
    berlin_winter = timezone(timedelta(hours=1))
    sid = log.start_session(
        **{**session_kwargs(), "started_at": datetime(2026, 3, 1, 10, 30, tzinfo=berlin_winter)}
    )
    assert log.get_session(sid).started_at == START
    assert log.get_session(sid).started_at.utcoffset() == timedelta(0)


def test_close_is_idempotent_and_flushes(db_path: Path) -> None:
    log = SessionLog(db_path)
    sid = log.start_session(**session_kwargs())
    log.append_frames(sid, realistic_frames(20, seed=7))
    log.close()
    log.close()
    assert log.closed
    with pytest.raises(StorageError, match="closed"):
        log.list_sessions()
    with SessionLog(db_path) as reopened:
        assert reopened.frames_array(sid).shape == (20, 4)


def test_second_writer_is_refused_but_readers_are_welcome(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    log.add_hold(sid, make_hold(0.0))
    with pytest.raises(StorageError, match="already open for writing"):
        SessionLog(db_path)
    with SessionLog(db_path, read_only=True) as reader:
        # The writer's session is not marked interrupted by a reader.
        assert reader.get_session(sid).status == "open"
        assert len(reader.holds(sid)) == 1
        with pytest.raises(StorageError, match="read-only"):
            reader.save_settings({})
    assert log.get_session(sid).status == "open"


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    with pytest.raises(StorageError, match=r"sessions\.sqlite3 is damaged or not an SQLite"):
        SessionLog(path)
    assert path.read_bytes().startswith(b"this is a text file")


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="another program"):
        SessionLog(path)


def test_newer_schema_is_refused_and_left_unchanged(db_path: Path) -> None:
    with SessionLog(db_path) as log:
        log.start_session(**session_kwargs())
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNewError, match=f"schema version {SCHEMA_VERSION + 1}"):
        SessionLog(db_path)
    assert db_path.read_bytes() == before
    conn = sqlite3.connect(db_path)
    try:
        # The open session was not marked interrupted either.
        assert conn.execute("SELECT status FROM sessions").fetchone()[0] == "open"
    finally:
        conn.close()


def test_damaged_chunk_is_reported_with_the_session(db_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    log.append_frames(sid, realistic_frames(200, seed=8))
    log.end_session(sid, START)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE frame_chunks SET data = substr(data, 1, 20)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match=f"chunk of session {sid} is damaged"):
        log.frames_array(sid)


def test_holds_table_has_a_column_for_every_hold_field(db_path: Path, log: SessionLog) -> None:
    conn = sqlite3.connect(db_path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(holds)")]
    finally:
        conn.close()
    assert columns[:2] == ["id", "session_id"]
    assert tuple(columns[2:]) == HOLD_FIELDS


def test_backup_and_restore(tmp_path: Path, db_path: Path) -> None:
    backup_path = tmp_path / "backup.sqlite3"
    frames = realistic_frames(700, seed=9)
    with SessionLog(db_path) as log:
        sid = log.start_session(**session_kwargs())
        log.append_frames(sid, frames)  # half a second still buffered: backup flushes it
        log.add_hold(sid, make_hold(0.5))
        log.save_settings({"hold_target_s": 9.0})
        log.backup(backup_path)
        assert not backup_path.with_name("backup.sqlite3.partial").exists()
        log.end_session(sid, START)
        with pytest.raises(LogInputError, match="itself"):
            log.backup(db_path)
        log.delete_all()
        assert log.list_sessions() == []
        log.restore(backup_path)
        restored = log.get_session(sid)
        # The backup was taken mid-session, so the restored session is interrupted.
        assert restored.status == "interrupted"
        assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
        assert log.holds(sid) == [make_hold(0.5)]
        assert log.load_settings() == {"hold_target_s": 9.0}
        assert log.integrity_check() == ["ok"]


def test_restore_rejects_bad_backups_and_changes_nothing(tmp_path: Path, log: SessionLog) -> None:
    sid = log.start_session(**session_kwargs())
    log.end_session(sid, START)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\0" * 100 + b"junk" * 1000)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for bad in (junk, foreign, tmp_path / "missing.sqlite3"):
        with pytest.raises(StorageError):
            log.restore(bad)
    assert [s.id for s in log.list_sessions()] == [sid]
    running = log.start_session(**session_kwargs())
    with pytest.raises(LogInputError, match="stop the running session"):
        log.restore(junk)
    log.end_session(running, START)


def test_delete_all_really_removes_the_data(db_path: Path) -> None:
    marker = "zqxmarker-physio-note"
    with SessionLog(db_path) as log:
        running = log.start_session(**session_kwargs())
        with pytest.raises(LogInputError, match="stop the running session"):
            log.delete_all()
        log.end_session(running, START)
        for minute in range(3):
            sid = log.start_session(**session_kwargs(minutes=minute, exercise=marker))
            log.append_frames(sid, realistic_frames(3000, seed=minute))
            log.add_hold(sid, make_hold(1.0))
            log.set_session_meta(sid, "note", marker)
            log.end_session(sid, START)
        log.save_calibration({"who": marker}, marker, START)
        log.save_settings({"name": marker})
        files = [db_path, db_path.with_name(db_path.name + "-wal")]
        size_before = sum(path.stat().st_size for path in files)
        assert any(marker.encode() in path.read_bytes() for path in files)
        log.delete_all()
        for path in files:
            if path.exists():
                assert marker.encode() not in path.read_bytes(), path.name
        assert db_path.with_name(db_path.name + "-wal").stat().st_size == 0
        assert db_path.stat().st_size < size_before / 4
        assert log.list_sessions() == []
        assert log.latest_calibration() is None
        assert log.load_settings() is None
        # The log keeps working, and ids start afresh.
        assert log.start_session(**session_kwargs()) == 1
        log.end_session(1, START)
    for path in files:
        if path.exists():
            assert marker.encode() not in path.read_bytes(), path.name


@settings(max_examples=25, deadline=None)
@given(
    batch_sizes=st.lists(st.integers(1, 400), min_size=1, max_size=30),
    hold_after=st.sets(st.integers(0, 29), max_size=5),
    rate_hz=st.sampled_from([50.0, 100.0, 286.0]),
)
def test_any_batch_split_stores_the_same_frames(
    batch_sizes: list[int], hold_after: set[int], rate_hz: float
) -> None:
    frames = realistic_frames(sum(batch_sizes), rate_hz=rate_hz, seed=len(batch_sizes))
    with tempfile.TemporaryDirectory() as tmp, SessionLog(Path(tmp) / "s.sqlite3") as log:
        sid = log.start_session(**session_kwargs())
        start = 0
        for index, size in enumerate(batch_sizes):
            log.append_frames(sid, frames[start : start + size])
            start += size
            if index in hold_after:
                log.add_hold(sid, make_hold(float(frames[start - 1, 0])))
            # Frames buffered in memory never exceed about a second plus one batch.
            assert log.pending_frame_count <= rate_hz * CHUNK_S + size + 1
        assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
        log.end_session(sid, START)
        assert (np.abs(log.frames_array(sid) - frames) <= RES).all()
        assert len(log.holds(sid)) == len(hold_after & set(range(len(batch_sizes))))
