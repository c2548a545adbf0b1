"""The guided session on a real monitor over a real session log, fed frames like the sampler.

The programme is the article's default (``monitor.programme()``): three warm-up items,
arch hold 1 x 10 holds of 8 s, sit-to-stand 2 x 8, squat 2 x 8, band hold 1 x 5 holds
of 10 s, lunge 3 x 20, two cool-down items.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from firmware.feet_adc import FeetFrame
from firmware.feet_monitor import FeetMonitor
from firmware.guided import GuidedHub, GuidedStateError, set_targets
from firmware.monitor import Monitor, SetStateError, SourceInfo
from insole.errors import SettingsError
from insole.frames import Frame, VoltsFrame
from insole.programme import DEFAULT_PROGRAMME, GuidedSession
from insole.runners import Runner, Runners
from insole.settings import Settings
from insole.sim_script import Script
from insole.simulator import SimulatedFoot
from insole.store import SessionLog
from tests.scripted import HOLD, REST, scripted, to_volts

SIM = SourceInfo("emulated", True, "test insole")
WARM_UP = len(DEFAULT_PROGRAMME.warm_up)
ARCH_SET = WARM_UP  # stage index of the arch hold's only set
ARCH_REST = ARCH_SET + 1
STS_SET_1 = ARCH_REST + 1
STS_REST_1 = STS_SET_1 + 1
STS_SET_2 = STS_REST_1 + 1
CLEAN_RISES = "rest 3; hold 3; " + "rise 4; hold 2; " * 8 + "hold 1"


class Feeder:
    """Feeds frames on one continuous monitor clock."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.t_s = 100.0
        self.seen: list[dict[str, Any]] = []

    def frames(self, frames: list[Frame], watch: bool = False) -> None:
        t0 = self.t_s
        for f in to_volts(frames):
            self.monitor.process(VoltsFrame(t0 + f.t_s, *f[1:]))
            if watch:
                latest = self.monitor.latest()
                assert latest is not None
                self.seen.append(latest)
        self.t_s = t0 + frames[-1].t_s + 0.01

    def segments(self, segments: list[tuple[float, tuple[float, float, float]]]) -> None:
        self.frames(scripted(segments))

    def script(self, text: str, watch: bool = False) -> None:
        self.frames(list(SimulatedFoot(Script.parse(text), 0).frames(100.0)), watch)


@pytest.fixture
def feeder(monitor: Monitor) -> Feeder:
    feed = Feeder(monitor)
    feed.segments([(1, REST)])
    return feed


def tick_warm_up(hub: GuidedHub) -> None:
    for stage in range(WARM_UP):
        state = hub.advance(stage)
    assert state["stage"]["kind"] == "set"


def test_a_guided_session_runs_warm_up_set_rest_and_the_next_set(
    monitor: Monitor, store: SessionLog, feeder: Feeder
) -> None:
    hub = monitor.guided
    state = hub.begin()
    assert state["active"]
    assert state["position"] == 0
    assert state["stage"]["kind"] == "warm_up"
    assert state["stage"]["item"]["key"] == "roll_front_thigh"
    assert state["next"]["item"]["key"] == "roll_outer_thigh"
    assert state["stage_count"] == len(GuidedSession(DEFAULT_PROGRAMME).stages)
    tick_warm_up(hub)
    state = hub.state()
    assert [r["status"] for r in state["results"]] == ["ticked"] * WARM_UP
    assert state["stage"]["step"]["mode"] == "arch_hold"

    state = hub.start_set(ARCH_SET)
    session_id = state["set"]["session_id"]
    assert state["set"]["running"]
    assert monitor.status()["set"]["exercise"] == "arch_hold"
    stored = store.get_session(session_id)
    assert stored is not None
    assert stored.exercise == "arch_hold"
    # Ten correct holds reach the step's rep target: the hub stops the set itself.
    feeder.segments([(1.0, REST)] + [(9.0, HOLD), (2.0, REST)] * 10)
    state = hub.state()
    assert not state["set"]["running"]
    assert state["results"][-1] == {
        "stage": ARCH_SET, "kind": "set", "status": "done", "mode": "arch_hold",
        "set_number": 1, "session_id": session_id, "correct": 10, "attempted": 10,
    }
    assert monitor.status()["set"]["running"] is False
    session = store.get_session(session_id)
    assert session is not None
    assert (session.status, session.correct) == ("completed", 10)

    # The rest counts down on the monitor's clock (the frames' time), then ends by itself.
    assert state["stage"]["kind"] == "rest"
    assert state["position"] == ARCH_REST
    assert state["rest"]["left_s"] == pytest.approx(60.0, abs=0.05)
    feeder.segments([(20, REST)])
    assert hub.state()["rest"]["left_s"] == pytest.approx(40.0, abs=0.05)
    feeder.segments([(41, REST)])
    state = hub.state()
    assert state["position"] == STS_SET_1
    assert state["stage"]["step"]["mode"] == "sit_to_stand"
    assert state["stage"]["set_number"] == 1


