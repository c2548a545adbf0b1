"""The session log: sessions, holds, raw frames, calibrations and settings in SQLite.

One file (default ``sessions.sqlite3`` in the user's data directory, or in
``$INSOLE_DATA_DIR``) in WAL mode. The format is documented table by table in
``docs/storage.md``; the schema and its migrations live in :mod:`insole.migrations`,
frames are packed into chunks by :mod:`insole.frame_codec`, and the file itself (locks,
connections, error conversion) is handled by :mod:`insole.sqlite_file`.

Durability. Every write is its own transaction and ``synchronous=FULL`` is used: in
WAL mode ``NORMAL`` survives a killed process but may lose the last commits on a
power cut (the WAL is only synced at checkpoints), whereas ``FULL`` syncs the WAL at
every commit, so a hold that :meth:`SessionLog.add_hold` returned from is on disk even
if the power goes a moment later. The cost is one fsync per commit, and commits
happen about twice a second (a frame chunk) plus once per hold. Frames are buffered
and written as a chunk once half a second of them has gathered, so a crash loses at
most about the last half second of frames (the monitor hands frames over every 0.1 s,
so with it a kill loses well under a second; ``tests/reliability/test_power_cut.py``).

Threads. One connection writes, guarded by a lock (the sampler or monitor thread
calls the write methods; any thread may). Reads use a small pool of separate
connections, so web request threads read while the writer writes (WAL lets readers
see the last committed state without blocking it). A second process may open the
same file with ``read_only=True``; only one process may open it for writing (an
advisory lock on ``<file>.lock`` ensures it).

Disk full. When SQLite reports the disk (or the ``max_size_bytes`` cap) full, the
transaction is rolled back (nothing already written is touched), the unwritten frames
and holds stay in memory -- frames up to :data:`MAX_PENDING_S` seconds per session,
older ones are dropped and counted -- and :class:`StorageFullError` is raised. Later
appends retry after 1, 2, 4 ... at most 30 s of new frames, as do the next hold and an
explicit :meth:`SessionLog.flush`, so logging resumes by itself when space returns.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from insole import frame_codec
from insole.errors import InsoleError, StorageError
from insole.frame_codec import FloatArray, FrameRangeError, IntArray
from insole.frames import Frame
from insole.migrations import migrate
from insole.records import HOLD_FIELDS, OUTCOMES, Hold
from insole.sqlite_file import SchemaTooNewError, SqliteFile, StorageFullError, open_backup

__all__ = [
    "CalibrationNotFoundError",
    "FrameRangeError",
    "LogInputError",
    "RunnerNotFoundError",
    "SchemaTooNewError",
    "SessionLog",
    "SessionNotFoundError",
    "SessionSummary",
    "StorageError",
    "StorageFullError",
]

DATA_DIR_ENV = "INSOLE_DATA_DIR"
"""Environment variable naming the data directory (overrides the platform default)."""
DB_FILENAME = "sessions.sqlite3"

CHUNK_S = 0.5
"""Frames are written as a chunk once this much time has been buffered.

Half a second, not one: with the monitor's 0.1 s hand-over and the commit's fsync on top,
one-second chunks let a SIGKILL lose up to 1.13 s of frames (power-cut test), more than
the promised last second."""
MAX_CHUNK_FRAMES = 6000
"""Largest chunk written (a long backlog after a full disk is split into such chunks)."""
COMPACT_S = 60.0
"""Every minute, the half-second chunks just written are merged into one (smaller file)."""
MAX_PENDING_S = 600.0
"""While the disk is full, at most this many seconds of frames per session wait in memory."""
MAX_ROW_ID = 2**63 - 1
"""SQLite's largest integer: a session, runner or calibration id beyond it cannot exist
(and SQLite raises ``OverflowError`` if asked for one)."""
SESSION_STATUSES = ("open", "completed", "interrupted")
END_STATUSES = ("completed", "interrupted")

_CHUNK_TICKS = round(CHUNK_S / frame_codec.TIME_STEP_S)
_COMPACT_TICKS = round(COMPACT_S / frame_codec.TIME_STEP_S)
_MAX_PENDING_TICKS = round(MAX_PENDING_S / frame_codec.TIME_STEP_S)
# Trim the backlog only once it is 10 s over the limit, not on every append.
_TRIM_AT_TICKS = _MAX_PENDING_TICKS + round(10.0 / frame_codec.TIME_STEP_S)
_MAX_RETRY_TICKS = round(30.0 / frame_codec.TIME_STEP_S)
_MAX_PENDING_HOLDS = 1000


class LogInputError(InsoleError, ValueError):
    """An argument cannot be logged (naive datetime, unknown status, not JSON, wrong state)."""


class _NotFoundError(InsoleError, KeyError):
    def __str__(self) -> str:
        # KeyError would quote the message; show it as written.
        return str(self.args[0]) if self.args else ""


class SessionNotFoundError(_NotFoundError):
    """No session has the given id."""


class CalibrationNotFoundError(_NotFoundError):
    """No calibration has the given id."""


class RunnerNotFoundError(_NotFoundError):
    """No runner has the given id."""


@dataclass(frozen=True)
class SessionSummary:
    """One session with its hold counts (what the review list and the trend view show).

    ``duration_s`` is ``ended_at - started_at`` (``None`` while the session is open;
    for an interrupted session ``ended_at`` is estimated from its last logged frame or
    hold). ``mean_score`` is ``None`` when the session has no holds.
    """

    id: int
    started_at: datetime
    ended_at: datetime | None
    status: str
    exercise: str
    foot: str
    source: str
    correct: int
    attempted: int
    mean_score: float | None
    duration_s: float | None
    calibration_id: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    runner_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (datetimes as ISO 8601 UTC text)."""
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "status": self.status,
            "exercise": self.exercise,
            "foot": self.foot,
            "source": self.source,
            "correct": self.correct,
            "attempted": self.attempted,
            "mean_score": self.mean_score,
            "duration_s": self.duration_s,
            "calibration_id": self.calibration_id,
            "settings": self.settings,
            "meta": self.meta,
            "runner_id": self.runner_id,
        }


