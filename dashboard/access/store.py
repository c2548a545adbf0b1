"""Pairing codes, button windows and device tokens in ``access.sqlite3`` under the data dir.

The service and the ``insole-monitor pair`` command are separate processes, so they meet in a
small SQLite file of its own: one short transaction per operation on a fresh connection,
so any thread of either process may call and nothing is kept in process memory. The file
uses the rollback journal, not WAL: it is read on every request and written almost never,
and opening a WAL database costs about 0.6 ms per connection against 0.08 ms.

Tables (``schema_version`` 1):

| table | column | meaning |
|---|---|---|
| ``codes`` | ``id`` | always 1: at most one live code, a new one replaces the old |
| | ``code`` | six decimal digits (hashing would not protect 10^6 values; the file is 0600) |
| | ``created_wall_s``, ``created_mono_s`` | creation time on the wall and monotonic clocks |
| | ``ttl_s`` | lifetime in seconds |
| ``button_window`` | ``id`` | always 1: the open window opened by the device button |
| | ``opened_wall_s``, ``opened_mono_s``, ``window_s`` | when it opened, how long it stays open |
| ``devices`` | ``id`` | the device number shown in lists and used to revoke |
| | ``token_sha256`` | hex SHA-256 of the cookie token (the token itself is never stored) |
| | ``label`` | a short description of the browser (from its User-Agent) |
| | ``method`` | ``code`` or ``button`` |
| | ``created_wall_s``, ``expires_wall_s``, ``last_seen_wall_s`` | Unix seconds |

Short-lived grants (codes, button windows) must pass two clocks: the wall clock and the
system-wide monotonic clock (shared by all processes since boot). A clock jump or a reboot
makes one of the two checks fail, so the grant expires early rather than late.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from insole.errors import InsoleError, StorageError
from insole.sqlite_file import make_data_dir
from insole.store import DATA_DIR_ENV, SessionLog

DB_FILENAME = "access.sqlite3"
CODE_DIGITS = 6
DEFAULT_CODE_TTL_S = 300.0
DEFAULT_BUTTON_WINDOW_S = 60.0
DEFAULT_TOKEN_LIFETIME_S = 365 * 24 * 3600.0
LAST_SEEN_RESOLUTION_S = 300.0  # write last-seen at most this often: one write per request is waste
LABEL_MAX_CHARS = 120
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS codes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    code TEXT NOT NULL,
    created_wall_s REAL NOT NULL,
    created_mono_s REAL NOT NULL,
    ttl_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS button_window (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    opened_wall_s REAL NOT NULL,
    opened_mono_s REAL NOT NULL,
    window_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('code', 'button')),
    created_wall_s REAL NOT NULL,
    expires_wall_s REAL NOT NULL,
    last_seen_wall_s REAL NOT NULL
);
"""


class UnknownDeviceError(InsoleError, LookupError):
    """A device number names no paired device."""

    def __init__(self, device_id: int) -> None:
        super().__init__(
            f"no paired device has number {device_id}; `insole-monitor pair --list` shows them"
        )
        self.device_id = device_id


class Clock(Protocol):
    """Where the store reads time: the wall clock and the system-wide monotonic clock."""

    def wall_s(self) -> float:
        """Unix time in seconds."""

    def mono_s(self) -> float:
        """Monotonic seconds, comparable between processes of one boot."""


class SystemClock:
    """The real clocks."""

    def wall_s(self) -> float:
        """Unix time in seconds."""
        return time.time()

    def mono_s(self) -> float:
        """``time.monotonic()``: CLOCK_MONOTONIC on Linux, shared by every process."""
        return time.monotonic()


@dataclass(frozen=True)
class IssuedCode:
    """A fresh pairing code and when it stops working."""

    code: str
    ttl_s: float
    expires_wall_s: float


