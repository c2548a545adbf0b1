"""The monitor's current runner: sets logged per runner, their calibration and targets in force."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firmware.monitor import Monitor, SetStateError
from insole.programme import DEFAULT_PROGRAMME
from insole.runners import Runner, Runners
from insole.store import RunnerNotFoundError, SessionLog
from tests.monitor_support import feed
from tests.scripted import HOLD, REST

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def two_runners(store: SessionLog) -> tuple[Runner, Runner]:
    runners = Runners(store)
    ana = runners.add(Runner("Ana", "left", {"arch_hold": {"hold_s": 5, "reps": 3}}), T0)
    ben = runners.add(Runner("Ben", "right"), T0)
    return ana, ben


def test_sets_are_logged_for_the_chosen_runner_with_their_targets(
    monitor: Monitor, store: SessionLog
) -> None:
    ana, ben = two_runners(store)
    assert monitor.runner is None
    assert monitor.status()["runner"] is None
    monitor.select_runner(ana.id)
    assert monitor.status()["runner"] == {
        "id": ana.id,
        "name": "Ana",
        "foot": "left",
        "calibration_id": None,
    }
    assert monitor.status()["set"]["foot"] == "left"  # the runner's foot by default
    t = feed(monitor, [(1, REST)])
    first = monitor.start_set()
    # Six-second holds: correct against Ana's 5 s target, short against the device's 8 s.
    t = feed(monitor, [(6, HOLD), (1, REST), (6, HOLD), (1, REST)], t)
    latest = monitor.latest()
    assert latest is not None
    assert latest["hold"]["target_s"] == 5.0
    assert latest["set"]["rep_target"] == 3
    monitor.stop_set()
    monitor.select_runner(ben.id)
    second = monitor.start_set()
    t = feed(monitor, [(6, HOLD), (1, REST)], t)
    monitor.stop_set()
    a, b = store.get_session(first), store.get_session(second)
    assert (a.runner_id, a.foot, a.correct, a.attempted) == (ana.id, "left", 2, 2)
    assert (b.runner_id, b.foot, b.correct, b.attempted) == (ben.id, "right", 0, 1)
    assert [s.id for s in Runners(store).history(ana.id or 0)] == [first]
    monitor.select_runner(None)
    third = monitor.start_set()
    monitor.stop_set()
    assert store.get_session(third).runner_id is None


def test_each_runner_keeps_their_own_calibration(monitor: Monitor, store: SessionLog) -> None:
    ana, ben = two_runners(store)
    device_id = monitor.save_calibration(monitor.calibration, "device")
    monitor.select_runner(ana.id)
    assert monitor.status()["calibration_id"] == device_id  # none of her own yet
    anas = monitor.calibration.with_tare([0.2, 0.1, 0.05])  # unloaded volts
    assert any(anas.tare_n)
    ana_cal = monitor.save_calibration(anas, "Ana's insole")
    assert Runners(store).get(ana.id or 0).calibration_id == ana_cal
    assert monitor.status()["runner"]["calibration_id"] == ana_cal
    monitor.select_runner(ben.id)
    assert monitor.status()["calibration_id"] == device_id
    assert monitor.calibration.tare_n == (0.0, 0.0, 0.0)
    feed(monitor, [(1, REST)])
    tared = monitor.tare()  # a tare with Ben chosen becomes Ben's calibration
    assert Runners(store).get(ben.id or 0).calibration_id == tared["calibration_id"]
    monitor.select_runner(ana.id)
    assert (monitor.status()["calibration_id"], monitor.calibration.tare_n) == (
        ana_cal,
        anas.tare_n,
    )
    monitor.select_runner(None)
    assert monitor.status()["calibration_id"] == device_id


def test_switching_is_refused_during_a_set(monitor: Monitor, store: SessionLog) -> None:
    ana, ben = two_runners(store)
    monitor.select_runner(ana.id)
    feed(monitor, [(0.5, REST)])
    session_id = monitor.start_set()
    with pytest.raises(SetStateError, match="stop the running set before switching runner"):
        monitor.select_runner(ben.id)
    with pytest.raises(SetStateError):
        monitor.select_runner(None)
    # Re-reading the current runner after an edit is allowed; the set keeps its targets.
    Runners(store).update(ana.id or 0, name="Ana B.", targets={"arch_hold": {"hold_s": 9}})
    assert monitor.select_runner(ana.id).name == "Ana B."  # type: ignore[union-attr]
    feed(monitor, [(1, HOLD)], 1.0)
    latest = monitor.latest()
    assert latest is not None
    assert latest["hold"]["target_s"] == 5.0
    monitor.stop_set()
    assert store.get_session(session_id).runner_id == ana.id
    monitor.start_set()
    feed(monitor, [(1, HOLD)], 3.0)
    latest = monitor.latest()
    assert latest is not None
    assert latest["hold"]["target_s"] == 9.0
    monitor.stop_set()
    with pytest.raises(RunnerNotFoundError):
        monitor.select_runner(99)
    assert monitor.runner is not None
    assert monitor.runner.id == ana.id


def test_programme_follows_the_runner(monitor: Monitor, store: SessionLog) -> None:
    ana, _ben = two_runners(store)
    assert monitor.programme() == DEFAULT_PROGRAMME
    monitor.select_runner(ana.id)
    step = monitor.programme().step_for("arch_hold")
    assert step is not None
    assert (step.hold_s, step.reps) == (5.0, 3)
    assert monitor.programme().step_for("lunge") == DEFAULT_PROGRAMME.step_for("lunge")


def test_status_event_announces_the_switch(monitor: Monitor, store: SessionLog) -> None:
    ana, _ben = two_runners(store)
    with monitor.subscribe() as sub:
        sub.get(0)
        monitor.select_runner(ana.id)
        events = []
        while (event := sub.get(0)) is not None:
            events.append(event)
    statuses = [data for kind, data in events if kind == "status"]
    assert statuses
    assert statuses[-1]["runner"]["name"] == "Ana"


def test_a_runner_deleted_behind_the_monitors_back_is_dropped(
    monitor: Monitor, store: SessionLog
) -> None:
    ana, _ben = two_runners(store)
    monitor.select_runner(ana.id)
    monitor.save_calibration(monitor.calibration.with_tare([0.2, 0.1, 0.05]), "Ana")
    Runners(store).delete(ana.id or 0)
    with pytest.raises(SetStateError, match="the chosen runner no longer exists"):
        monitor.start_set()
    assert monitor.runner is None
    assert monitor.status()["calibration_id"] is None  # the device calibration again
    session_id = monitor.start_set()
    monitor.stop_set()
    assert store.get_session(session_id).runner_id is None


def test_a_calibration_saved_for_a_deleted_runner_stays_the_devices(
    monitor: Monitor, store: SessionLog
) -> None:
    ana, ben = two_runners(store)
    monitor.select_runner(ana.id)
    Runners(store).delete(ana.id or 0)
    saved = monitor.save_calibration(monitor.calibration.with_tare([0.2, 0.1, 0.05]), "bench")
    assert monitor.runner is None
    assert monitor.status()["calibration_id"] == saved
    # The log writer carried on: a set starts and is logged.
    session_id = monitor.start_set()
    monitor.stop_set()
    assert store.get_session(session_id).calibration_id == saved
    monitor.select_runner(ben.id)
    monitor.select_runner(None)
    assert monitor.status()["calibration_id"] == saved


def test_choosing_nobody_again_during_a_set_is_no_switch(monitor: Monitor) -> None:
    monitor.start_set()
    assert monitor.select_runner(None) is None  # nobody was chosen: nothing changes
    monitor.stop_set()
