"""The session log's SQLite file: opening, identity checks, connections and errors.

:class:`SqliteFile` owns what is about the file rather than its content: the writer's
advisory lock, the single write connection (WAL, ``synchronous=FULL``, ``secure_delete``,
migrated to the current schema), a small pool of read connections, transactions, and the
conversion of ``sqlite3`` errors into the :class:`~insole.errors.StorageError` family.
:class:`insole.store.SessionLog` builds the session log on top of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from insole.errors import StorageError
from insole.migrations import APPLICATION_ID, SCHEMA_VERSION, application_id, migrate
from insole.migrations import schema_version as file_schema_version

_IDLE_READERS = 4
_BUSY_TIMEOUT_S = 10.0
_NO_PAGE_LIMIT = 4294967294
WAL_CHECKPOINT_PAGES = 100
"""Checkpoint the write-ahead log once it holds this many pages (400 KB; SQLite: 1000)."""
WAL_SIZE_LIMIT_BYTES = 512 * 1024
"""After a checkpoint the WAL file is truncated to at most this size."""


def make_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` (and its parents) if missing; a refusal is a :class:`StorageError`."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"cannot create the data directory {data_dir}: {err}") from err


class StorageFullError(StorageError):
    """The disk (or the configured size cap) is full; unwritten data is kept in memory."""


class SchemaTooNewError(StorageError):
    """The file was written by a newer version of this program; it was left unchanged."""


class SqliteFile:
    """One session-log file: a write connection and a pool of read connections.

    ``read_only`` opens without the writer lock and without changing the file (no WAL
    switch, no migration); :meth:`writer` then raises. Not thread-safe for writing by
    itself: the caller serialises use of :meth:`writer` and :meth:`transaction`.
    """

    def __init__(self, path: Path, *, read_only: bool, max_size_bytes: int | None) -> None:
        self.path = path
        self.read_only = read_only
        self._pool_lock = threading.Lock()
        self._idle_readers: list[sqlite3.Connection] = []
        self._closed = False
        self._lock_file: TextIO | None = None
        self._conn: sqlite3.Connection | None = None
        try:
            self._open_file(max_size_bytes)
        except BaseException:
            self.close()
            raise

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def _open_file(self, max_size_bytes: int | None) -> None:
        if self.read_only:
            if not self.path.exists():
                raise StorageError(f"{self.path}: no session log there to read")
        else:
            make_data_dir(self.path.parent)
            self._take_writer_lock()
        conn = self._connect()
        self._conn = conn
        with self.sql_errors("open"):
            self._check_identity(conn)
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self.path}: cannot switch to WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA secure_delete = ON")
            # Keep the write-ahead log small: by default it grows to 1000 pages (4 MB)
            # before a checkpoint and keeps that size, so on a nearly full card the WAL
            # alone ran out of space while the database had room (disk-full test).
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
            if max_size_bytes is not None:
                self._set_max_size(conn, max_size_bytes)
            migrate(conn)

    def _take_writer_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "a+", encoding="ascii")  # noqa: SIM115 (held until close)
        except OSError as err:
            raise StorageError(f"cannot create the lock file {lock_path}: {err}") from err
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            handle.close()
            raise StorageError(
                f"{self.path} is already open for writing by another program "
                "(open it with read_only=True to read alongside)"
            ) from err
        self._lock_file = handle

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as err:
            raise StorageError(f"cannot open the session log {self.path}: {err}") from err
        return conn

    def _check_identity(self, conn: sqlite3.Connection) -> None:
        version = file_schema_version(conn)
        app_id = application_id(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{self.path} has schema version {version}, but this program knows only up "
                f"to {SCHEMA_VERSION}; update the program (the file was left unchanged)"
            )
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
            if tables:
                raise StorageError(
                    f"{self.path} is an SQLite database of another program, not a session log"
                )
            if self.read_only:
                raise StorageError(f"{self.path} is an empty file, not a session log")
        elif app_id != APPLICATION_ID:
            raise StorageError(
                f"{self.path} is an SQLite database of another program, not a session log"
            )
        elif self.read_only and version < SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has the older schema version {version}; open it once for "
                f"writing to upgrade it to {SCHEMA_VERSION}"
            )

    @staticmethod
    def _set_max_size(conn: sqlite3.Connection, max_size_bytes: int) -> None:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        pages = max(1, max_size_bytes // page_size)
        conn.execute(f"PRAGMA max_page_count = {int(pages)}")

    def set_max_size(self, max_size_bytes: int | None) -> None:
        """Change the size cap (``None``: no cap beyond the disk itself)."""
        conn = self.writer()
        with self.sql_errors("set the size cap"):
            if max_size_bytes is None:
                conn.execute(f"PRAGMA max_page_count = {_NO_PAGE_LIMIT}")
            else:
                self._set_max_size(conn, max_size_bytes)

    def writer(self) -> sqlite3.Connection:
        """The write connection (``StorageError`` when closed or opened read-only)."""
        if self._closed or self._conn is None:
            raise StorageError(f"{self.path}: the session log is closed")
        if self.read_only:
            raise StorageError(f"{self.path} was opened read-only")
        return self._conn

    @contextlib.contextmanager
    def sql_errors(self, action: str) -> Iterator[None]:
        """Convert sqlite3 errors into the project's StorageError family."""
        try:
            yield
        except sqlite3.Error as err:
            raise self.convert(err, action) from err

    def convert(self, err: sqlite3.Error, action: str) -> StorageError:
        """The StorageError for ``err``; ``action`` completes "cannot ..." in the message."""
        code = getattr(err, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            return StorageFullError(
                f"{self.path}: the disk is full, so the session log cannot {action}; "
                "unwritten frames and holds are kept in memory and written when space returns"
            )
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StorageError(
                f"{self.path} is damaged or not an SQLite database ({err}); "
                "restore a backup or move the file away"
            )
        return StorageError(f"{self.path}: cannot {action}: {err}")

    @contextlib.contextmanager
    def transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction on the writer; rolled back on any error.

        On a full disk the write-ahead log is checkpointed and truncated after the rollback,
        so that the space it held is free for the retry.
        """
        conn = self.writer()
        try:
            with self._transaction(conn, action):
                yield conn
        except StorageFullError:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raise

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection, action: str) -> Iterator[None]:
        with self.sql_errors(action):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:
                # A failed COMMIT (e.g. disk full) may leave the transaction open.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """Borrow a read connection inside one read transaction (a consistent snapshot)."""
        if self._closed:
            raise StorageError(f"{self.path}: the session log is closed")
        with self._pool_lock:
            conn = self._idle_readers.pop() if self._idle_readers else None
        if conn is None:
            conn = self._connect()
            with self.sql_errors("open a reader"):
                conn.execute("PRAGMA query_only = ON")
        try:
            with self.sql_errors("read"):
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
        finally:
            with self._pool_lock:
                keep = not self._closed and len(self._idle_readers) < _IDLE_READERS
                if keep:
                    self._idle_readers.append(conn)
            if not keep:
                conn.close()

    def close_idle_readers(self) -> None:
        """Close the pooled read connections (before VACUUM or a restore)."""
        with self._pool_lock:
            readers, self._idle_readers = self._idle_readers, []
        for conn in readers:
            conn.close()

    def close(self) -> None:
        """Close every connection and release the writer lock (idempotent)."""
        self._closed = True
        self.close_idle_readers()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None


def open_backup(src: Path) -> sqlite3.Connection:
    """Open a backup file read-only and check it is a sound session log."""
    if not src.is_file():
        raise StorageError(f"{src}: no such backup file")
    try:
        conn = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise StorageError(f"cannot open the backup {src}: {err}") from err
    try:
        version = file_schema_version(conn)
        if application_id(conn) != APPLICATION_ID or version == 0:
            raise StorageError(f"{src} is not a session log backup")
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{src} has schema version {version}; this program knows only up to "
                f"{SCHEMA_VERSION}"
            )
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise StorageError(f"{src} fails the integrity check: {'; '.join(result[:3])}")
    except sqlite3.Error as err:
        conn.close()
        raise StorageError(f"{src} is damaged or not an SQLite database: {err}") from err
    except BaseException:
        conn.close()
        raise
    return conn
