"""The two-insole monitor over a real SQLite log: one counter per foot, linked sessions,
the two-foot frame event, and a fault of one insole that stays that foot's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firmware.clock import SYSTEM_CLOCK
from firmware.config import DeviceConfig
from firmware.feet_adc import FeetFrame, FootAdcError, open_feet_adc
from firmware.feet_monitor import FeetMonitor
from firmware.foot_source import FootVolts, FunctionSource
from firmware.monitor import SetStateError, SourceInfo
from firmware.sampler import Sampler
from insole.calibration import Calibration
from insole.exercises.examples import EXPECTED, example_name
from insole.frames import VoltsFrame
from insole.recording_csv import read_recording
from insole.runners import Runner, Runners
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.store import SessionLog
from tests.monitor_support import drain
from tests.scripted import HOLD, REST, scripted, to_volts

NOW = datetime(2026, 3, 1, tzinfo=UTC)
EXAMPLES = Path(__file__).parent.parent / "examples"
SIM = SourceInfo("emulated", True, "two test insoles")
HALF = tuple(0.5 * f for f in HOLD)


@pytest.fixture
def monitor(store: SessionLog) -> Iterator[FeetMonitor]:
    with FeetMonitor(store, SIM) as mon:
        yield mon


def feed(
    monitor: FeetMonitor,
    left: list,
    right: list | None,
    t0: float = 0.0,
) -> float:
    """Scans of both feet (``right=None``: the right chip fails throughout)."""
    lefts = to_volts(scripted(left))
    rights = to_volts(scripted(right)) if right is not None else [None] * len(lefts)
    assert len(rights) == len(lefts)
    for lf, rf in zip(lefts, rights, strict=True):
        t = lf.t_s + t0
        monitor.on_feet(
            FeetFrame(
                t,
                VoltsFrame(t, *lf[1:]),
                None if rf is None else VoltsFrame(t, *rf[1:]),
            )
        )
    return t0 + lefts[-1].t_s + 0.01


def test_a_two_foot_set_is_two_linked_sessions(monitor: FeetMonitor, store: SessionLog) -> None:
    with monitor.subscribe() as sub:
        drain(sub)
        t = feed(monitor, [(1, REST)], [(1, REST)])
        left_id = monitor.start_set("arch_hold")
        ids = monitor.status()["set"]["session_ids"]
        t = feed(
            monitor,
            [(1, REST), (9, HOLD), (2, REST), (9, HOLD), (1, REST)],
            [(1, REST), (9, HALF), (2, REST), (4, HALF), (6, REST)],
            t,
        )
        summary = monitor.stop_set()
        events = drain(sub)
    right_id = ids["right"]
    assert ids["left"] == left_id != right_id
    assert summary["feet"]["left"] == {"session_id": left_id, "correct": 2, "attempted": 2}
    assert summary["feet"]["right"] == {"session_id": right_id, "correct": 1, "attempted": 2}
    assert (summary["correct"], summary["attempted"]) == (3, 4)
    left, right = store.get_session(left_id), store.get_session(right_id)
    assert (left.foot, right.foot) == ("left", "right")
    assert left.meta["pair"] == {"session_id": right_id, "foot": "right"}
    assert right.meta["pair"] == {"session_id": left_id, "foot": "left"}
    sym = left.meta["symmetry"]
    assert sym == right.meta["symmetry"]
    # 13 s with the right at half the left's load (share 2/3), 5 s with the left alone.
    assert sym["left_load_share"] == pytest.approx((13 * 2 / 3 + 5) / 18, abs=0.01)
    assert (sym["left"]["correct"], sym["right"]["correct"]) == (2, 1)
    assert [h.outcome for h in store.holds(right_id)] == ["correct", "short"]
    lf, rf = store.frames_array(left_id), store.frames_array(right_id)
    assert len(lf) == len(rf) == 2200
    assert (lf[:, 0] == rf[:, 0]).all()  # one time origin: the frames pair exactly
    assert lf[0, 0] == 0.0
    assert rf[200, 1:].sum() == pytest.approx(50.0, abs=0.5)
    ended = [d for k, d in events if k == "hold_ended"]
    assert sorted(d["foot"] for d in ended) == ["left", "left", "right", "right"]
    frame = next(d for k, d in reversed(events) if k == "frame")
    assert set(frame) == {"t_s", "feet", "symmetry"}


def test_the_frame_event_carries_both_feet(monitor: FeetMonitor) -> None:
    assert monitor.latest() is None
    feed(monitor, [(1, REST), (3, HOLD)], [(1, REST), (3, HALF)])
    latest = monitor.latest()
    assert latest is not None
    left, right = latest["feet"]["left"], latest["feet"]["right"]
    assert left["hold"]["state"] == right["hold"]["state"] == "holding"
    assert left["set"]["running"] is False
    assert left["total_n"] == pytest.approx(100.0, rel=0.02)
    assert right["total_n"] == pytest.approx(50.0, rel=0.02)
    assert latest["symmetry"]["left_share_now"] == pytest.approx(2 / 3, abs=0.01)
    assert latest["symmetry"]["left_load_share"] == pytest.approx(2 / 3, abs=0.02)
    assert latest["symmetry"]["load_asymmetry_pct"] == pytest.approx(66.7, abs=2)


def test_a_failed_right_chip_stops_only_the_right_foot(monitor: FeetMonitor) -> None:
    with monitor.subscribe() as sub:
        t = feed(monitor, [(1, REST), (2, HOLD)], [(1, REST), (2, HOLD)])
        monitor.on_error(FootAdcError("right", "right insole (0x49): [Errno 121] no ACK"))
        monitor.on_foot_gap("right", t - 0.01, t + 1, "[Errno 121] no ACK")
        # The watch notices that no right frame arrives (a real timer of 0.3 s).
        t = feed(monitor, [(8, HOLD)], None, t)
        deadline = time.monotonic() + 5
        while monitor.status()["feet"]["right"]["ok"] and time.monotonic() < deadline:
            time.sleep(0.02)
        status = monitor.status()
        latest = monitor.latest()
        events = drain(sub)
    assert status["feet"]["right"]["sensors"]["heel"]["state"] == "no_signal"
    assert status["feet"]["left"]["ok"] is True
    assert any(b["key"] == "adc_fault.right" for b in status["banners"])
    assert not any(b["key"] == "adc_fault.left" for b in status["banners"])
    assert latest is not None
    assert latest["feet"]["right"] is None
    assert latest["feet"]["left"]["hold"]["state"] == "holding"
    ended = [d for k, d in events if k == "hold_ended"]
    # The right hold was cut by the gap; the left one went on through it.
    assert [d["foot"] for d in ended] == ["right"]
    assert ended[0]["outcome"] == "short"
    gap = next(d for k, d in events if k == "gap")
    assert gap["foot"] == "right"
    # Frames of the right foot again: the fault clears.
    feed(monitor, [(0.5, HOLD)], [(0.5, HOLD)], t)
    assert monitor.status()["feet"]["right"]["ok"] is True


def test_per_foot_health_raises_its_own_banner(monitor: FeetMonitor) -> None:
    monitor.on_foot_health("left", {"big_toe": {"state": "disconnected", "message": "0 V"}})
    status = monitor.status()
    keys = [b["key"] for b in status["banners"]]
    assert "foot_sensor_fault.left.big_toe" in keys
    assert status["feet"]["left"]["ok"] is False
    assert status["feet"]["right"]["ok"] is True
    assert status["health"]["ok"] is False


def test_tare_zeroes_each_foot_on_its_own(monitor: FeetMonitor, store: SessionLog) -> None:
    with pytest.raises(SetStateError, match="both insoles"):
        monitor.tare()
    feed(monitor, [(1, (2.0, 1.0, 1.0))], [(1, (4.0, 2.0, 3.0))])
    result = monitor.tare()
    assert result["feet"]["left"]["tare_n"]["heel"] == pytest.approx(2.0, rel=0.01)
    assert result["feet"]["right"]["tare_n"]["big_toe"] == pytest.approx(3.0, rel=0.01)
    assert monitor.calibration_of("right").tare_n[0] == pytest.approx(4.0, rel=0.01)
    stored = [Calibration.from_dict(store.calibration(result["feet"][s]["calibration_id"]))
              for s in ("left", "right")]
    assert stored[0].tare_n[0] == pytest.approx(2.0, rel=0.01)
    assert stored[1].tare_n[0] == pytest.approx(4.0, rel=0.01)
    with pytest.raises(SetStateError, match="one insole"):
        monitor.capture_target()


def test_delete_all_leaves_no_foot_on_a_deleted_calibration(monitor: FeetMonitor) -> None:
    feed(monitor, [(1, (2.0, 1.0, 1.0))], [(1, (4.0, 2.0, 3.0))])
    monitor.tare()
    assert monitor.calibration_of("right").tare_n[0] == pytest.approx(4.0, rel=0.01)
    monitor.replace_stored_data(SessionLog.delete_all)
    # Both feet are back on the defaults the emptied log gives, like the monitor itself.
    for side in ("left", "right"):
        assert monitor.calibration_of(side).tare_n == (0.0, 0.0, 0.0)


def test_monitor_on_the_emulated_two_chip_bus(store: SessionLog) -> None:
    """The whole chain: two emulated chips, the real driver, the sampler, the monitor."""
    device = DeviceConfig(feet="both")
    sources = {
        "left": FootVolts(FunctionSource(lambda t: HOLD), device.adc_for("left")),
        "right": FootVolts(FunctionSource(lambda t: HALF), device.adc_for("right")),
    }
    with (
        open_feet_adc(device, "emulated", sources, clock=SYSTEM_CLOCK) as adc,
        FeetMonitor(store, SIM) as mon,
        Sampler(adc, [mon], rate_hz=100.0),
    ):
        deadline = time.monotonic() + 10
        while (mon.latest() is None or mon.latest()["t_s"] < 0.3) and time.monotonic() < deadline:
            time.sleep(0.02)
        latest = mon.latest()
    assert latest is not None
    assert latest["feet"]["left"]["total_n"] == pytest.approx(100.0, rel=0.03)
    assert latest["feet"]["right"]["total_n"] == pytest.approx(50.0, rel=0.03)


def test_a_rep_mode_on_both_feet_logs_each_foots_reps(
    monitor: FeetMonitor, store: SessionLog
) -> None:
    recording = read_recording(EXAMPLES / example_name("squat"))
    curve, divider = FsrCurve(), Divider()

    def volts(t: float, forces: tuple[float, ...]) -> VoltsFrame:
        return VoltsFrame(t, *(force_to_volts(f, curve, divider) for f in forces))

    monitor.start_set("squat")
    ids = monitor.status()["set"]["session_ids"]
    for f in recording:
        right = tuple(0.8 * x for x in f.forces_n)
        monitor.on_feet(FeetFrame(f.t_s, volts(f.t_s, f.forces_n), volts(f.t_s, right)))
    summary = monitor.stop_set()
    expected = len(EXPECTED["squat"])
    assert len(store.reps(ids["left"])) == len(store.reps(ids["right"])) == expected
    assert summary["feet"]["left"]["attempted"] == expected
    assert store.get_session(ids["right"]).exercise == "squat"
    share = store.get_session(ids["left"]).meta["symmetry"]["left_load_share"]
    assert share == pytest.approx(1 / 1.8, abs=0.01)


def test_both_sessions_belong_to_the_chosen_runner(
    monitor: FeetMonitor, store: SessionLog
) -> None:
    runner = Runners(store).add(Runner("Ana", "left", {"arch_hold": {"reps": 6}}), NOW)
    monitor.select_runner(runner.id)
    feed(monitor, [(1, REST)], [(1, REST)])
    monitor.start_set("arch_hold")
    ids = monitor.status()["set"]["session_ids"]
    t = feed(monitor, [(1, REST), (9, HOLD)], [(1, REST), (9, HALF)], 1.0)
    latest = monitor.latest()
    monitor.stop_set()
    assert {store.get_session(ids[s]).runner_id for s in ("left", "right")} == {runner.id}
    assert latest is not None
    # The runner's programme sets the rep target of both feet's counters.
    assert latest["feet"]["left"]["set"]["rep_target"] == 6
    assert latest["feet"]["right"]["set"]["rep_target"] == 6
    assert t > 0