@dataclass(frozen=True)
class Device:
    """A paired browser (the token itself is not kept)."""

    id: int
    label: str
    method: str
    created_wall_s: float
    expires_wall_s: float
    last_seen_wall_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API and ``pair --list --json``."""
        return {
            "id": self.id,
            "label": self.label,
            "method": self.method,
            "created_wall_s": self.created_wall_s,
            "expires_wall_s": self.expires_wall_s,
            "last_seen_wall_s": self.last_seen_wall_s,
        }


@dataclass(frozen=True)
class IssuedToken:
    """A new token (shown once, to go into the cookie) and the device record it made."""

    token: str
    device: Device


def default_data_dir(config: Mapping[str, object] | None = None) -> Path:
    """The data dir: config ``INSOLE_DATA_DIR``, else the session log's (env, else the user's).

    The access file sits next to the session log, so both follow one rule.
    """
    configured = (config or {}).get(DATA_DIR_ENV)
    if configured:
        return Path(str(configured))
    return SessionLog.default_path().parent


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: enough for 256-bit random tokens (no slow hash needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fresh(created_wall_s: float, created_mono_s: float, ttl_s: float, clock: Clock) -> bool:
    """Both clocks agree the grant is younger than its lifetime (see the module docstring)."""
    age_wall_s = clock.wall_s() - created_wall_s
    age_mono_s = clock.mono_s() - created_mono_s
    return 0.0 <= age_wall_s <= ttl_s and 0.0 <= age_mono_s <= ttl_s


class AccessStore:
    """The access database: one file, shared by the service and the ``pair`` command."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock: Clock = clock if clock is not None else SystemClock()
        make_data_dir(self.path.parent)
        self._create()

    @classmethod
    def in_data_dir(
        cls, data_dir: Path | None = None, *, clock: Clock | None = None
    ) -> AccessStore:
        """The store in ``data_dir`` (default: :func:`default_data_dir`)."""
        directory = data_dir if data_dir is not None else default_data_dir()
        return cls(directory / DB_FILENAME, clock=clock)

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        except sqlite3.Error as err:
            raise StorageError(f"cannot open the access database {self.path}: {err}") from err

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads only (each statement is its own consistent snapshot)."""
        conn = self._connect()
        try:
            yield conn
        except sqlite3.Error as err:
            raise StorageError(f"access database {self.path}: {err}") from err
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (BEGIN IMMEDIATE: no lost updates between processes)."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            raise StorageError(f"access database {self.path}: {err}") from err
        finally:
            conn.close()

    def _create(self) -> None:
        # The file holds the live code and the token hashes: owner-only from the start.
        with contextlib.suppress(FileExistsError):
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as err:
            raise StorageError(f"cannot set up the access database {self.path}: {err}") from err
        finally:
            conn.close()

    # ------------------------------------------------------------------ codes
    def new_code(self, ttl_s: float = DEFAULT_CODE_TTL_S) -> IssuedCode:
        """A fresh six-digit code; it replaces any earlier one (one live code at a time)."""
        if not 0 < ttl_s <= 3600:
            raise ValueError(f"ttl_s must be in (0, 3600] seconds, not {ttl_s}")
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        wall_s, mono_s = self.clock.wall_s(), self.clock.mono_s()
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO codes VALUES (1, ?, ?, ?, ?)", (code, wall_s, mono_s, ttl_s)
            )
        return IssuedCode(code=code, ttl_s=ttl_s, expires_wall_s=wall_s + ttl_s)

    def redeem_code(self, candidate: str) -> bool:
        """Whether ``candidate`` is the live code; a match uses it up (single use).

        The comparison runs in constant time; an expired code is deleted when seen.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT code, created_wall_s, created_mono_s, ttl_s FROM codes WHERE id = 1"
            ).fetchone()
            if row is None:
                return False
            code, wall_s, mono_s, ttl_s = row
            if not _fresh(wall_s, mono_s, ttl_s, self.clock):
                conn.execute("DELETE FROM codes WHERE id = 1")
                return False
            if not hmac.compare_digest(str(code).encode(), candidate.encode()):
                return False
            conn.execute("DELETE FROM codes WHERE id = 1")
            return True

    # ------------------------------------------------------------------ button
    def open_button_window(self, window_s: float = DEFAULT_BUTTON_WINDOW_S) -> float:
        """Open (or restart) the button window; returns its length in seconds."""
        if not 0 < window_s <= 600:
            raise ValueError(f"window_s must be in (0, 600] seconds, not {window_s}")
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO button_window VALUES (1, ?, ?, ?)",
                (self.clock.wall_s(), self.clock.mono_s(), window_s),
            )
        return window_s

    def button_window_open(self) -> bool:
        """Whether a button window is open right now (for the pairing page)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT opened_wall_s, opened_mono_s, window_s FROM button_window WHERE id = 1"
            ).fetchone()
        return row is not None and _fresh(row[0], row[1], row[2], self.clock)

    def redeem_button(self) -> bool:
        """Whether a button window is open; the first caller closes it (one browser per press)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT opened_wall_s, opened_mono_s, window_s FROM button_window WHERE id = 1"
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM button_window WHERE id = 1")
            return _fresh(row[0], row[1], row[2], self.clock)

    # ------------------------------------------------------------------ devices
    def issue_token(
        self, label: str, method: str, lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S
    ) -> IssuedToken:
        """Pair a browser: a new random token; only its hash is stored."""
        if method not in ("code", "button"):
            raise ValueError(f"method must be 'code' or 'button', not {method!r}")
        token = secrets.token_urlsafe(32)
        now_s = self.clock.wall_s()
        clean_label = " ".join(label.split())[:LABEL_MAX_CHARS] or "unknown browser"
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO devices (token_sha256, label, method, created_wall_s,"
                " expires_wall_s, last_seen_wall_s) VALUES (?, ?, ?, ?, ?, ?)",
                (hash_token(token), clean_label, method, now_s, now_s + lifetime_s, now_s),
            )
            device_id = cursor.lastrowid
        assert device_id is not None  # an INSERT into a rowid table always sets it
        device = Device(device_id, clean_label, method, now_s, now_s + lifetime_s, now_s)
        return IssuedToken(token=token, device=device)

    def check_token(self, token: str) -> Device | None:
        """The device a token belongs to, or None (unknown, revoked or expired).

        The lookup is by the token's hash: timing can at most reveal a prefix of a hash,
        which does not help to forge a token.
        """
        if not token:
            return None
        now_s = self.clock.wall_s()
        # Read first (every request does this); write only in the rare cases that need it.
        with self._reading() as conn:
            row = conn.execute(
                "SELECT id, label, method, created_wall_s, expires_wall_s, last_seen_wall_s"
                " FROM devices WHERE token_sha256 = ?",
                (hash_token(token),),
            ).fetchone()
        if row is None:
            return None
        device = Device(*row)
        if now_s > device.expires_wall_s:
            with self._transaction() as conn:
                conn.execute(
                    "DELETE FROM devices WHERE id = ? AND expires_wall_s < ?", (device.id, now_s)
                )
            return None
        if abs(now_s - device.last_seen_wall_s) >= LAST_SEEN_RESOLUTION_S:
            with self._transaction() as conn:
                conn.execute(
                    "UPDATE devices SET last_seen_wall_s = ? WHERE id = ?", (now_s, device.id)
                )
        return device

    def devices(self) -> list[Device]:
        """Every paired device that has not expired, oldest first."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM devices WHERE expires_wall_s < ?", (self.clock.wall_s(),))
            rows = conn.execute(
                "SELECT id, label, method, created_wall_s, expires_wall_s, last_seen_wall_s"
                " FROM devices ORDER BY id"
            ).fetchall()
        return [Device(*row) for row in rows]

    def is_paired(self, device_id: int) -> bool:
        """Whether a device is still paired (not revoked, not expired)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT expires_wall_s FROM devices WHERE id = ?", (device_id,)
            ).fetchone()
        return row is not None and self.clock.wall_s() <= row[0]

    def revoke(self, device_id: int) -> None:
        """Forget a device: its token stops working on its next request."""
        with self._transaction() as conn:
            cursor = conn.execute("DELETE FROM devices WHERE id = ?", (device_id,))
            if cursor.rowcount == 0:
                raise UnknownDeviceError(device_id)
