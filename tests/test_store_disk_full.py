"""A full disk pauses logging without damage; logging resumes when space returns.

Two real ways to fill the disk: SQLite's own size cap (``max_page_count``, which makes
SQLite report the genuine SQLITE_FULL error) and a tiny tmpfs file system mounted for
the test (needs root; CI runs as root, elsewhere the test is skipped with the reason).
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from insole.store import MAX_PENDING_S, SessionLog, StorageFullError
from tests.test_store_support import START, make_hold, realistic_frames, session_kwargs
from tests.tmpfs_support import mounted_tmpfs

TOL = 0.006


def fill_until_full(log: SessionLog, sid: int, frames: np.ndarray, batch: int = 50) -> int:
    """Append batches until the log reports a full disk; return the frames appended."""
    for start in range(0, len(frames), batch):
        try:
            log.append_frames(sid, frames[start : start + batch])
        except StorageFullError:
            return start + batch
    pytest.fail("the disk never filled up")


def test_size_cap_full_then_space_returns(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog(path) as log:
        first = log.start_session(**session_kwargs())
        first_frames = realistic_frames(3000, seed=1)
        log.append_frames(first, first_frames)
        log.add_hold(first, make_hold(1.0))
        log.end_session(first, START)
        log.flush()
        log.set_max_size(path.stat().st_size + 8 * 4096)

        sid = log.start_session(**session_kwargs(minutes=10))
        frames = realistic_frames(40_000, seed=2, t0_s=100.0)
        assert log.write_error is None
        appended = fill_until_full(log, sid, frames)
        assert log.pending_frame_count > 0
        assert isinstance(log.write_error, StorageFullError)
        # A hold finished while the disk is full is kept, not lost.
        with pytest.raises(StorageFullError, match="disk is full"):
            log.add_hold(sid, make_hold(101.0))
        # Everything written before is intact and readable meanwhile.
        assert log.integrity_check() == ["ok"]
        assert np.allclose(log.frames_array(first), first_frames, atol=TOL)
        assert log.holds(first) == [make_hold(1.0)]
        # A reader sees the paused session completely (written + buffered frames).
        assert np.allclose(log.frames_array(sid), frames[:appended], atol=TOL)

        log.set_max_size(None)  # space returns
        # Retries back off while the disk stays full, but never beyond 30 s of frames.
        resumed_at = None
        for start in range(appended, appended + 3100, 50):
            log.append_frames(sid, frames[start : start + 50])
            if log.write_error is None:
                resumed_at = start + 50
                break
        assert resumed_at is not None, "logging did not resume within 31 s of frames"
        assert log.pending_frame_count == 0
        log.end_session(sid, START)
        assert log.dropped_frame_count == 0
    with SessionLog(path) as reopened:
        assert np.allclose(reopened.frames_array(sid), frames[:resumed_at], atol=TOL)
        assert reopened.holds(sid) == [make_hold(101.0)]
        assert reopened.get_session(sid).status == "completed"
        assert reopened.integrity_check() == ["ok"]


def test_deleting_old_sessions_frees_space_for_logging(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog(path, max_size_bytes=160 * 1024) as log:
        old = log.start_session(**session_kwargs())
        old_frames = realistic_frames(80_000, seed=3)
        appended_old = fill_until_full(log, old, old_frames, batch=500)
        assert appended_old < len(old_frames)
        sid = log.start_session(**session_kwargs(minutes=5))
        with pytest.raises(StorageFullError):
            log.add_hold(sid, make_hold(0.0))
        log.delete_session(old)  # the user frees space from the review page
        # The next hold writes the waiting one too, and returns its own id.
        later_id = log.add_hold(sid, make_hold(20.0))
        assert log.holds(sid) == [make_hold(0.0), make_hold(20.0)]
        conn = sqlite3.connect(path)
        try:
            ids = [row[0] for row in conn.execute("SELECT id FROM holds ORDER BY start_s")]
        finally:
            conn.close()
        assert ids[-1] == later_id
        assert ids[0] < later_id
        assert log.integrity_check() == ["ok"]


def test_backlog_is_bounded_while_full(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog(path) as log:
        sid = log.start_session(**session_kwargs())
        log.set_max_size(path.stat().st_size)
        seconds = int(MAX_PENDING_S) + 100
        frames = realistic_frames(seconds * 100, seed=4, noise_n=0.05)
        failures = 0
        for start in range(0, len(frames), 1000):
            try:
                log.append_frames(sid, frames[start : start + 1000])
            except StorageFullError:
                failures += 1
        # The first chunk may still fit into a partly used page; then every retry fails
        # (retries back off to one per 30 s of frames, or per 6000 frames).
        assert failures >= seconds // 60
        kept = log.pending_frame_count
        written = len(frames) - kept - log.dropped_frame_count
        assert 0 <= written <= 1000
        assert MAX_PENDING_S * 100 <= kept <= (MAX_PENDING_S + 11) * 100 + 1
        log.set_max_size(None)
        log.end_session(sid, START)
        # The newest frames were kept: the log holds the last MAX_PENDING_S seconds.
        expected = np.concatenate([frames[:written], frames[-kept:]])
        assert np.allclose(log.frames_array(sid), expected, atol=TOL)


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test, unmounted afterwards."""
    with mounted_tmpfs(tmp_path / "tiny", "256k") as mount_point:
        yield mount_point


def test_real_full_filesystem(tiny_filesystem: Path) -> None:
    path = tiny_filesystem / "data" / "sessions.sqlite3"
    with SessionLog(path) as log:
        sid = log.start_session(**session_kwargs())
        frames = realistic_frames(200_000, seed=5, noise_n=0.3)
        appended = fill_until_full(log, sid, frames, batch=500)
        hold = make_hold(1.0)
        with pytest.raises(StorageFullError):
            log.add_hold(sid, hold)
        assert log.integrity_check() == ["ok"]
        # Readers still see every appended frame (written or waiting in memory).
        assert log.frames_array(sid).shape[0] == appended
        # Space returns: grow the file system.
        subprocess.run(["mount", "-o", "remount,size=8m", str(tiny_filesystem)], check=True)
        log.end_session(sid, START)
        assert log.holds(sid) == [hold]
    with SessionLog(path) as reopened:
        assert np.allclose(reopened.frames_array(sid), frames[:appended], atol=TOL)
        assert reopened.integrity_check() == ["ok"]
