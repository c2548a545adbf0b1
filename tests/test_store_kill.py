"""Power-cut safety: a writer process killed with SIGKILL at random moments loses no
finished hold and at most about the last second of frames, and the file stays sound.

The child (this file run as a script) logs sessions of frames and holds and reports
on stdout what it has handed to the log; the test kills it at a random moment,
reopens the log and compares. ``INSOLE_KILL_RUNS`` sets the number of runs (default 20).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

FRAMES_PER_SESSION = 6500  # 65 s at 100 Hz (crosses a chunk merge), faster than real time
BATCH = 10
HOLD_EVERY = 500
ONE_SECOND_FRAMES = 100
RUNS = int(os.environ.get("INSOLE_KILL_RUNS", "20"))
PARALLEL = 4  # children run side by side (they mostly wait on fsync)
REPO_ROOT = Path(__file__).resolve().parent.parent


def session_frames(index: int) -> np.ndarray:
    from tests.test_store_support import realistic_frames

    return realistic_frames(FRAMES_PER_SESSION, seed=1000 + index)


def child_main(db_path: str) -> None:
    """Log sessions until killed, reporting each step after the log call returned."""
    from insole.store import SessionLog
    from tests.test_store_support import START, make_hold, session_kwargs

    with SessionLog(db_path) as log:
        print("READY", flush=True)
        for index in range(10_000):
            frames = session_frames(index)
            sid = log.start_session(**session_kwargs(minutes=index))
            print(f"SESSION {sid} {index}", flush=True)
            for start in range(0, FRAMES_PER_SESSION, BATCH):
                log.append_frames(sid, frames[start : start + BATCH])
                print(f"APPENDED {sid} {start + BATCH}", flush=True)
                if (start + BATCH) % HOLD_EVERY == 0:
                    hold_id = log.add_hold(sid, make_hold(float(frames[start, 0])))
                    print(f"HOLD {sid} {hold_id}", flush=True)
                time.sleep(0.0002)
            log.end_session(sid, START + timedelta(minutes=index, seconds=65))
            print(f"ENDED {sid}", flush=True)


def start_child(run_dir: Path) -> subprocess.Popen[bytes]:
    """Start a writer child logging into ``run_dir``; its stdout and stderr go to files."""
    run_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with (run_dir / "child.out").open("wb") as out, (run_dir / "child.err").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(run_dir / "sessions.sqlite3")],
            stdout=out,
            stderr=err,
            cwd=REPO_ROOT,
            env=env,
        )


def wait_until_ready(child: subprocess.Popen[bytes], run_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while "READY" not in (run_dir / "child.out").read_text():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            child.wait(timeout=30)
            pytest.fail(f"writer child did not start: {(run_dir / 'child.err').read_text()}")
        time.sleep(0.01)


def kill_children_at(
    children: dict[int, subprocess.Popen[bytes]], kill_after_s: dict[int, float]
) -> None:
    """SIGKILL each child at its own moment after all of them are ready."""
    start = time.monotonic()
    try:
        for run in sorted(children, key=kill_after_s.__getitem__):
            time.sleep(max(0.0, start + kill_after_s[run] - time.monotonic()))
            children[run].send_signal(signal.SIGKILL)
    finally:
        for child in children.values():
            child.kill()
            child.wait(timeout=30)


def stored_hold_ids(db_path: Path, session_id: int) -> set[int]:
    """Row ids of a session's holds (the Hold record itself carries no id)."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT id FROM holds WHERE session_id = ?", (session_id,))
        return {int(row[0]) for row in rows}
    finally:
        conn.close()


def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20260301)
    for first in range(0, RUNS, PARALLEL):
        runs = range(first, min(RUNS, first + PARALLEL))
        children = {run: start_child(tmp_path / f"run{run}") for run in runs}
        for run, child in children.items():
            wait_until_ready(child, tmp_path / f"run{run}")
        kill_after_s = {run: rng.uniform(0.05, 1.2) for run in runs}
        kill_children_at(children, kill_after_s)
        for run, child in children.items():
            assert child.returncode == -signal.SIGKILL, f"run {run}: the child ended by itself"
            try:
                check_after_kill(tmp_path / f"run{run}")
            except AssertionError as err:
                message = f"run {run}, killed {kill_after_s[run]:.2f} s after start: {err}"
                raise AssertionError(message) from err


def check_after_kill(run_dir: Path) -> None:
    """Reopen the killed child's log and compare with what it reported."""
    from insole.store import SessionLog

    db_path = run_dir / "sessions.sqlite3"
    lines = (run_dir / "child.out").read_text().splitlines()
    index_of: dict[int, int] = {}
    appended: dict[int, int] = {}
    holds: dict[int, set[int]] = {}
    ended: set[int] = set()
    for line in lines:
        words = line.split()
        if not words or len(words) < 2 or not all(w.isdigit() for w in words[1:]):
            continue  # the kill can cut the last line short
        kind, numbers = words[0], [int(w) for w in words[1:]]
        if kind == "SESSION" and len(numbers) == 2:
            index_of[numbers[0]] = numbers[1]
        elif kind == "APPENDED" and len(numbers) == 2:
            appended[numbers[0]] = numbers[1]
        elif kind == "HOLD" and len(numbers) == 2:
            holds.setdefault(numbers[0], set()).add(numbers[1])
        elif kind == "ENDED" and len(numbers) == 1:
            ended.add(numbers[0])
    assert index_of, "the child was killed before it started a session"

    with SessionLog(db_path) as log:
        assert log.integrity_check() == ["ok"]
        sessions = {s.id: s for s in log.list_sessions()}
        assert all(s.status != "open" for s in sessions.values())
        for sid, index in index_of.items():
            summary = sessions[sid]
            stored = log.frames_array(sid)
            expected = session_frames(index)
            # Stored frames are an exact prefix of what was appended ...
            assert np.allclose(stored, expected[: stored.shape[0]], atol=0.006)
            if sid in ended:
                assert summary.status == "completed"
                assert stored.shape[0] == FRAMES_PER_SESSION
            else:
                assert summary.status in ("interrupted", "completed")
                # ... missing at most about the last second (one chunk plus a batch).
                reported = appended.get(sid, 0)
                assert stored.shape[0] >= reported - ONE_SECOND_FRAMES - BATCH
            assert holds.get(sid, set()) <= stored_hold_ids(db_path, sid)
            # A hold is written together with the frames that led to it.
            for hold in log.holds(sid):
                assert stored[-1, 0] >= hold.start_s - 0.001
            if summary.status == "interrupted" and stored.shape[0]:
                assert summary.ended_at is not None
        # A new session after the crash starts cleanly.
        new = log.start_session(
            started_at=datetime.now(UTC),
            exercise="arch_hold",
            foot="left",
            source="simulated",
            settings={},
        )
        log.end_session(new, datetime.now(UTC))


if __name__ == "__main__":
    child_main(sys.argv[1])
