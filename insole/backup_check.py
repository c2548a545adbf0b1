"""Checking an uploaded backup before it may replace the session log.

An uploaded backup is untrusted input: it may be truncated, damaged, another program's
SQLite file, a newer schema, or a crafted file with extra triggers or views. Nothing of
the live log may change until the backup has passed every check, so the check works on a
private copy and ends with a file that :meth:`insole.store.SessionLog.restore` can take
without surprises:

1. size: at most ``max_bytes``, and at least one SQLite page;
2. the 100-byte SQLite header: magic string, page size, file size a whole number of pages
   and, where the header records it, the page count (a truncated download fails here with
   a message that says so);
3. SQLite itself on the copy, with ``trusted_schema`` off: ``application_id`` "INSL",
   schema version from 1 to :data:`~insole.migrations.SCHEMA_VERSION`,
   ``PRAGMA integrity_check`` and ``foreign_key_check``;
4. the schema is exactly the one our migrations build for that version (no extra table,
   trigger, view or index: a trigger smuggled into a backup would run inside the log);
5. the copy is migrated to the current schema, switched to a rollback journal and rebuilt
   with ``VACUUM`` (no free pages with stale content, the live log's page size);
6. every row is read back through the real reader (:class:`~insole.store.SessionLog`,
   read-only): sessions, holds, reps, frames (every chunk decoded), runners, calibrations
   and settings. What the review pages will read later is read here first.

Any failure raises :class:`BackupRejectedError` with a ``reason`` word (for translated
messages) and an English message that says what is wrong.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insole.calibration import Calibration
from insole.errors import InsoleError
from insole.migrations import APPLICATION_ID, SCHEMA_VERSION, application_id, migrate
from insole.migrations import schema_version as file_schema_version
from insole.store import SessionLog

__all__ = [
    "HEADER_BYTES",
    "MIN_PAGE_BYTES",
    "REASONS",
    "BackupInfo",
    "BackupRejectedError",
    "check_header",
    "prepare_backup",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
MIN_PAGE_BYTES = 512
MAX_PAGE_BYTES = 65536

REASONS = (
    "empty",
    "too_large",
    "not_sqlite",
    "truncated",
    "damaged",
    "foreign",
    "too_new",
    "schema",
    "content",
)
"""Every ``BackupRejectedError.reason`` (the dashboard translates them)."""


class BackupRejectedError(InsoleError, ValueError):
    """The file is not a usable backup; nothing was changed. ``reason`` is one of REASONS."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class BackupInfo:
    """What an accepted backup holds (shown after a restore)."""

    schema_version: int
    size_bytes: int
    sessions: int
    holds: int
    runners: int
    calibrations: int
    first_started_at: str | None
    last_started_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "schema_version": self.schema_version,
            "size_bytes": self.size_bytes,
            "sessions": self.sessions,
            "holds": self.holds,
            "runners": self.runners,
            "calibrations": self.calibrations,
            "first_started_at": self.first_started_at,
            "last_started_at": self.last_started_at,
        }


def check_header(header: bytes, size_bytes: int) -> int:
    """Check the SQLite file header against the file size; returns the page size.

    Pure (no file access): ``header`` is the file's first bytes (at least 100 when the file
    has them), ``size_bytes`` its length.
    """
    if size_bytes == 0:
        raise BackupRejectedError("empty", "the file is empty")
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        raise BackupRejectedError(
            "not_sqlite", "the file is not an SQLite database (a backup starts 'SQLite format 3')"
        )
    raw_page = struct.unpack(">H", header[16:18])[0]
    page_bytes = MAX_PAGE_BYTES if raw_page == 1 else raw_page
    if not MIN_PAGE_BYTES <= page_bytes <= MAX_PAGE_BYTES or page_bytes & (page_bytes - 1):
        raise BackupRejectedError(
            "damaged", f"the header's page size {raw_page} is not a power of two from 512 to 65536"
        )
    if size_bytes % page_bytes:
        raise BackupRejectedError(
            "truncated",
            f"the file is cut off: {size_bytes} bytes is not a whole number of "
            f"{page_bytes}-byte pages",
        )
    change_counter, header_pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    # SQLite trusts the header's page count only when "version-valid-for" matches the
    # change counter; otherwise it uses the file size, and so do we.
    pages = size_bytes // page_bytes
    if header_pages and valid_for == change_counter and header_pages != pages:
        if header_pages > pages:
            raise BackupRejectedError(
                "truncated",
                f"the file is cut off: it has {pages} of its {header_pages} pages",
            )
        raise BackupRejectedError(
            "damaged", f"the file has {pages} pages but its header says {header_pages}"
        )
    return page_bytes


