"""Schema migrations: an older file is brought up to date with its data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from insole import frame_codec, migrations
from insole.errors import StorageError
from insole.store import SessionLog
from tests.test_store_support import START, make_hold, realistic_frames


def make_v1_file(path: Path) -> None:
    """A log as the first released schema wrote it (no sessions.meta column)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        assert migrations.migrate(conn, target=1) == [1]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert "meta" not in columns
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO calibrations (created_at, label, data) VALUES (?, 'old', '{\"k\": 1}')",
            (START.isoformat(),),
        )
        conn.execute(
            "INSERT INTO sessions (started_at, ended_at, status, exercise, foot, source,"
            " settings, calibration_id) VALUES (?, ?, 'completed', 'arch_hold', 'right',"
            " 'hardware', '{}', 1)",
            (START.isoformat(), START.isoformat()),
        )
        conn.execute(
            "INSERT INTO sessions (started_at, status, exercise, foot, source, settings)"
            " VALUES (?, 'open', 'arch_hold', 'right', 'hardware', '{}')",
            (START.isoformat(),),
        )
        hold = make_hold(2.0)
        conn.execute(
            f"INSERT INTO holds (session_id, {', '.join(hold.to_dict())}) "
            f"VALUES (1, {', '.join('?' for _ in hold.to_dict())})",
            tuple(hold.to_dict().values()),
        )
        frames = realistic_frames(100, seed=1)
        conn.execute(
            "INSERT INTO frame_chunks VALUES (1, 0, ?, ?, 100, ?)",
            (frames[0, 0], frames[-1, 0], frame_codec.encode(frames)),
        )
        conn.execute("INSERT INTO settings (id, data) VALUES (1, '{\"hold_target_s\": 9.0}')")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_v1_file_is_migrated_to_current(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    make_v1_file(path)
    with SessionLog(path) as log:
        sessions = {s.id: s for s in log.list_sessions()}
        assert sessions[1].status == "completed"
        assert sessions[1].meta == {}
        assert sessions[1].calibration_id == 1
        assert (sessions[1].correct, sessions[1].attempted) == (1, 1)
        # The session left open by the old program is marked interrupted on opening.
        assert sessions[2].status == "interrupted"
        assert log.holds(1) == [make_hold(2.0)]
        assert log.frames_array(1).shape == (100, 4)
        assert log.load_settings() == {"hold_target_s": 9.0}
        log.set_session_meta(1, "unloaded_start_n", [0.0, 0.1, 0.0])
        assert log.get_session(1).meta == {"unloaded_start_n": [0.0, 0.1, 0.0]}
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_migration_steps_are_numbered_in_order() -> None:
    versions = [step.version for step in migrations.MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert versions[-1] == migrations.SCHEMA_VERSION


def test_failed_step_leaves_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "half.sqlite3"
    make_v1_file(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # A column named like the one step 2 adds makes step 2 fail part-way.
        conn.execute("ALTER TABLE sessions ADD COLUMN meta TEXT")
        with pytest.raises(sqlite3.OperationalError, match="duplicate column"):
            migrations.migrate(conn)
        assert migrations.schema_version(conn) == 1
        assert not conn.in_transaction
    finally:
        conn.close()


def test_migrate_rejects_unknown_target(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    try:
        with pytest.raises(ValueError, match="target schema version"):
            migrations.migrate(conn, target=migrations.SCHEMA_VERSION + 1)
    finally:
        conn.close()


def test_read_only_open_does_not_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    make_v1_file(path)
    with pytest.raises(StorageError, match="older schema version 1"):
        SessionLog(path, read_only=True)
    conn = sqlite3.connect(path)
    try:
        assert migrations.schema_version(conn) == 1
    finally:
        conn.close()
    with pytest.raises(StorageError, match="no session log there"):
        SessionLog(tmp_path / "missing.sqlite3", read_only=True)
    assert not (tmp_path / "missing.sqlite3").exists()