@dataclass
class _OpenSession:
    """Write-side state of a session started by this log and not yet ended."""

    next_seq: int = 0
    pending: list[IntArray] = field(default_factory=list)  # quantised frames not yet written
    window_start_tick: int | None = None  # first frame buffered since the last write attempt
    frames_since_attempt: int = 0
    retry_ticks: int = _CHUNK_TICKS  # grows while the disk stays full (see _flush_locked)
    pending_holds: list[Hold] = field(default_factory=list)
    dropped_frames: int = 0
    # Frames written as half-second chunks since the last compaction (see _compact).
    recent: list[IntArray] = field(default_factory=list)
    recent_first_seq: int | None = None
    recent_chunks: int = 0


# Counts and mean score cover the holds and the reps (rep modes) of a session.
_REPS_OF = "(SELECT {} FROM reps AS r WHERE r.session_id = s.id{})"
_SUMMARY_SQL = f"""
    SELECT s.id, s.started_at, s.ended_at, s.status, s.exercise, s.foot, s.source,
           s.calibration_id, s.settings, s.meta, s.runner_id,
           COALESCE(SUM(h.outcome = 'correct'), 0)
               + {_REPS_OF.format("COUNT(*)", " AND r.outcome = 'correct'")},
           COUNT(h.id) + {_REPS_OF.format("COUNT(*)", "")},
           (COALESCE(SUM(h.score), 0) + {_REPS_OF.format("COALESCE(SUM(r.score), 0)", "")})
               / NULLIF(COUNT(h.id) + {_REPS_OF.format("COUNT(*)", "")}, 0)
    FROM sessions AS s LEFT JOIN holds AS h ON h.session_id = s.id
"""
_HOLD_COLUMNS = ", ".join(HOLD_FIELDS)
_INSERT_HOLD_SQL = (
    f"INSERT INTO holds (session_id, {_HOLD_COLUMNS}) "
    f"VALUES (?, {', '.join('?' for _ in HOLD_FIELDS)})"
)