def prepare_backup(
    src: Path, work: Path, *, max_bytes: int, page_bytes: int = 4096
) -> BackupInfo:
    """Check the backup ``src`` and write a clean, migrated copy of it to ``work``.

    ``work`` must not exist; it is removed again when the backup is rejected. ``src`` is
    never modified. ``page_bytes`` is the live log's page size (the copy is rebuilt with it
    so that SQLite's backup API can copy it into the live WAL-mode file).
    """
    try:
        size_bytes = src.stat().st_size
        if size_bytes > max_bytes:
            raise BackupRejectedError(
                "too_large",
                f"the file has {size_bytes} bytes; at most {max_bytes} bytes are accepted",
            )
        with src.open("rb") as handle:
            header = handle.read(HEADER_BYTES)
        check_header(header, size_bytes)
        shutil.copyfile(src, work)
    except OSError as err:
        raise BackupRejectedError("damaged", f"the file cannot be read: {err}") from err
    try:
        return _check_copy(work, size_bytes, page_bytes)
    except BaseException:
        _remove_database(work)
        raise


def _remove_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _reference_schema(version: int) -> set[tuple[str, str, str, str]]:
    """The schema our migrations build for ``version`` (type, name, table, sql)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn, target=version)
        return _schema(conn)
    finally:
        conn.close()


def _schema(conn: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
    return {(str(t), str(n), str(tb), " ".join(str(sql or "").split())) for t, n, tb, sql in rows}


def _check_copy(work: Path, size_bytes: int, page_bytes: int) -> BackupInfo:
    try:
        conn = sqlite3.connect(work, isolation_level=None)
    except sqlite3.Error as err:
        raise BackupRejectedError("damaged", f"SQLite cannot open the file: {err}") from err
    # Names and messages from a damaged file may not be UTF-8; never fail on decoding them.
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        # Defences for untrusted database files (sqlite.org, "Defense Against The Dark
        # Arts"): the schema may not call functions or virtual tables, cells are
        # bounds-checked, and no memory map is used.
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        conn.execute("PRAGMA mmap_size = 0")
        version = _check_identity(conn)
        _check_integrity(conn)
        if _schema(conn) != _reference_schema(version):
            raise BackupRejectedError(
                "schema",
                f"the tables of this file differ from a session log of version {version} "
                "(extra or changed tables, indexes, views or triggers)",
            )
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        if str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower() != "delete":
            raise BackupRejectedError("damaged", "the file cannot leave WAL mode")
        conn.execute(f"PRAGMA page_size = {int(page_bytes)}")
        conn.execute("VACUUM")
        _check_integrity(conn)
    except (sqlite3.Error, UnicodeDecodeError) as err:
        # A damaged schema can make even SQLite's error message invalid UTF-8.
        raise BackupRejectedError(
            "damaged", f"SQLite reports the file as damaged: {err}"
        ) from err
    finally:
        conn.close()
    return _read_everything(work, version, size_bytes)


def _check_identity(conn: sqlite3.Connection) -> int:
    app_id = application_id(conn)
    version = file_schema_version(conn)
    if app_id != APPLICATION_ID:
        raise BackupRejectedError(
            "foreign", "this SQLite file belongs to another program, not to insole-monitor"
        )
    if version > SCHEMA_VERSION:
        raise BackupRejectedError(
            "too_new",
            f"the backup has schema version {version}, but this program knows only up to "
            f"{SCHEMA_VERSION}: update the program first",
        )
    if version < 1:
        raise BackupRejectedError("foreign", "the file has no session-log schema")
    return version


def _check_integrity(conn: sqlite3.Connection) -> None:
    result = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    if result != ["ok"]:
        raise BackupRejectedError(
            "damaged", f"the file fails SQLite's integrity check: {'; '.join(result[:3])}"
        )
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid = broken[0][0], broken[0][1]
        raise BackupRejectedError(
            "damaged",
            f"{len(broken)} rows point at rows that do not exist (first: {table} row {rowid})",
        )


def _read_everything(work: Path, version: int, size_bytes: int) -> BackupInfo:
    """Read every row through the real reader; any error means damaged content."""
    try:
        with SessionLog(work, read_only=True) as log:
            sessions = log.list_sessions()
            holds = 0
            for summary in sessions:
                holds += len(log.holds(summary.id))
                log.reps(summary.id)
                log.frames_array(summary.id)
            runners = log.list_runners()
            calibrations = _calibration_ids(work)
            for calibration_id in calibrations:
                # The monitor builds its calibration from the latest row at start-up.
                Calibration.from_dict(log.calibration(calibration_id))
            log.load_settings()
    except (InsoleError, sqlite3.Error, ValueError, TypeError, KeyError, OverflowError) as err:
        # The reader raises StorageError for damaged chunks and the builtins for values
        # of the wrong type or shape (a text where a number belongs, bad JSON, a bad date).
        raise BackupRejectedError(
            "content", f"the backup's content is damaged: {err}"
        ) from err
    finally:
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                work.with_name(work.name + suffix).unlink()
    started = sorted(s.started_at.isoformat() for s in sessions)
    return BackupInfo(
        schema_version=version,
        size_bytes=size_bytes,
        sessions=len(sessions),
        holds=holds,
        runners=len(runners),
        calibrations=len(calibrations),
        first_started_at=started[0] if started else None,
        last_started_at=started[-1] if started else None,
    )


def _calibration_ids(path: Path) -> list[int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [int(row[0]) for row in conn.execute("SELECT id FROM calibrations ORDER BY id")]
    finally:
        conn.close()