def test_a_sit_to_stand_set_takes_the_steps_reps_and_shows_its_phases(
    monitor: Monitor, store: SessionLog, feeder: Feeder
) -> None:
    hub = monitor.guided
    hub.begin()
    tick_warm_up(hub)
    hub.advance(ARCH_SET)  # skip the arch hold
    state = hub.advance(ARCH_REST)  # and its rest
    assert state["results"][-2:] == [
        {"stage": ARCH_SET, "kind": "set", "status": "skipped", "mode": "arch_hold",
         "set_number": 1},
        {"stage": ARCH_REST, "kind": "rest", "status": "skipped", "mode": "arch_hold",
         "set_number": 1},
    ]
    state = hub.start_set(STS_SET_1, foot="left")
    session = store.get_session(state["set"]["session_id"])
    assert session is not None
    assert (session.exercise, session.foot) == ("sit_to_stand", "left")
    assert session.settings["rep_target"] == 8  # the step's reps, not the settings' 10
    assert monitor.settings.rep_target == 10  # nothing saved
    feeder.script(CLEAN_RISES, watch=True)
    phases = {frame["rep"]["phase"] for frame in feeder.seen}
    assert phases == {"idle", "rise", "stand", "descent"}
    assert max(frame["set"]["correct"] for frame in feeder.seen) == 8
    assert {frame["set"]["rep_target"] for frame in feeder.seen} == {8}
    state = hub.state()
    assert state["results"][-1]["status"] == "done"
    assert (state["results"][-1]["correct"], state["results"][-1]["attempted"]) == (8, 8)
    assert state["position"] == STS_REST_1
    assert len(store.reps(state["results"][-1]["session_id"])) == 8


def test_a_set_stopped_elsewhere_ends_the_stage(monitor: Monitor, feeder: Feeder) -> None:
    hub = monitor.guided
    hub.begin()
    tick_warm_up(hub)
    hub.start_set(ARCH_SET)
    feeder.segments([(9, HOLD), (2, REST)])
    summary = monitor.stop_set()  # the live page or the device button
    state = hub.state()
    assert state["position"] == ARCH_REST
    assert state["results"][-1]["status"] == "stopped"
    assert state["results"][-1]["correct"] == summary["correct"] == 1


def test_a_set_of_the_live_page_is_not_the_guided_one(monitor: Monitor, feeder: Feeder) -> None:
    hub = monitor.guided
    hub.begin()
    tick_warm_up(hub)
    monitor.start_set("squat")
    with pytest.raises(SetStateError, match="already running"):
        hub.start_set(ARCH_SET)
    monitor.stop_set()
    state = hub.state()
    assert state["position"] == ARCH_SET
    assert not state["set"]["running"]


def test_hold_modes_take_the_steps_hold_time(monitor: Monitor, feeder: Feeder) -> None:
    hub = monitor.guided
    state = hub.begin()
    band_set = next(
        i for i, s in enumerate(state["stages"])
        if s["kind"] == "set" and state["programme"]["steps"][s["step_index"]]["mode"]
        == "band_hold"
    )
    for stage in range(band_set):
        hub.advance(stage)
    hub.start_set(band_set)
    feeder.segments([(1, HOLD)])
    latest = monitor.latest()
    assert latest is not None
    assert latest["exercise"] == "band_hold"
    assert latest["hold"]["target_s"] == 10.0
    assert latest["set"]["rep_target"] == 5
    assert set(latest["band"]) == {"band_n", "ref_n", "in_pull", "pull_depth", "pulls", "deepest"}


