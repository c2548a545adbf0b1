"""The monitor over a real SQLite session log, fed frames the way the sampler feeds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.monitor import Monitor, SetStateError
from insole.errors import CalibrationError, SettingsError
from insole.store import SessionLog
from tests.monitor_support import SIM, drain, feed
from tests.scripted import BIG_TOE_UP, HOLD, REST, to_volts


def test_a_set_is_counted_logged_and_streamed(monitor: Monitor, store: SessionLog) -> None:
    with monitor.subscribe() as sub:
        assert sub.get(0)[0] == "status"
        t = feed(monitor, [(1, REST)])
        session_id = monitor.start_set()
        t = feed(monitor, [(1, REST), (9, HOLD), (2, REST), (5, HOLD), (2, REST)], t)
        summary = monitor.stop_set()
        kinds = [k for k, _ in drain(sub)]
    assert summary == {"session_id": session_id, "exercise": "arch_hold", "foot": "right",
                       "correct": 1, "attempted": 2}
    assert kinds.count("hold_ended") == 2
    assert kinds.index("set_started") < kinds.index("hold_started") < kinds.index("set_stopped")
    holds = store.holds(session_id)
    assert [h.outcome for h in holds] == ["correct", "short"]
    assert holds[0].start_s == pytest.approx(1.0, abs=0.2)  # relative to the set's start
    frames = store.frames_array(session_id)
    assert len(frames) == 1900
    assert frames[0, 0] == 0.0
    assert frames[500, 1:].sum() == pytest.approx(100.0, abs=0.5)  # raw forces, not smoothed
    session = store.get_session(session_id)
    assert (session.status, session.correct, session.attempted) == ("completed", 1, 2)


def test_frame_events_follow_the_documented_shape(monitor: Monitor) -> None:
    feed(monitor, [(1, REST), (3, HOLD)])
    latest = monitor.latest()
    assert latest is not None
    assert latest["hold"]["state"] == "holding"
    assert latest["set"]["running"] is False
    raw = monitor.latest_raw()
    assert raw is not None
    assert raw["forces_n"]["heel"] == pytest.approx(HOLD[0], rel=1e-3)


def test_set_actions_check_the_state(monitor: Monitor) -> None:
    with pytest.raises(SetStateError, match="no set is running"):
        monitor.stop_set()
    monitor.start_set()
    with pytest.raises(SetStateError, match="already running"):
        monitor.start_set()
    with pytest.raises(SetStateError, match="foot must be one of left, right"):
        monitor.start_set(foot="middle")


def test_tare_needs_a_lifted_foot_and_warns_on_drift(monitor: Monitor, store: SessionLog) -> None:
    with pytest.raises(SetStateError, match="no readings"):
        monitor.tare()
    t = feed(monitor, [(1, (0.5, 0.3, 0.2))])
    first = monitor.tare()
    assert first["tare_n"]["heel"] == pytest.approx(0.5, rel=1e-3)
    assert first["drift_warning"] is None
    assert store.latest_calibration() is not None
    t = feed(monitor, [(1, HOLD)], t)
    with pytest.raises(CalibrationError, match="lift the foot"):
        monitor.tare()
    t = feed(monitor, [(1, (4.0, 0.3, 0.2))], t)
    second = monitor.tare()
    assert "heel +3.5 N" in second["drift_warning"]


def test_capture_target_stores_a_personal_target(monitor: Monitor, store: SessionLog) -> None:
    with monitor.subscribe() as sub:
        feed(monitor, [(1, REST), (1, HOLD)])
        monitor.capture_target(2.0)
        feed(monitor, [(3, HOLD)], 2.0)
        for _ in range(100):
            event = sub.get(0.05)
            if event is not None and event[0] == "target_captured":
                break
        else:
            pytest.fail("no target_captured event")
    assert event[1]["personal_target"]["heel"] == pytest.approx(0.45, abs=0.01)
    assert monitor.settings.personal_target == pytest.approx((0.45, 0.2, 0.35), abs=0.01)
    assert store.load_settings()["personal_target"] == pytest.approx([0.45, 0.2, 0.35], abs=0.01)


def test_bad_settings_change_nothing(monitor: Monitor, store: SessionLog) -> None:
    with pytest.raises(SettingsError, match="hold_target_s"):
        monitor.update_settings({"grace_s": 1.0, "hold_target_s": -1})
    assert monitor.settings.grace_s == 0.5
    assert store.load_settings() is None
    monitor.update_settings({"hold_target_s": 5.0})
    assert store.load_settings()["hold_target_s"] == 5.0


def test_settings_and_calibration_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    with SessionLog(path) as log, Monitor(log, SIM) as mon:
        feed(mon, [(1, (0.5, 0.3, 0.2))])
        mon.tare()
        mon.update_settings({"foot": "left", "rep_target": 6})
    with SessionLog(path) as log, Monitor(log, SIM) as mon:
        assert (mon.settings.foot, mon.settings.rep_target) == ("left", 6)
        assert mon.calibration.tare_n[0] == pytest.approx(0.5, rel=1e-3)


def test_health_faults_raise_banners_and_gaps_end_holds(monitor: Monitor) -> None:
    with monitor.subscribe() as sub:
        t = feed(monitor, [(1, REST), (4, HOLD)])
        monitor.on_gap(t, t + 2.0, "I2C error")
        monitor.on_health({"big_toe": {"state": "stuck_low", "message": "not responding"}})
        events = drain(sub)
    kinds = [k for k, _ in events]
    assert "hold_ended" in kinds
    assert kinds.index("hold_ended") < kinds.index("gap")
    status = monitor.status()
    keys = [b["key"] for b in status["banners"]]
    assert keys == ["simulated", "sensor_fault.big_toe"]
    assert "not responding" in status["banners"][1]["text"]
    monitor.on_health({"big_toe": {"state": "ok", "message": ""}})
    assert [b["key"] for b in monitor.status()["banners"]] == ["simulated"]


def test_close_completes_a_running_set(store: SessionLog) -> None:
    mon = Monitor(store, SIM)
    t = feed(mon, [(1, REST)])
    session_id = mon.start_set()
    feed(mon, [(9, HOLD), (1, BIG_TOE_UP), (3, HOLD)], t)
    mon.close()
    mon.close()
    assert store.get_session(session_id).status == "completed"
    assert [h.outcome for h in store.holds(session_id)] == ["correct", "short"]


def test_a_rep_exercise_set_logs_reps(monitor: Monitor, store: SessionLog) -> None:
    from insole.exercises.examples import EXPECTED
    from insole.recording_csv import read_recording

    frames = read_recording(Path(__file__).parent.parent / "examples" / "sit_to_stand_session.csv")
    expected = [outcome for outcome, _, _ in EXPECTED["sit_to_stand"]]
    with monitor.subscribe() as sub:
        session_id = monitor.start_set(exercise="sit_to_stand")
        for frame in to_volts(frames):
            monitor.process(frame)
        summary = monitor.stop_set()
        kinds = [k for k, _ in drain(sub)]
    reps = store.reps(session_id)
    assert [r["outcome"] for r in reps] == expected
    assert kinds.count("rep_ended") == len(expected)
    assert summary["correct"] == expected.count("correct")
    assert summary["attempted"] == len(expected)
    assert store.get_session(session_id).exercise == "sit_to_stand"
    assert store.holds(session_id) == []