class SessionLog:
    """The SQLite session log (see the module docstring for durability and threads).

    ``max_size_bytes`` caps the database file (SQLite's ``max_page_count``); reaching
    it behaves exactly like a full disk. ``read_only`` opens without taking the
    writer lock, migrating or marking sessions interrupted; write methods then raise
    :class:`StorageError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        max_size_bytes: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()  # serialises every write and the buffers
        self._open: dict[int, _OpenSession] = {}
        self._write_error: StorageError | None = None
        self._file = SqliteFile(self.path, read_only=read_only, max_size_bytes=max_size_bytes)
        if not read_only:
            try:
                self.mark_interrupted()
            except StorageFullError as err:
                # Still usable for reading and for later writes once space returns;
                # the old sessions are marked at the next opening.
                self._write_error = err
            except BaseException:
                self._file.close()
                raise

    @staticmethod
    def default_path() -> Path:
        """``$INSOLE_DATA_DIR/sessions.sqlite3``, else the user's data dir for insole-monitor."""
        configured = os.environ.get(DATA_DIR_ENV)
        directory = (
            Path(configured) if configured else Path(platformdirs.user_data_dir("insole-monitor"))
        )
        return directory / DB_FILENAME

    def set_max_size(self, max_size_bytes: int | None) -> None:
        """Change the size cap (``None``: no cap beyond the disk itself)."""
        with self._lock:
            self._file.set_max_size(max_size_bytes)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Write buffered frames and holds, then close the file (idempotent).

        If the final write fails (e.g. disk full) the file is still closed and the
        error is raised afterwards, so the loss is never silent.
        """
        with self._lock:
            if self._file.closed:
                return
            failure: StorageError | None = None
            if not self.read_only:
                try:
                    self._flush_locked()
                except StorageError as err:
                    failure = err
            self._file.close()
        if failure is not None:
            raise failure

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._file.closed

    # ------------------------------------------------------------------ sessions
    def start_session(
        self,
        *,
        started_at: datetime,
        exercise: str,
        foot: str,
        source: str,
        settings: dict[str, Any],
        calibration_id: int | None = None,
        runner_id: int | None = None,
    ) -> int:
        """Create an open session and return its id (committed at once)."""
        started = _utc_text(started_at, "started_at")
        settings_json = _to_json(settings, "settings")
        for name, value in (("exercise", exercise), ("foot", foot), ("source", source)):
            if not isinstance(value, str) or not value:
                raise LogInputError(f"{name} must be a non-empty string, got {value!r}")
        with self._lock, self._file.transaction("start a session") as conn:
            if (
                calibration_id is not None
                and not conn.execute(
                    "SELECT 1 FROM calibrations WHERE id = ?", (calibration_id,)
                ).fetchone()
            ):
                raise CalibrationNotFoundError(f"no calibration with id {calibration_id}")
            if runner_id is not None:
                _require_runner(conn, runner_id)
            cursor = conn.execute(
                "INSERT INTO sessions (started_at, status, exercise, foot, source, settings,"
                " calibration_id, runner_id) VALUES (?, 'open', ?, ?, ?, ?, ?, ?)",
                (started, exercise, foot, source, settings_json, calibration_id, runner_id),
            )
            session_id = int(cursor.lastrowid or 0)
            self._open[session_id] = _OpenSession()
        return session_id

    def end_session(self, session_id: int, ended_at: datetime, status: str = "completed") -> None:
        """Write the session's buffered frames and holds, then close it with ``status``."""
        if status not in END_STATUSES:
            raise LogInputError(f"status must be one of {', '.join(END_STATUSES)}, got {status!r}")
        ended = _utc_text(ended_at, "ended_at")
        with self._lock:
            state = self._open_state(session_id)
            self._flush_locked()
            self._compact(session_id, state)
            with self._file.transaction("end a session") as conn:
                conn.execute(
                    "UPDATE sessions SET ended_at = ?, status = ? WHERE id = ?",
                    (ended, status, session_id),
                )
            del self._open[session_id]

    def set_session_meta(self, session_id: int, key: str, value: Any) -> None:
        """Set ``meta[key] = value`` on a session (any JSON value, e.g. unloaded baselines)."""
        if not isinstance(key, str) or not key:
            raise LogInputError(f"meta key must be a non-empty string, got {key!r}")
        _to_json(value, f"meta value for {key!r}")
        with self._lock, self._file.transaction("update session meta") as conn:
            row = conn.execute("SELECT meta FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise SessionNotFoundError(f"no session with id {session_id}")
            meta = json.loads(row[0])
            meta[key] = value
            conn.execute(
                "UPDATE sessions SET meta = ? WHERE id = ?", (_to_json(meta, "meta"), session_id)
            )

    def mark_interrupted(self) -> list[int]:
        """Mark sessions left ``open`` by an earlier run as ``interrupted``; return their ids.

        Called when the log is opened for writing. Sessions this log started itself are
        left alone. ``ended_at`` is estimated as ``started_at`` plus the time span of the
        session's logged frames and holds (left empty when nothing was logged).
        """
        with self._lock, self._file.transaction("mark interrupted sessions") as conn:
            rows = conn.execute(
                "SELECT id, started_at FROM sessions WHERE status = 'open'"
            ).fetchall()
            marked = []
            for session_id, started_at in rows:
                if session_id in self._open:
                    continue
                span_s = _logged_span_s(conn, session_id)
                ended = None
                if span_s is not None:
                    ended = _utc_text(
                        datetime.fromisoformat(started_at) + timedelta(seconds=span_s), "ended_at"
                    )
                conn.execute(
                    "UPDATE sessions SET status = 'interrupted', ended_at = ? WHERE id = ?",
                    (ended, session_id),
                )
                marked.append(int(session_id))
        return marked

    def delete_session(self, session_id: int) -> None:
        """Delete a session with its holds and frames (deleted pages are zeroed)."""
        with self._lock:
            with self._file.transaction("delete a session") as conn:
                cursor = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
                if cursor.rowcount == 0:
                    raise SessionNotFoundError(f"no session with id {session_id}")
            self._open.pop(session_id, None)

    def list_sessions(self) -> list[SessionSummary]:
        """Every session, newest first, with hold counts and mean score."""
        with self._file.reader() as conn:
            rows = conn.execute(
                _SUMMARY_SQL + " GROUP BY s.id ORDER BY s.started_at DESC, s.id DESC"
            ).fetchall()
        return [_summary(row) for row in rows]

    def trends(
        self, exercise: str | None = None, runner_id: int | None = None
    ) -> list[SessionSummary]:
        """Sessions oldest first (optionally of one exercise and/or one runner)."""
        clauses = []
        params: list[Any] = []
        if exercise is not None:
            clauses.append("s.exercise = ?")
            params.append(exercise)
        if runner_id is not None:
            clauses.append("s.runner_id = ?")
            params.append(runner_id)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        with self._file.reader() as conn:
            rows = conn.execute(
                _SUMMARY_SQL + where + " GROUP BY s.id ORDER BY s.started_at, s.id", params
            ).fetchall()
        return [_summary(row) for row in rows]

    def get_session(self, session_id: int) -> SessionSummary:
        """One session's summary; :class:`SessionNotFoundError` if there is none."""
        with self._file.reader() as conn:
            row = conn.execute(
                _SUMMARY_SQL + " WHERE s.id = ? GROUP BY s.id", (session_id,)
            ).fetchone()
        if row is None:
            raise SessionNotFoundError(f"no session with id {session_id}")
        return _summary(row)

    # ------------------------------------------------------------------ frames and holds
    def append_frames(self, session_id: int, frames: Sequence[Frame] | FloatArray) -> None:
        """Buffer frames of an open session; a chunk is written once CHUNK_S has gathered.

        Frames are validated first (see :mod:`insole.frame_codec` for the accepted
        range): a bad batch raises :class:`~insole.frame_codec.FrameRangeError` and is
        not buffered. Raises :class:`StorageFullError` when the write of a full chunk
        fails for lack of space; the frames stay buffered and are retried.
        """
        steps = frame_codec.quantise(frame_codec.as_frame_array(frames))
        if steps.shape[0] == 0:
            return
        with self._lock:
            state = self._open_state(session_id)
            state.pending.append(steps)
            if state.window_start_tick is None:
                state.window_start_tick = int(steps[0, 0])
            state.frames_since_attempt += steps.shape[0]
            if int(state.pending[0][0, 0]) < int(steps[-1, 0]) - _TRIM_AT_TICKS:
                _trim_pending(state)  # the disk has been full for a long while
            window_ticks = abs(int(steps[-1, 0]) - state.window_start_tick)
            if window_ticks >= state.retry_ticks or state.frames_since_attempt >= MAX_CHUNK_FRAMES:
                self._flush_locked()

    def flush(self) -> None:
        """Write every buffered frame and hold now (raises :class:`StorageFullError`)."""
        with self._lock:
            if not self.read_only:
                self._flush_locked()

    def add_hold(self, session_id: int, hold: Hold) -> int:
        """Log a finished hold, writing buffered frames with it; committed before returning.

        Returns the hold's row id. On a full disk the hold stays buffered (and is
        written by a later flush) and :class:`StorageFullError` is raised.
        """
        _check_hold(hold)
        with self._lock:
            state = self._open_state(session_id)
            if len(state.pending_holds) >= _MAX_PENDING_HOLDS:
                raise StorageFullError(
                    f"{self.path}: {_MAX_PENDING_HOLDS} holds are already waiting for disk space"
                )
            state.pending_holds.append(hold)
            written = self._flush_locked()
        # Holds left over from a full disk may be written in the same go: pick ours.
        return next(row_id for logged, row_id in written if logged is hold)

    def holds(self, session_id: int) -> list[Hold]:
        """The session's holds in time order."""
        with self._file.reader() as conn:
            _require_session(conn, session_id)
            rows = conn.execute(
                f"SELECT {_HOLD_COLUMNS} FROM holds WHERE session_id = ? ORDER BY start_s, id",
                (session_id,),
            ).fetchall()
        return [Hold(*row) for row in rows]

    def frames_array(
        self, session_id: int, *, start_s: float | None = None, end_s: float | None = None
    ) -> FloatArray:
        """The session's frames as a float64 ``(n, 4)`` array, optionally limited in time.

        Columns: ``t_s, heel_n, little_toe_n, big_toe_n``; ``start_s``/``end_s`` keep
        ``start_s <= t_s <= end_s``. Frames still buffered in memory are included, so a
        live session reads complete. Values come back at the stored resolution.
        """
        with self._lock:
            state = self._open.get(session_id)
            if state is None:
                seq_limit = None
                buffered = np.empty((0, 4), dtype=np.int64)
            else:
                # Chunks written after this point have seq >= next_seq and their frames
                # are in this copy of the buffer, so nothing is missed or doubled.
                seq_limit = state.next_seq
                buffered = _concat(state.pending)
        sql = "SELECT data FROM frame_chunks WHERE session_id = ?"
        params: list[Any] = [session_id]
        if seq_limit is not None:
            sql += " AND seq < ?"
            params.append(seq_limit)
        if start_s is not None:
            sql += " AND t1_s >= ?"
            params.append(start_s)
        if end_s is not None:
            sql += " AND t0_s <= ?"
            params.append(end_s)
        with self._file.reader() as conn:
            _require_session(conn, session_id)
            blobs = [row[0] for row in conn.execute(sql + " ORDER BY seq", params)]
        try:
            parts = [frame_codec.decode(blob) for blob in blobs]
        except frame_codec.ChunkFormatError as err:
            raise StorageError(
                f"{self.path}: a frame chunk of session {session_id} is damaged: {err}"
            ) from err
        if buffered.shape[0]:
            parts.append(frame_codec.steps_to_frames(buffered))
        frames = np.concatenate(parts) if parts else np.empty((0, 4), dtype=np.float64)
        if start_s is not None:
            frames = frames[frames[:, 0] >= start_s]
        if end_s is not None:
            frames = frames[frames[:, 0] <= end_s]
        return frames

    def frames(
        self, session_id: int, *, start_s: float | None = None, end_s: float | None = None
    ) -> list[Frame]:
        """The session's frames as :class:`~insole.frames.Frame` records (as frames_array)."""
        array = self.frames_array(session_id, start_s=start_s, end_s=end_s)
        return [Frame(*row) for row in array.tolist()]

    @property
    def pending_frame_count(self) -> int:
        """Frames buffered in memory, not yet written (grows while the disk is full)."""
        with self._lock:
            return sum(sum(p.shape[0] for p in s.pending) for s in self._open.values())

    @property
    def write_error(self) -> StorageError | None:
        """The error of the last failed write while it persists (``None`` once writing works).

        A status banner can show it: while set, frames and holds wait in memory.
        """
        with self._lock:
            return self._write_error

    @property
    def dropped_frame_count(self) -> int:
        """Frames discarded because the disk stayed full longer than ``MAX_PENDING_S``."""
        with self._lock:
            return sum(s.dropped_frames for s in self._open.values())

    def _open_state(self, session_id: int) -> _OpenSession:
        self._file.writer()
        state = self._open.get(session_id)
        if state is not None:
            return state
        with self._file.reader() as conn:
            row = conn.execute("SELECT status FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFoundError(f"no session with id {session_id}")
        raise LogInputError(
            f"session {session_id} is {row[0]}; frames and holds can only be added to a "
            "session started by this log and not yet ended"
        )

    def _flush_locked(self) -> list[tuple[Hold, int]]:
        """Write all buffered frames and holds in one transaction; return (hold, row id)s."""
        work = []
        for session_id, state in self._open.items():
            if not state.pending and not state.pending_holds:
                continue
            steps = _concat(state.pending)
            state.pending = [steps] if steps.shape[0] else []
            work.append((session_id, state, steps))
        if not work:
            return []
        hold_ids: list[tuple[Hold, int]] = []
        written: list[tuple[int, _OpenSession, IntArray, int]] = []
        try:
            with self._file.transaction("write frames and holds") as conn:
                for session_id, state, steps in work:
                    count = _insert_chunks(conn, session_id, state.next_seq, steps)
                    written.append((session_id, state, steps, count))
                    for hold in state.pending_holds:
                        cursor = conn.execute(
                            _INSERT_HOLD_SQL,
                            (session_id, *(getattr(hold, name) for name in HOLD_FIELDS)),
                        )
                        hold_ids.append((hold, int(cursor.lastrowid or 0)))
        except StorageError as err:
            self._write_error = err
            for _, state, _ in work:
                state.window_start_tick = None
                state.frames_since_attempt = 0
                # Each retry encodes the whole backlog: back off (1, 2, 4 ... 30 s of
                # frames) so a long-full disk does not eat a slow Pi's CPU.
                state.retry_ticks = min(2 * state.retry_ticks, _MAX_RETRY_TICKS)
                _trim_pending(state)
            raise
        self._write_error = None
        for session_id, state, steps, count in written:
            if count:
                if state.recent_first_seq is None:
                    state.recent_first_seq = state.next_seq
                state.recent.append(steps)
                state.recent_chunks += count
            state.next_seq += count
            state.pending = []
            state.pending_holds = []
            state.window_start_tick = None
            state.frames_since_attempt = 0
            state.retry_ticks = _CHUNK_TICKS
            recent_frames = sum(part.shape[0] for part in state.recent)
            span = int(state.recent[-1][-1, 0]) - int(state.recent[0][0, 0]) if count else 0
            if recent_frames >= MAX_CHUNK_FRAMES or span >= _COMPACT_TICKS:
                self._compact(session_id, state)
        return hold_ids

    def _compact(self, session_id: int, state: _OpenSession) -> None:
        """Replace the session's recent half-second chunks by one big chunk.

        One-second chunks bound what a crash can lose, but each costs a header and a
        row; merging a minute of them into one chunk (same frames, atomically) cuts the
        file by about a fifth. A failure (e.g. disk full) only leaves the small chunks
        in place: the data is already safe, so it is not reported.
        """
        first_seq, parts, chunks = state.recent_first_seq, state.recent, state.recent_chunks
        state.recent, state.recent_first_seq, state.recent_chunks = [], None, 0
        steps = _concat(parts)
        if first_seq is None or chunks <= -(-steps.shape[0] // MAX_CHUNK_FRAMES):
            return  # already as few chunks as possible
        with contextlib.suppress(StorageError), self._file.transaction("compact frames") as conn:
            conn.execute(
                "DELETE FROM frame_chunks WHERE session_id = ? AND seq >= ? AND seq < ?",
                (session_id, first_seq, first_seq + chunks),
            )
            # Never more chunks than were replaced: each replaced one held <= MAX frames.
            _insert_chunks(conn, session_id, first_seq, steps)

    def add_rep(self, session_id: int, rep: dict[str, Any]) -> int:
        """Log a finished rep (``insole.exercises.Rep.to_dict()``); committed at once.

        Unlike holds, a rep is not kept in memory when the disk is full: the caller gets
        :class:`StorageFullError` and still holds the record.
        """
        if not isinstance(rep, dict):
            raise LogInputError(f"rep must be a dict (Rep.to_dict()), got {type(rep).__name__}")
        try:
            values = [float(rep[k]) for k in ("start_s", "end_s", "duration_s", "score")]
        except (KeyError, TypeError, ValueError) as err:
            raise LogInputError(
                f"rep needs numeric start_s, end_s, duration_s and score: {err}"
            ) from err
        if not all(math.isfinite(v) for v in values):
            raise LogInputError(f"rep figures must be finite, got {values}")
        outcome = rep.get("outcome")
        if outcome not in ("correct", "faulty"):
            raise LogInputError(f"rep outcome must be one of correct, faulty, got {outcome!r}")
        data = _to_json(rep, "rep")
        with self._lock, self._file.transaction("log a rep") as conn:
            _require_session(conn, session_id)
            cursor = conn.execute(
                "INSERT INTO reps (session_id, start_s, end_s, duration_s, outcome, score, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, *values[:3], outcome, values[3], data),
            )
            return int(cursor.lastrowid or 0)

    def reps(self, session_id: int) -> list[dict[str, Any]]:
        """The session's reps in time order (the dictionaries given to :meth:`add_rep`)."""
        with self._file.reader() as conn:
            _require_session(conn, session_id)
            rows = conn.execute(
                "SELECT data FROM reps WHERE session_id = ? ORDER BY start_s, id", (session_id,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # ------------------------------------------------------------------ runners
    def add_runner(
        self,
        *,
        name: str,
        foot: str,
        created_at: datetime,
        targets: dict[str, Any] | None = None,
        calibration_id: int | None = None,
    ) -> int:
        """Store a runner profile and return its id (names are unique).

        The store checks only types and references; ``insole.runners`` validates the
        profile (foot, targets) before it gets here.
        """
        created = _utc_text(created_at, "created_at")
        targets_json = _to_json(targets or {}, "targets")
        if not isinstance(name, str) or not name.strip():
            raise LogInputError(f"runner name must be a non-empty string, got {name!r}")
        with self._lock, self._file.transaction("add a runner") as conn:
            _require_calibration(conn, calibration_id)
            if conn.execute("SELECT 1 FROM runners WHERE name = ?", (name,)).fetchone():
                raise LogInputError(f"a runner named {name!r} exists already")
            cursor = conn.execute(
                "INSERT INTO runners (created_at, name, foot, targets, calibration_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (created, name, foot, targets_json, calibration_id),
            )
            return int(cursor.lastrowid or 0)

    def update_runner(self, runner_id: int, **changes: Any) -> None:
        """Change a runner's ``name``, ``foot``, ``targets`` or ``calibration_id``."""
        allowed = ("name", "foot", "targets", "calibration_id")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise LogInputError(
                f"unknown runner field {unknown[0]!r}; allowed: {', '.join(allowed)}"
            )
        if "targets" in changes:
            changes["targets"] = _to_json(changes["targets"], "targets")
        with self._lock, self._file.transaction("update a runner") as conn:
            _require_runner(conn, runner_id)
            if "calibration_id" in changes:
                _require_calibration(conn, changes["calibration_id"])
            for name, value in changes.items():
                conn.execute(f"UPDATE runners SET {name} = ? WHERE id = ?", (value, runner_id))

    def runner(self, runner_id: int) -> dict[str, Any]:
        """One runner as a dictionary; :class:`RunnerNotFoundError` if there is none."""
        with self._file.reader() as conn:
            row = conn.execute(_RUNNER_SQL + " WHERE id = ?", (runner_id,)).fetchone()
        if row is None:
            raise RunnerNotFoundError(f"no runner with id {runner_id}")
        return _runner_dict(row)

    def list_runners(self) -> list[dict[str, Any]]:
        """Every runner, by name."""
        with self._file.reader() as conn:
            rows = conn.execute(_RUNNER_SQL + " ORDER BY name, id").fetchall()
        return [_runner_dict(row) for row in rows]

    def delete_runner(self, runner_id: int) -> None:
        """Delete a runner; their sessions stay, no longer linked to anyone."""
        with self._lock, self._file.transaction("delete a runner") as conn:
            if conn.execute("DELETE FROM runners WHERE id = ?", (runner_id,)).rowcount == 0:
                raise RunnerNotFoundError(f"no runner with id {runner_id}")

    # ------------------------------------------------------------------ calibrations, settings
    def save_calibration(self, data: dict[str, Any], label: str, created_at: datetime) -> int:
        """Store a calibration (an opaque JSON object) and return its id."""
        data_json = _to_json(data, "calibration data")
        created = _utc_text(created_at, "created_at")
        if not isinstance(label, str):
            raise LogInputError(f"label must be a string, got {label!r}")
        with self._lock, self._file.transaction("save a calibration") as conn:
            cursor = conn.execute(
                "INSERT INTO calibrations (created_at, label, data) VALUES (?, ?, ?)",
                (created, label, data_json),
            )
            return int(cursor.lastrowid or 0)

    def calibration(self, calibration_id: int) -> dict[str, Any]:
        """A stored calibration's data; :class:`CalibrationNotFoundError` if there is none."""
        with self._file.reader() as conn:
            row = conn.execute(
                "SELECT data FROM calibrations WHERE id = ?", (calibration_id,)
            ).fetchone()
        if row is None:
            raise CalibrationNotFoundError(f"no calibration with id {calibration_id}")
        data: dict[str, Any] = json.loads(row[0])
        return data

    def latest_calibration(self) -> tuple[int, dict[str, Any]] | None:
        """The most recently saved calibration as ``(id, data)``, or ``None``."""
        with self._file.reader() as conn:
            row = conn.execute(
                "SELECT id, data FROM calibrations ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), json.loads(row[1]))

    def load_settings(self) -> dict[str, Any] | None:
        """The saved settings dictionary, or ``None`` if none was saved."""
        with self._file.reader() as conn:
            row = conn.execute("SELECT data FROM settings WHERE id = 1").fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data

    def save_settings(self, data: dict[str, Any]) -> None:
        """Replace the saved settings (a JSON object, e.g. ``Settings.to_dict()``)."""
        data_json = _to_json(data, "settings")
        with self._lock, self._file.transaction("save settings") as conn:
            conn.execute("INSERT OR REPLACE INTO settings (id, data) VALUES (1, ?)", (data_json,))

    # ------------------------------------------------------------------ whole-file operations
    def backup(self, dest_path: str | os.PathLike[str]) -> None:
        """Copy the whole log to ``dest_path`` with SQLite's online backup.

        Buffered frames are written first (if the disk is full they are left out of the
        copy). The copy is written beside ``dest_path`` and renamed into place, so a
        failed backup never leaves a half-written file under that name.
        """
        dest = Path(dest_path)
        if dest.resolve() == self.path.resolve():
            raise LogInputError("the backup destination is the session log itself")
        with contextlib.suppress(StorageFullError):
            self.flush()
        partial = dest.with_name(dest.name + ".partial")
        try:
            with self._file.reader() as conn:
                target = sqlite3.connect(partial)
                try:
                    conn.backup(target)
                finally:
                    target.close()
            os.replace(partial, dest)
        except (OSError, sqlite3.Error) as err:
            partial.unlink(missing_ok=True)
            raise StorageError(f"cannot write the backup {dest}: {err}") from err

    def restore(self, src_path: str | os.PathLike[str]) -> None:
        """Replace the whole log by the backup at ``src_path`` (checked before anything changes).

        The backup must be a session log of this or an older schema that passes
        SQLite's integrity check; no session may be open in this log. Sessions that were
        open in the backup become ``interrupted``.
        """
        src = Path(src_path)
        with self._lock:
            self._file.writer()
            if self._open:
                raise LogInputError("stop the running session before restoring a backup")
            source = open_backup(src)
            try:
                self._file.close_idle_readers()
                with self._file.sql_errors("restore a backup"):
                    source.backup(self._file.writer())
                    migrate(self._file.writer())
            finally:
                source.close()
            self.mark_interrupted()

    def delete_all(self) -> None:
        """Delete every session, hold, rep, frame, runner, calibration and setting for good.

        Rows are deleted with ``secure_delete`` on (freed pages are zeroed), the file is
        rebuilt with ``VACUUM`` and the write-ahead log is checkpointed and truncated to
        zero bytes, so none of the old content stays in the database or WAL files.
        (Flash storage may still hold old blocks until the card reuses them.) Refused
        while a session is running.
        """
        with self._lock:
            self._file.writer()
            if self._open:
                raise LogInputError("stop the running session before deleting all data")
            self._file.close_idle_readers()
            with self._file.transaction("delete all data") as conn:
                # Every table of the schema (runners too: their names are personal data), so
                # a table added by a later migration cannot be forgotten here;
                # sqlite_sequence resets the ids.
                tables = [
                    str(row[0])
                    for row in conn.execute(
                        "SELECT name FROM sqlite_schema WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                for table in tables:
                    conn.execute(f'DELETE FROM "{table}"')  # names from the schema itself
                conn.execute("DELETE FROM sqlite_sequence")
            with self._file.sql_errors("compact the file after deleting"):
                conn = self._file.writer()
                conn.execute("VACUUM")
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:
                raise StorageError(
                    f"{self.path}: data deleted, but a reader kept the write-ahead log busy; "
                    "try again when no review page is loading"
                )

    def integrity_check(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check`` result (``["ok"]`` for a sound file)."""
        with self._file.reader() as conn:
            return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]


# ---------------------------------------------------------------------- helpers
def _utc_text(value: datetime, name: str) -> str:
    if not isinstance(value, datetime):
        raise LogInputError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise LogInputError(f"{name} must be timezone-aware (e.g. datetime.now(UTC))")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _from_utc_text(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _to_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise LogInputError(
            f"{what} must be JSON data (dict, list, str, finite numbers, bool, None): {err}"
        ) from err


def _check_hold(hold: Hold) -> None:
    if not isinstance(hold, Hold):
        raise LogInputError(f"hold must be an insole.records.Hold, got {type(hold).__name__}")
    if hold.outcome not in OUTCOMES:
        raise LogInputError(f"hold outcome must be one of {', '.join(OUTCOMES)}")
    for name in HOLD_FIELDS:
        value = getattr(hold, name)
        if name != "outcome" and not (isinstance(value, int | float) and math.isfinite(value)):
            raise LogInputError(f"hold field {name} must be a finite number, got {value!r}")


_RUNNER_SQL = "SELECT id, created_at, name, foot, targets, calibration_id FROM runners"


def _runner_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    rid, created, name, foot, targets, cal_id = row
    return {
        "id": int(rid),
        "created_at": created,
        "name": name,
        "foot": foot,
        "targets": json.loads(targets),
        "calibration_id": cal_id,
    }


def _require_runner(conn: sqlite3.Connection, runner_id: int) -> None:
    if conn.execute("SELECT 1 FROM runners WHERE id = ?", (runner_id,)).fetchone() is None:
        raise RunnerNotFoundError(f"no runner with id {runner_id}")


def _require_calibration(conn: sqlite3.Connection, calibration_id: int | None) -> None:
    if calibration_id is None:
        return
    if not conn.execute("SELECT 1 FROM calibrations WHERE id = ?", (calibration_id,)).fetchone():
        raise CalibrationNotFoundError(f"no calibration with id {calibration_id}")


def _require_session(conn: sqlite3.Connection, session_id: int) -> None:
    if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise SessionNotFoundError(f"no session with id {session_id}")


def _summary(row: tuple[Any, ...]) -> SessionSummary:
    (
        sid,
        started,
        ended,
        status,
        exercise,
        foot,
        source,
        cal_id,
        settings,
        meta,
        runner_id,
        correct,
        attempted,
        mean_score,
    ) = row
    started_at = _from_utc_text(started)
    assert started_at is not None  # NOT NULL column
    ended_at = _from_utc_text(ended)
    duration = None if ended_at is None else (ended_at - started_at).total_seconds()
    return SessionSummary(
        id=int(sid),
        started_at=started_at,
        ended_at=ended_at,
        status=status,
        exercise=exercise,
        foot=foot,
        source=source,
        correct=int(correct),
        attempted=int(attempted),
        mean_score=None if mean_score is None else float(mean_score),
        duration_s=duration,
        calibration_id=cal_id,
        settings=json.loads(settings),
        meta=json.loads(meta),
        runner_id=runner_id,
    )


def _logged_span_s(conn: sqlite3.Connection, session_id: int) -> float | None:
    """Time from the first logged frame to the last logged frame or hold end."""
    first, last = conn.execute(
        "SELECT min(t0_s), max(t1_s) FROM frame_chunks WHERE session_id = ?", (session_id,)
    ).fetchone()
    last_hold = conn.execute(
        "SELECT max(end_s) FROM holds WHERE session_id = ?", (session_id,)
    ).fetchone()[0]
    if first is None:
        return None
    ends = [float(v) for v in (last, last_hold) if v is not None]
    return max(0.0, max(ends) - float(first))


def _insert_chunks(
    conn: sqlite3.Connection, session_id: int, first_seq: int, steps: IntArray
) -> int:
    """Insert frames as chunks of at most MAX_CHUNK_FRAMES from ``first_seq``; return the count."""
    count = 0
    for count, start in enumerate(range(0, steps.shape[0], MAX_CHUNK_FRAMES), start=1):
        chunk = steps[start : start + MAX_CHUNK_FRAMES]
        times = chunk[:, 0]
        conn.execute(
            "INSERT INTO frame_chunks (session_id, seq, t0_s, t1_s, n, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                session_id,
                first_seq + count - 1,
                frame_codec.ticks_to_s(int(times.min())),
                frame_codec.ticks_to_s(int(times.max())),
                chunk.shape[0],
                frame_codec.encode_steps(chunk),
            ),
        )
    return count


def _concat(parts: list[IntArray]) -> IntArray:
    if not parts:
        return np.empty((0, 4), dtype=np.int64)
    return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)


def _trim_pending(state: _OpenSession) -> None:
    """Keep at most MAX_PENDING_S of the newest buffered frames; count what is dropped."""
    steps = _concat(state.pending)
    if steps.shape[0] == 0:
        return
    keep = steps[:, 0] >= steps[-1, 0] - _MAX_PENDING_TICKS
    state.dropped_frames += int(steps.shape[0] - keep.sum())
    state.pending = [steps[keep]]