def test_actions_name_the_stage_so_two_tablets_tick_once(monitor: Monitor) -> None:
    hub = monitor.guided
    with pytest.raises(GuidedStateError, match="no guided session"):
        hub.advance(0)
    hub.begin()
    hub.advance(0)
    with pytest.raises(GuidedStateError, match="moved on to stage 1"):
        hub.advance(0)  # the second tablet's tap on the same item
    with pytest.raises(GuidedStateError, match="not a set"):
        hub.start_set(1)
    with pytest.raises(GuidedStateError, match="already running"):
        hub.begin()
    assert [r["stage"] for r in hub.state()["results"]] == [0]


def test_a_running_set_cannot_be_skipped_and_ending_stops_it(
    monitor: Monitor, store: SessionLog, feeder: Feeder
) -> None:
    hub = monitor.guided
    hub.begin()
    tick_warm_up(hub)
    session_id = hub.start_set(ARCH_SET)["set"]["session_id"]
    with pytest.raises(GuidedStateError, match="stop it"):
        hub.advance(ARCH_SET)
    feeder.segments([(2, HOLD)])
    state = hub.end()
    assert not state["active"]
    assert state["stage"] is None
    assert monitor.status()["set"]["running"] is False
    session = store.get_session(session_id)
    assert session is not None
    assert session.status == "completed"
    with pytest.raises(GuidedStateError, match="no guided session"):
        hub.end()
    # The overview of the programme is there before a session starts.
    assert len(state["stages"]) == state["stage_count"] > 10


def test_the_whole_programme_ends_in_done_and_a_new_session_may_start(monitor: Monitor) -> None:
    hub = monitor.guided
    state = hub.begin()
    while state["stage"]["kind"] != "done":
        state = hub.advance(state["position"])
    assert state["next"] is None
    assert len(state["results"]) == state["stage_count"] - 1
    with pytest.raises(GuidedStateError, match="complete"):
        hub.advance(state["position"])
    assert hub.begin()["position"] == 0


def test_every_change_is_published_as_a_guided_event(monitor: Monitor) -> None:
    with monitor.subscribe() as sub:
        hub = monitor.guided
        hub.begin()
        hub.advance(0)
        events = []
        while (event := sub.get(0)) is not None:
            events.append(event)
    guided = [data for kind, data in events if kind == "guided"]
    assert [g["position"] for g in guided] == [0, 1]
    assert guided[1]["revision"] == guided[0]["revision"] + 1


