"""The "Your data" page: backup download, restore from an upload, delete everything.

Real SQLite files in tmp_path, a real Monitor (its log-writer thread performs the
replacement), requests through the real pairing and CSRF checks.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.migrations import APPLICATION_ID, SCHEMA_VERSION, migrate
from insole.settings import Settings
from insole.store import SessionLog
from tests.dashboard.data_support import MARKER, START, files_containing, fill_log

SQLITE_MAGIC = b"SQLite format 3\x00"
RAW = {"Content-Type": "application/vnd.sqlite3", "Accept": "application/json"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def log(data_dir: Path) -> Iterator[SessionLog]:
    with SessionLog(data_dir / "sessions.sqlite3") as session_log:
        yield session_log


@pytest.fixture
def monitor(log: SessionLog) -> Iterator[Monitor]:
    with Monitor(log, SourceInfo("emulated", True, "test")) as device:
        device.process(VoltsFrame(0.1, 0.5, 1.0, 1.5))
        yield device


@pytest.fixture
def app(monitor: Monitor, data_dir: Path) -> Flask:
    return create_app(
        {"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_DATA_DIR": str(data_dir)},
        monitor=monitor,
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)


def download(client: FlaskClient) -> bytes:
    with client.get("/data/backup") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/vnd.sqlite3"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="insole-backup-')
        body = response.get_data()
        assert response.content_length == len(body)
        return body


def data_files(data_dir: Path) -> list[str]:
    """What is in the data dir besides the log itself and the access database."""
    own = {"sessions.sqlite3", "sessions.sqlite3-wal", "sessions.sqlite3-shm",
           "sessions.sqlite3.lock", "access.sqlite3", "access.sqlite3-journal"}
    return sorted(p.name for p in data_dir.iterdir() if p.name not in own)


def session_ids(log: SessionLog) -> list[int]:
    return sorted(s.id for s in log.list_sessions())


# -- page ----------------------------------------------------------------------------------


def test_the_page_lists_what_is_stored_and_is_linked_from_settings(
    client: FlaskClient, log: SessionLog
) -> None:
    fill_log(log)
    page = client.get("/data/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "3 sessions, 1 runner profiles" in page
    assert 'href="/data/backup"' in page
    assert 'name="confirm"' in page
    assert 'name="csrf_token"' in page
    settings_page = client.get("/settings/").get_data(as_text=True)
    assert 'href="/data/"' in settings_page


def test_the_page_speaks_german(client: FlaskClient) -> None:
    client.set_cookie("lang", "de")
    page = client.get("/data/").get_data(as_text=True)
    assert "Alle meine Daten löschen" in page
    assert "LÖSCHEN" in page


# -- backup --------------------------------------------------------------------------------


def test_backup_is_a_complete_self_contained_sqlite_file_and_leaves_nothing_behind(
    client: FlaskClient, log: SessionLog, data_dir: Path, tmp_path: Path
) -> None:
    ids = fill_log(log)
    body = download(client)
    assert body.startswith(SQLITE_MAGIC)
    assert body[18:20] == b"\x01\x01"  # rollback journal, not WAL: opens anywhere read-only
    saved = tmp_path / "downloaded.sqlite3"
    saved.write_bytes(body)
    with SessionLog(saved, read_only=True) as copy:
        assert session_ids(copy) == ids
        assert copy.holds(ids[0]) == log.holds(ids[0])
        assert copy.list_runners()[0]["name"] == f"{MARKER} runner"
        assert copy.integrity_check() == ["ok"]
    assert data_files(data_dir) == []


def test_backup_while_a_set_runs_holds_the_frames_logged_so_far(
    client: FlaskClient, monitor: Monitor, tmp_path: Path
) -> None:
    sid = monitor.start_set()
    for k in range(1, 120):
        monitor.process(VoltsFrame(0.1 + k / 100, 0.5, 1.0, 1.5))
    # The monitor hands frames to its log-writer thread; wait until the log has some (those
    # still buffered in the log are written by the backup itself).
    deadline = time.monotonic() + 10.0
    while len(monitor.log.frames_array(sid)) < 100:
        assert time.monotonic() < deadline, "the log writer never wrote the frames"
        time.sleep(0.01)
    logged = len(monitor.log.frames_array(sid))
    body = download(client)
    monitor.stop_set()
    saved = tmp_path / "mid-set.sqlite3"
    saved.write_bytes(body)
    with SessionLog(saved, read_only=True) as copy:
        assert copy.get_session(sid).status == "open"
        assert len(copy.frames_array(sid)) >= logged


# -- restore -------------------------------------------------------------------------------


def test_download_delete_restore_round_trip(
    client: FlaskClient, log: SessionLog, monitor: Monitor, data_dir: Path
) -> None:
    ids = fill_log(log)
    holds_before = log.holds(ids[1])
    monitor.update_settings({"hold_target_s": 9.5})
    body = download(client)
    deleted = client.post("/data/delete", json={"confirm": "delete"})
    assert deleted.status_code == 200, deleted.get_data(as_text=True)
    assert log.list_sessions() == []
    assert monitor.settings == Settings()
    assert monitor.status()["calibration_id"] is None

    restored = client.post("/data/restore", data=body, headers=RAW)
    assert restored.status_code == 200, restored.get_data(as_text=True)
    answer = restored.get_json()
    assert answer["backup"]["sessions"] == 3
    assert answer["backup"]["holds"] == 6
    assert answer["backup"]["runners"] == 1
    assert "3 sessions" in answer["message"]
    assert session_ids(log) == ids
    assert log.holds(ids[1]) == holds_before
    assert log.reps(ids[0])[0]["note"] == MARKER
    # The monitor took the restored settings and calibration over.
    assert monitor.settings.hold_target_s == 9.5
    assert monitor.status()["calibration_id"] == log.latest_calibration()[0]  # type: ignore[index]
    assert data_files(data_dir) == []
    # And the device keeps working on the restored log.
    sid = monitor.start_set()
    monitor.stop_set()
    assert sid == max(ids) + 1


def _junk(tmp_path: Path, body: bytes) -> bytes:
    del tmp_path
    return body


def _truncated(tmp_path: Path, body: bytes) -> bytes:
    del tmp_path
    return body[: len(body) // 2]


def _foreign(tmp_path: Path, body: bytes) -> bytes:
    del body
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text)")
    conn.commit()
    conn.close()
    return path.read_bytes()


def _edited(tmp_path: Path, body: bytes, *statements: str) -> bytes:
    path = tmp_path / "edited.sqlite3"
    path.write_bytes(body)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()
    return path.read_bytes()


def _too_new(tmp_path: Path, body: bytes) -> bytes:
    return _edited(tmp_path, body, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def _with_trigger(tmp_path: Path, body: bytes) -> bytes:
    return _edited(
        tmp_path,
        body,
        "CREATE TRIGGER wipe AFTER INSERT ON holds BEGIN DELETE FROM sessions; END",
    )


def _bad_json(tmp_path: Path, body: bytes) -> bytes:
    return _edited(tmp_path, body, "UPDATE sessions SET settings = '{not json' WHERE id = 2")


def _bad_date(tmp_path: Path, body: bytes) -> bytes:
    return _edited(tmp_path, body, "UPDATE sessions SET started_at = 'yesterday' WHERE id = 1")


def _broken_chunk(tmp_path: Path, body: bytes) -> bytes:
    return _edited(tmp_path, body, "UPDATE frame_chunks SET data = x'4946' WHERE seq = 0")


def _unknown_app(tmp_path: Path, body: bytes) -> bytes:
    return _edited(tmp_path, body, f"PRAGMA application_id = {APPLICATION_ID + 1}")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp, body: _junk(tmp, b""), "empty"),
        (lambda tmp, body: _junk(tmp, b"id,name\n1,not a database\n" * 50), "not_sqlite"),
        (lambda tmp, body: _junk(tmp, SQLITE_MAGIC + b"\x00" * 4000), "damaged"),
        (_truncated, "truncated"),
        (_foreign, "foreign"),
        (_unknown_app, "foreign"),
        (_too_new, "too_new"),
        (_with_trigger, "schema"),
        (_bad_json, "content"),
        (_bad_date, "content"),
        (_broken_chunk, "content"),
    ],
)
def test_a_bad_backup_is_refused_with_its_reason_and_changes_nothing(
    client: FlaskClient, log: SessionLog, data_dir: Path, tmp_path: Path,
    make: object, reason: str,
) -> None:
    ids = fill_log(log, sessions=2)
    body = download(client)
    assert callable(make)
    bad = make(tmp_path, body)
    answer = client.post("/data/restore", data=bad, headers=RAW)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    payload = answer.get_json()
    assert payload["reason"] == reason, payload
    assert payload["message"].startswith("Not restored, your data is unchanged:")
    assert session_ids(log) == ids
    assert log.integrity_check() == ["ok"]
    assert data_files(data_dir) == []


def test_a_backup_above_the_size_limit_is_refused_before_it_is_read(
    monitor: Monitor, data_dir: Path, log: SessionLog
) -> None:
    app = create_app(
        {"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_DATA_DIR": str(data_dir),
         "INSOLE_BACKUP_MAX_BYTES": 8192},
        monitor=monitor,
    )
    client = local_test_client(app)
    fill_log(log, sessions=1)
    body = download(client)
    assert len(body) > 8192
    answer = client.post("/data/restore", data=body, headers=RAW)
    assert answer.status_code == 413
    assert answer.get_json()["reason"] == "too_large"
    assert len(log.list_sessions()) == 1
    assert data_files(data_dir) == []


def test_a_multipart_upload_is_refused_with_the_allowed_types(client: FlaskClient) -> None:
    answer = client.post("/data/restore", data={"backup": (b"x", "b.sqlite3")},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 415
    assert "application/vnd.sqlite3" in answer.get_json()["message"]


def test_restore_and_delete_are_refused_while_a_set_runs(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    fill_log(log, sessions=1)
    body = download(client)
    monitor.start_set()
    try:
        for answer in (
            client.post("/data/restore", data=body, headers=RAW),
            client.post("/data/delete", json={"confirm": "DELETE"}),
        ):
            assert answer.status_code == 409
            assert "stop it" in answer.get_json()["message"]
        page = client.get("/data/").get_data(as_text=True)
        assert "A set is running" in page
    finally:
        monitor.stop_set()
    assert len(log.list_sessions()) == 2


def test_a_failed_replacement_puts_the_previous_data_back(
    client: FlaskClient, log: SessionLog, data_dir: Path
) -> None:
    fill_log(log, sessions=4)
    big = download(client)
    client.post("/data/delete", json={"confirm": "DELETE"})
    small_ids = fill_log(log, sessions=1, marker="small")
    # A real disk limit: the log may not grow to the backup's size, so copying it into the
    # log fails half-way with SQLITE_FULL after every check has passed.
    log.set_max_size(len(big) // 2)
    answer = client.post("/data/restore", data=big, headers=RAW)
    log.set_max_size(None)
    assert answer.status_code == 500, answer.get_data(as_text=True)
    assert "previous data was put back" in answer.get_json()["message"]
    assert session_ids(log) == small_ids
    assert log.integrity_check() == ["ok"]
    assert data_files(data_dir) == []


# -- delete everything -----------------------------------------------------------------------


@pytest.mark.parametrize("word", ["", "delete all", "yes", "DELET"])
def test_delete_needs_the_confirmation_word(
    client: FlaskClient, log: SessionLog, word: str
) -> None:
    ids = fill_log(log, sessions=1)
    answer = client.post("/data/delete", data={"confirm": word}, headers={"Accept": "text/html"})
    assert answer.status_code == 400
    assert "Nothing was deleted: type DELETE" in answer.get_data(as_text=True)
    assert session_ids(log) == ids


def test_delete_all_by_the_form_really_removes_every_record_and_its_bytes(
    client: FlaskClient, log: SessionLog, monitor: Monitor, data_dir: Path
) -> None:
    fill_log(log)
    monitor.update_settings({"hold_target_s": 9.5})
    assert files_containing(data_dir, MARKER.encode())  # the check below can fail
    answer = client.post("/data/delete", data={"confirm": " Löschen "},
                         headers={"Accept": "text/html"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/data/?done=deleted")
    # No file in the data directory (database, WAL, leftovers) holds the old bytes.
    assert files_containing(data_dir, MARKER.encode()) == []
    assert log.list_sessions() == []
    assert log.list_runners() == []
    assert log.latest_calibration() is None
    assert log.load_settings() is None
    conn = sqlite3.connect(f"{log.path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM reps").fetchone() == (0,)
    finally:
        conn.close()
    assert monitor.settings == Settings()
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "All stored data was deleted." in page
    # The device carries on: ids start afresh and the default calibration is used.
    assert monitor.start_set() == 1
    monitor.stop_set()


def test_delete_all_removes_leftover_temporary_copies(
    client: FlaskClient, data_dir: Path
) -> None:
    (data_dir / ".restore-crashed").mkdir()
    (data_dir / ".restore-crashed" / "upload.sqlite3").write_bytes(MARKER.encode())
    (data_dir / ".backup-crashed.sqlite3").write_bytes(MARKER.encode())
    (data_dir / "sessions.before-restore-20261101-101010.sqlite3").write_bytes(MARKER.encode())
    assert client.post("/data/delete", json={"confirm": "DELETE"}).status_code == 200
    assert data_files(data_dir) == []


# -- access ----------------------------------------------------------------------------------


def test_every_data_route_needs_pairing(monitor: Monitor, data_dir: Path) -> None:
    app = create_app({"TESTING": True, "INSOLE_DATA_DIR": str(data_dir)}, monitor=monitor)
    stranger = app.test_client()
    for method, path in (("GET", "/data/"), ("GET", "/data/backup"),
                         ("POST", "/data/restore"), ("POST", "/data/delete")):
        answer = stranger.open(path, method=method, headers={"Accept": "application/json"})
        assert answer.status_code == 401, (method, path)
        assert b"SQLite" not in answer.get_data()


def test_posts_need_the_csrf_token(app: Flask, log: SessionLog) -> None:
    ids = fill_log(log, sessions=1)
    unarmed = app.test_client()
    for path, kwargs in (
        ("/data/delete", {"json": {"confirm": "DELETE"}}),
        ("/data/restore", {"data": b"x", "headers": {"Content-Type": "application/vnd.sqlite3"}}),
    ):
        answer = unarmed.post(path, **kwargs)
        assert answer.status_code == 403, path
    assert session_ids(log) == ids


def test_a_backup_of_an_older_schema_is_migrated(
    client: FlaskClient, log: SessionLog, tmp_path: Path
) -> None:
    old = tmp_path / "version1.sqlite3"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO sessions (started_at, ended_at, status, exercise, foot, source, settings)"
        " VALUES ('2025-05-01T09:00:00.000000+00:00', '2025-05-01T09:05:00.000000+00:00',"
        " 'completed', 'arch_hold', 'left', 'hardware', '{}')"
    )
    conn.close()
    answer = client.post("/data/restore", data=old.read_bytes(), headers=RAW)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["backup"]["schema_version"] == 1
    (restored,) = log.list_sessions()
    assert restored.started_at.year == 2025
    assert restored.meta == {}


def test_without_a_monitor_the_log_itself_is_replaced(log: SessionLog, data_dir: Path) -> None:
    # The review-only app (no device attached): the log refuses while a session is open.
    app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_DATA_DIR": str(data_dir)},
                     log=log)
    client = local_test_client(app)
    ids = fill_log(log, sessions=2)
    body = download(client)
    open_id = log.start_session(started_at=START, exercise="arch_hold", foot="left",
                                source="test", settings={})
    refused = client.post("/data/delete", json={"confirm": "DELETE"})
    assert refused.status_code == 409
    log.end_session(open_id, START)
    assert client.post("/data/delete", json={"confirm": "DELETE"}).status_code == 200
    assert log.list_sessions() == []
    assert client.post("/data/restore", data=body, headers=RAW).status_code == 200
    assert session_ids(log) == ids


def test_the_chosen_runner_is_dropped_when_the_data_is_replaced(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    fill_log(log, sessions=1)
    (runner,) = log.list_runners()
    assert monitor.select_runner(runner["id"]) is not None
    assert client.post("/data/delete", json={"confirm": "DELETE"}).status_code == 200
    assert monitor.runner is None
    assert monitor.start_set() == 1  # logged with no runner: the old id is gone
    monitor.stop_set()
    assert log.get_session(1).exercise == "arch_hold"
