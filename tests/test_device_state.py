"""The current runner and the guided session are kept over a restart, beside the log."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firmware.device_state import FILE_NAME, DeviceState
from firmware.feet_monitor import FeetMonitor
from firmware.monitor import Monitor, SourceInfo
from insole.runners import Runner, Runners
from insole.store import SessionLog

NOW = datetime(2026, 11, 24, tzinfo=UTC)
SIM = SourceInfo("emulated", True, "test insole")


def state_of(store: SessionLog) -> DeviceState:
    return DeviceState.beside(store.path)


def test_nothing_remembered_without_a_file(tmp_path: Path) -> None:
    state = DeviceState(tmp_path / FILE_NAME)
    assert state.load() == {}
    assert state.get_runner_id() is None


@pytest.mark.parametrize(
    ("text", "why"),
    [("{not json", "not valid JSON"), ("[1, 2]", "does not hold a JSON object")],
)
def test_an_unreadable_file_is_reported_and_treated_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str, why: str
) -> None:
    (tmp_path / FILE_NAME).write_text(text)
    with caplog.at_level(logging.WARNING):
        assert DeviceState(tmp_path / FILE_NAME).get_runner_id() is None
    assert why in caplog.text


def test_remember_replaces_the_file_whole_and_keeps_other_values(tmp_path: Path) -> None:
    state = DeviceState(tmp_path / FILE_NAME)
    assert state.remember(runner_id=3, other="kept")
    assert state.remember(runner_id=None)
    assert json.loads((tmp_path / FILE_NAME).read_text()) == {"other": "kept", "runner_id": None}
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]  # no temporary left


@pytest.mark.skipif(os.geteuid() == 0, reason="root bypasses file permissions")
def test_a_failed_write_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.chmod(0o500)
    try:
        with caplog.at_level(logging.WARNING):
            assert DeviceState(tmp_path / FILE_NAME).remember(runner_id=1) is False
    finally:
        tmp_path.chmod(0o700)
    assert "not remembered over a restart" in caplog.text


def test_a_write_into_a_missing_folder_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert DeviceState(tmp_path / "gone" / FILE_NAME).remember(runner_id=1) is False
    assert "not remembered over a restart" in caplog.text


def test_the_chosen_runner_is_chosen_again_after_a_restart(store: SessionLog) -> None:
    ana = Runners(store).add(Runner("Ana", "left", {"arch_hold": {"reps": 6}}), NOW)
    with Monitor(store, SIM, state=state_of(store)) as before:
        before.select_runner(ana.id)
    with Monitor(store, SIM, state=state_of(store)) as after:
        assert after.runner is None  # nothing happens until asked, at start
        restored = after.restore_runner()
        assert restored is not None
        assert restored.id == ana.id
        assert after.status()["runner"]["id"] == ana.id
        assert after.programme().steps[0].reps == 6
        after.select_runner(None)
    with Monitor(store, SIM, state=state_of(store)) as third:
        assert third.restore_runner() is None


def test_a_runner_deleted_meanwhile_is_forgotten(
    store: SessionLog, caplog: pytest.LogCaptureFixture
) -> None:
    ben = Runners(store).add(Runner("Ben", "right"), NOW)
    with Monitor(store, SIM, state=state_of(store)) as before:
        before.select_runner(ben.id)
    Runners(store).delete(ben.id)
    with Monitor(store, SIM, state=state_of(store)) as after, caplog.at_level(logging.WARNING):
        assert after.restore_runner() is None
        assert after.runner is None
    assert f"the runner chosen before the restart ({ben.id}) is not available" in caplog.text
    assert state_of(store).get_runner_id() is None


def test_replacing_the_stored_data_forgets_the_runner(store: SessionLog) -> None:
    cam = Runners(store).add(Runner("Cam", "left"), NOW)
    with Monitor(store, SIM, state=state_of(store)) as monitor:
        monitor.select_runner(cam.id)
        assert state_of(store).get_runner_id() == cam.id
        monitor.replace_stored_data(SessionLog.delete_all)
        assert monitor.runner is None
    assert state_of(store).get_runner_id() is None


def test_two_insoles_restore_the_runner_too(store: SessionLog) -> None:
    dee = Runners(store).add(Runner("Dee", "right"), NOW)
    feet = SourceInfo("emulated", True, "two test insoles", feet="both")
    with FeetMonitor(store, feet, state=state_of(store)) as before:
        before.select_runner(dee.id)
    with FeetMonitor(store, feet, state=state_of(store)) as after:
        restored = after.restore_runner()
        assert restored is not None
        assert restored.name == "Dee"


# -- the guided session over a restart -------------------------------------------------------


def test_a_guided_session_goes_on_at_its_stage_after_a_restart(store: SessionLog) -> None:
    with Monitor(store, SIM, state=state_of(store)) as before:
        hub = before.guided
        hub.begin()
        hub.advance(0)
        hub.advance(1)  # two warm-up items ticked; stage 2 is the third
        kept = hub.snapshot()
    assert kept is not None
    assert kept["position"] == 2
    with Monitor(store, SIM, state=state_of(store)) as after:
        assert after.guided.active is False  # nothing happens until asked, at start
        state = after.restore_guided()
        assert state is not None
        assert state["active"] is True
        assert state["position"] == 2
        assert [r["status"] for r in state["results"]] == ["ticked", "ticked"]
        assert state["programme"] == kept["programme"]
        after.guided.end()
    with Monitor(store, SIM, state=state_of(store)) as third:
        assert third.restore_guided() is None


def test_a_set_running_at_the_stop_is_that_set_again_not_running(store: SessionLog) -> None:
    with Monitor(store, SIM, state=state_of(store)) as before:
        hub = before.guided
        hub.begin()
        warm_up = len(before.programme().warm_up)
        for stage in range(warm_up):
            hub.advance(stage)
        hub.start_set(warm_up)
        kept = hub.snapshot()
        # A power cut here: the snapshot on disk is the one taken when the set started.
    assert kept is not None
    assert state_of(store).load()["guided"] == kept
    with Monitor(store, SIM, state=state_of(store)) as after:
        state = after.restore_guided()
        assert state is not None
        assert state["position"] == warm_up
        assert state["stage"]["kind"] == "set"
        assert state["set"]["running"] is False
        after.guided.start_set(warm_up)  # and it can be started again
        assert after.guided.state()["set"]["running"] is True
        after.stop_set()


def test_a_kept_session_that_does_not_fit_is_dropped_with_a_reason(
    store: SessionLog, caplog: pytest.LogCaptureFixture
) -> None:
    state_of(store).remember(guided={"programme": {"steps": []}, "position": 0, "results": []})
    with Monitor(store, SIM, state=state_of(store)) as monitor, caplog.at_level(logging.WARNING):
        assert monitor.restore_guided() is None
        assert monitor.guided.active is False
    assert "the guided session kept over the restart is dropped" in caplog.text
    assert state_of(store).load()["guided"] is None
