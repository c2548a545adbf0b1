"""Backup, restore-check and delete-all benchmark for the "Your data" page.

Run: ``python -m benchmarks.data_admin`` (``--hours N`` of 100 Hz frames, default 10, in
sessions of 10 minutes with a hold every 10 s).

Prints the log size and the time of each step the page runs: the backup copy (SQLite's
online backup plus the switch to a rollback journal), the full check of an uploaded backup
(``prepare_backup``: header, integrity check, schema, migration, VACUUM, every row and
chunk read back), the replacement of the live log (``SessionLog.restore``) and
``delete_all`` (secure delete, VACUUM, WAL truncated). On a Raspberry Pi expect several
times these figures (SD card, slower CPU).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from insole.backup_check import prepare_backup
from insole.store import SessionLog
from tests.test_store_support import make_hold, realistic_frames

SESSION_S = 600
RATE_HZ = 100


def fill(log: SessionLog, hours: float) -> None:
    """``hours`` of frames in 10-minute sessions, a hold every 10 s."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for k in range(max(1, round(hours * 3600 / SESSION_S))):
        sid = log.start_session(
            started_at=start + timedelta(days=k), exercise="arch_hold", foot="left",
            source="benchmark", settings={},
        )
        frames = realistic_frames(SESSION_S * RATE_HZ, seed=k)
        for first in range(0, len(frames), 6000):
            log.append_frames(sid, frames[first : first + 6000])
        for hold_start_s in range(0, SESSION_S - 10, 10):
            log.add_hold(sid, make_hold(float(hold_start_s)))
        log.end_session(sid, start + timedelta(days=k, seconds=SESSION_S))


def timed(what: str, figures: list[tuple[str, str]], call: Callable[[], object]) -> None:
    """Run ``call`` once and add its wall time to ``figures``."""
    before = time.perf_counter()
    call()
    figures.append((what, f"{time.perf_counter() - before:.2f} s"))


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0)
    hours = parser.parse_args().hours
    figures: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        backup = folder / "backup.sqlite3"
        with SessionLog(folder / "sessions.sqlite3") as log:
            fill(log, hours)
            log.flush()
            size = (folder / "sessions.sqlite3").stat().st_size
            figures.append((f"log with {hours:g} h of frames", f"{size / 1e6:.1f} MB"))

            def make_backup() -> None:
                log.backup(backup)
                conn = sqlite3.connect(backup, isolation_level=None)
                conn.execute("PRAGMA journal_mode = DELETE")
                conn.close()

            timed("backup (online backup + journal switch)", figures, make_backup)
            work = folder / "work.sqlite3"
            timed("check an uploaded backup (prepare_backup)", figures,
                  lambda: prepare_backup(backup, work, max_bytes=2**34))
            timed("delete all (secure delete, VACUUM, WAL truncate)", figures, log.delete_all)
            timed("replace the live log (restore)", figures, lambda: log.restore(work))
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
