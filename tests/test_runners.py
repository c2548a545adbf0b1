"""Runner profiles persisted in a real SQLite session log; sessions and history per runner."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from insole.errors import SettingsError
from insole.exercises import make_counter
from insole.exercises.examples import example_name
from insole.migrations import SCHEMA_VERSION, migrate
from insole.programme import ProgrammeError
from insole.recording_csv import read_recording
from insole.runners import Runner, Runners
from insole.store import (
    CalibrationNotFoundError,
    LogInputError,
    RunnerNotFoundError,
    SessionLog,
    SessionNotFoundError,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
EXAMPLES_DIR = Path(__file__).parent.parent / "examples"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SessionLog]:
    with SessionLog(tmp_path / "log.sqlite3") as opened:
        yield opened


def test_round_trip_through_a_reopened_file(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    with SessionLog(path) as log:
        cal = log.save_calibration({"k": 1}, "left insole", T0)
        runners = Runners(log)
        ana = runners.add(
            Runner("Ana", "left", {"lunge": {"reps": 25}}, calibration_id=cal), created_at=T0
        )
        ben = runners.add(Runner("Ben"), created_at=T0)
    with SessionLog(path) as log:
        runners = Runners(log)
        assert [r.name for r in runners.all()] == ["Ana", "Ben"]
        again = runners.get(ana.id or 0)
        assert again == ana
        assert again.targets == {"lunge": {"reps": 25}}
        assert again.calibration_id == cal
        assert again.programme().step_for("lunge").reps == 25  # type: ignore[union-attr]
        updated = runners.update(ben.id or 0, foot="left", targets={"arch_hold": {"hold_s": 10}})
        assert (updated.foot, updated.targets) == ("left", {"arch_hold": {"hold_s": 10.0}})


def test_validation_before_storage(log: SessionLog) -> None:
    runners = Runners(log)
    with pytest.raises(SettingsError, match="foot: must be one of left, right"):
        Runner("Cleo", "middle")
    with pytest.raises(SettingsError, match="name: must be text of 1 to 60"):
        Runner("  ")
    with pytest.raises(ProgrammeError, match=r"targets\.squat\.hold_s"):
        Runner("Cleo", targets={"squat": {"hold_s": 4}})
    cleo = runners.add(Runner("Cleo"), T0)
    with pytest.raises(LogInputError, match="a runner named 'Cleo' exists already"):
        runners.add(Runner("Cleo"), T0)
    with pytest.raises(ProgrammeError, match=r"targets\.lunge\.reps"):
        runners.update(cleo.id or 0, targets={"lunge": {"reps": 0}})
    assert runners.get(cleo.id or 0).targets == {}  # nothing saved on error
    with pytest.raises(CalibrationNotFoundError):
        runners.update(cleo.id or 0, calibration_id=99)
    with pytest.raises(RunnerNotFoundError, match="no runner with id 42"):
        runners.get(42)
    with pytest.raises(RunnerNotFoundError):
        log.start_session(
            started_at=T0, exercise="lunge", foot="right", source="sim", settings={}, runner_id=42
        )


def test_history_and_reps_per_runner(log: SessionLog) -> None:
    runners = Runners(log)
    ana = runners.add(Runner("Ana"), T0)
    ben = runners.add(Runner("Ben"), T0)
    counter = make_counter("lunge")
    reps = counter.feed(read_recording(EXAMPLES_DIR / example_name("lunge")))
    for week, who in enumerate([ana, ben, ana]):
        sid = log.start_session(
            started_at=T0 + timedelta(weeks=week),
            exercise="lunge",
            foot="right",
            source="sim",
            settings={},
            runner_id=who.id,
        )
        for rep in reps[: 4 + week]:
            log.add_rep(sid, rep.to_dict())
        log.end_session(sid, T0 + timedelta(weeks=week, minutes=5))
    history = runners.history(ana.id or 0, "lunge")
    assert [s.attempted for s in history] == [4, 6]
    assert all(s.runner_id == ana.id for s in history)
    expected_correct = sum(r.outcome == "correct" for r in reps[:4])
    assert history[0].correct == expected_correct
    mean = sum(r.score for r in reps[:4]) / 4
    assert history[0].mean_score == pytest.approx(mean)
    assert [s.attempted for s in runners.history(ben.id or 0)] == [5]
    assert log.reps(history[1].id) == [r.to_dict() for r in reps[:6]]
    with pytest.raises(LogInputError, match="rep outcome must be one of correct, faulty"):
        log.add_rep(history[0].id, {**reps[0].to_dict(), "outcome": "short"})
    runners.delete(ben.id or 0)
    assert [s.runner_id for s in log.list_sessions()] == [ana.id, None, ana.id]


def test_migration_from_version_2_keeps_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO sessions (started_at, status, exercise, foot, source, settings)"
        " VALUES ('2026-10-01T08:00:00+00:00', 'completed', 'arch_hold', 'right', 'x', '{}')"
    )
    conn.close()
    with SessionLog(path) as log:
        (old,) = log.list_sessions()
        assert old.runner_id is None
        assert old.attempted == 0
        assert old.mean_score is None
        Runners(log).add(Runner("Dee"), T0)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    conn.close()


def test_reps_go_with_their_session(log: SessionLog) -> None:
    sid = log.start_session(started_at=T0, exercise="squat", foot="left", source="sim", settings={})
    rep = make_counter("squat").feed(read_recording(EXAMPLES_DIR / example_name("squat")))[0]
    log.add_rep(sid, rep.to_dict())
    assert log.get_session(sid).attempted == 1
    with pytest.raises(LogInputError, match="numeric start_s"):
        log.add_rep(sid, {"outcome": "correct"})
    log.delete_session(sid)
    conn = sqlite3.connect(log.path)
    assert conn.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0  # cascaded
    conn.close()
    with pytest.raises(SessionNotFoundError):
        log.reps(sid)
    with pytest.raises(SessionNotFoundError):
        log.add_rep(sid, rep.to_dict())


def test_delete_all_removes_runners_and_reps_for_good(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    marker = "Zqxrunner Marker"
    with SessionLog(path) as log:
        runner = Runners(log).add(Runner(marker), T0)
        sid = log.start_session(
            started_at=T0,
            exercise="squat",
            foot="right",
            source="sim",
            settings={},
            runner_id=runner.id,
        )
        log.add_rep(
            sid,
            {
                "start_s": 0.0,
                "end_s": 2.0,
                "duration_s": 2.0,
                "outcome": "correct",
                "score": 90.0,
                "note": marker,
            },
        )
        log.end_session(sid, T0 + timedelta(minutes=1))
        log.delete_all()
        assert Runners(log).all() == []
        assert log.list_sessions() == []
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert marker.encode() not in file.read_bytes(), file.name
        assert Runners(log).add(Runner(marker), T0).id == 1  # ids start afresh