def test_set_targets_follow_the_step() -> None:
    stages = GuidedSession(DEFAULT_PROGRAMME).stages
    arch = stages[ARCH_SET]
    assert set_targets(arch, Settings()) == {
        "rep_target": 10, "set_done_at": 5, "hold_target_s": 8.0,
    }
    sts = stages[STS_SET_1]
    assert set_targets(sts, Settings(set_done_at=9, rep_target=10)) == {
        "rep_target": 8, "set_done_at": 8,
    }
    with pytest.raises(GuidedStateError, match="not a set"):
        set_targets(stages[0], Settings())


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"min_share": 0.2}, "min_share: is not a set target; allowed: rep_target"),
        ({"rep_target": 0}, "rep_target: must be"),
        ({"hold_target_s": 500.0}, "hold_target_s: must be"),
        ({"rep_target": 4, "set_done_at": 6}, "set_done_at: must not exceed rep_target"),
    ],
)
def test_bad_set_targets_are_refused_and_start_nothing(
    monitor: Monitor, store: SessionLog, targets: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        monitor.start_set("squat", targets=targets)
    assert monitor.status()["set"]["running"] is False
    assert store.list_sessions() == []


def test_settings_changed_mid_set_keep_the_sets_targets(monitor: Monitor, feeder: Feeder) -> None:
    monitor.start_set("arch_hold", targets={"rep_target": 3, "hold_target_s": 5.0})
    feeder.segments([(6, HOLD), (2, REST)])
    monitor.update_settings({"min_share": 0.12})
    feeder.segments([(1, HOLD)])
    latest = monitor.latest()
    assert latest is not None
    assert (latest["set"]["rep_target"], latest["hold"]["target_s"]) == (3, 5.0)
    assert latest["set"]["correct"] == 1


def next_guided(sub: Any, position: int, timeout_s: float = 10.0) -> dict[str, Any]:
    """Wait for a ``guided`` event at ``position`` (sent by the hub's worker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        event = sub.get(0.1)
        if event is not None and event[0] == "guided" and event[1]["position"] == position:
            data: dict[str, Any] = event[1]
            return data
    raise AssertionError(f"no guided event at stage {position} within {timeout_s:g} s")


def test_the_worker_ends_the_set_and_the_rest_without_any_request(
    monitor: Monitor, feeder: Feeder
) -> None:
    hub = monitor.guided
    hub.begin()
    tick_warm_up(hub)
    hub.start_set(ARCH_SET)
    with monitor.subscribe() as sub:
        feeder.segments([(1.0, REST)] + [(9.0, HOLD), (2.0, REST)] * 10)
        rest = next_guided(sub, ARCH_REST)
        assert rest["results"][-1]["status"] == "done"
        assert monitor.status()["set"]["running"] is False
        feeder.segments([(61, REST)])
        state = next_guided(sub, STS_SET_1)
    assert state["stage"]["step"]["mode"] == "sit_to_stand"


def test_the_session_follows_the_current_runners_programme(
    monitor: Monitor, store: SessionLog, feeder: Feeder
) -> None:
    ana = Runners(store).add(
        Runner("Ana", "left", {"sit_to_stand": {"sets": 3, "reps": 5}}), datetime.now(UTC)
    )
    monitor.select_runner(ana.id)
    hub = monitor.guided
    state = hub.begin()
    assert state["programme"] == monitor.programme().to_dict()
    assert state["programme"]["steps"][1]["sets"] == 3
    tick_warm_up(hub)
    hub.advance(ARCH_SET)
    hub.advance(ARCH_REST)
    session_id = hub.start_set(STS_SET_1)["set"]["session_id"]
    session = store.get_session(session_id)
    assert (session.foot, session.runner_id) == ("left", ana.id)  # the runner's foot
    assert session.settings["rep_target"] == 5
    feeder.segments([(1, REST)])
    latest = monitor.latest()
    assert latest is not None
    assert latest["set"]["rep_target"] == 5


def test_with_two_insoles_the_set_ends_when_a_foot_reaches_the_target(store: SessionLog) -> None:
    def scans(segments: list[tuple[float, tuple[float, float, float]]], t0: float) -> float:
        volts = to_volts(scripted(segments))
        for f in volts:
            t = t0 + f.t_s
            monitor.on_feet(FeetFrame(t, VoltsFrame(t, *f[1:]), VoltsFrame(t, *f[1:])))
        return t0 + volts[-1].t_s + 0.01

    with FeetMonitor(store, SIM) as monitor:
        hub = monitor.guided
        t = scans([(1.0, REST)], 100.0)
        hub.begin()
        tick_warm_up(hub)
        state = hub.start_set(ARCH_SET)
        ids = set(monitor.status()["set"]["session_ids"].values())
        assert state["set"]["session_id"] in ids
        assert {store.get_session(i).settings["hold_target_s"] for i in ids} == {8.0}
        t = scans([(1.0, REST)] + [(9.0, HOLD), (2.0, REST)] * 10, t)
        state = hub.state()
        assert state["position"] == ARCH_REST
        assert state["results"][-1]["status"] == "done"
        assert state["rest"]["left_s"] == pytest.approx(60.0, abs=0.05)
        scans([(61.0, REST)], t)
        assert hub.state()["position"] == STS_SET_1  # the rest ran on the scans' clock
