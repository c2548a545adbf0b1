"""A session log filled with every kind of record, for the backup/restore/delete tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from insole.calibration import Calibration
from insole.settings import Settings
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
MARKER = "zqx-physio-note-7731"
"""A string written into every kind of record; after "delete all" no file may contain it."""


def fill_log(log: SessionLog, *, sessions: int = 3, marker: str = MARKER) -> list[int]:
    """Sessions with holds, frames, a rep and a note, a runner, a calibration and settings."""
    ids = []
    for day in range(sessions):
        sid = record_session(
            log,
            started_at=START + timedelta(days=day),
            frames=synthetic_frames(20.0, seed=day + 1),
            holds=[make_hold(2.0, 9.0, 70.0), make_hold(12.0, 5.0, 40.0)],
        )
        log.set_session_meta(sid, "note", marker)
        ids.append(sid)
    rep = {"start_s": 1.0, "end_s": 2.0, "duration_s": 1.0, "score": 80.0, "outcome": "correct"}
    log.add_rep(ids[0], rep | {"note": marker})
    calibration = Calibration().to_dict()
    log.save_calibration(calibration, f"{marker} calibration", START)
    log.add_runner(name=f"{marker} runner", foot="left", created_at=START)
    log.save_settings(Settings(hold_target_s=9.0).to_dict())
    return ids


def files_containing(directory: Path, needle: bytes) -> list[str]:
    """Names of the files under ``directory`` whose bytes contain ``needle``."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    )
