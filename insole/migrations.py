"""Schema of the session log and the steps that bring an older file up to date.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA application_id`` marks
the file as a session log so that another program's SQLite file is never mistaken
for one. Each step in :data:`MIGRATIONS` turns version ``n - 1`` into ``n`` inside one
transaction, so a power cut during a migration leaves the old version intact.

Never edit a released step: add a new one. ``docs/storage.md`` describes the current
tables column by column.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

APPLICATION_ID = 0x494E534C
"""``PRAGMA application_id`` of a session log ("INSL")."""


@dataclass(frozen=True)
class Migration:
    """One schema step: running ``sql`` on version ``version - 1`` yields ``version``."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: sessions, holds, frame chunks, calibrations, settings",
        """
        CREATE TABLE calibrations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            label TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'interrupted')),
            exercise TEXT NOT NULL,
            foot TEXT NOT NULL,
            source TEXT NOT NULL,
            settings TEXT NOT NULL,
            calibration_id INTEGER REFERENCES calibrations (id) ON DELETE SET NULL
        );
        CREATE INDEX sessions_started ON sessions (started_at);
        CREATE TABLE holds (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            duration_s REAL NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('correct', 'short')),
            in_band_share REAL NOT NULL,
            mean_share_dev REAL NOT NULL,
            cop_rms_mm REAL NOT NULL,
            cop_path_mm_s REAL NOT NULL,
            min_share_heel REAL NOT NULL,
            min_share_little_toe REAL NOT NULL,
            min_share_big_toe REAL NOT NULL,
            wobbles INTEGER NOT NULL,
            score REAL NOT NULL
        );
        CREATE INDEX holds_session ON holds (session_id, start_s);
        CREATE TABLE frame_chunks (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            t0_s REAL NOT NULL,
            t1_s REAL NOT NULL,
            n INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        CREATE TABLE settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            data TEXT NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "sessions.meta: free-form JSON per session (e.g. unloaded baselines at start and end)",
        """
        ALTER TABLE sessions ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    Migration(
        3,
        "runners (several people on one device), sessions.runner_id, reps of the rep modes",
        """
        CREATE TABLE runners (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            name TEXT NOT NULL UNIQUE,
            foot TEXT NOT NULL,
            targets TEXT NOT NULL DEFAULT '{}',
            calibration_id INTEGER REFERENCES calibrations (id) ON DELETE SET NULL
        );
        ALTER TABLE sessions ADD COLUMN runner_id INTEGER
            REFERENCES runners (id) ON DELETE SET NULL;
        CREATE INDEX sessions_runner ON sessions (runner_id, started_at);
        CREATE TABLE reps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            duration_s REAL NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('correct', 'faulty')),
            score REAL NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX reps_session ON reps (session_id, start_s);
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this code writes."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's ``user_version`` (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def application_id(conn: sqlite3.Connection) -> int:
    """The file's ``application_id`` (0 when unset)."""
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> list[int]:
    """Apply every step above the file's version up to ``target``; return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each step runs in
    its own ``BEGIN IMMEDIATE`` transaction together with the version bump.
    """
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"target schema version must be 0..{SCHEMA_VERSION}, got {target}")
    applied = []
    for step in MIGRATIONS:
        if step.version <= schema_version(conn) or step.version > target:
            continue
        # executescript would COMMIT first; run the statements one by one instead so
        # the step and its version bump share one transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(step.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {step.version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(step.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (the scripts hold no ';' in literals)."""
    return [part.strip() for part in sql.split(";") if part.strip()]
