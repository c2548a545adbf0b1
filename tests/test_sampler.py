"""The sampler thread on the emulated chip: frames, gaps, health, listeners, recovery."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from firmware.adc import Ads1x15Adc, open_adc
from firmware.ads_emulator import EmulatedAds1x15, EmulatedI2CBus
from firmware.clock import FakeClock
from firmware.config import AdcConfig
from firmware.errors import AdcReadError
from firmware.foot_source import FootVolts, steady_stance
from firmware.health import HealthMonitor, HealthReport
from firmware.realtime import SAMPLER_PRIORITY, current_policy, request_realtime
from firmware.sampler import Listener, QueuedListener, Sampler
from insole.frames import VoltsFrame
from tests.sampler_support import T0, run_on_fake_clock


class Recorder(Listener):
    def __init__(self) -> None:
        self.frames: list[VoltsFrame] = []
        self.gaps: list[tuple[float, float, str]] = []
        self.health: list[HealthReport] = []
        self.errors: list[BaseException] = []

    def on_frame(self, frame: VoltsFrame) -> None:
        self.frames.append(frame)

    def on_gap(self, start_s: float, end_s: float, reason: str) -> None:
        self.gaps.append((start_s, end_s, reason))

    def on_health(self, report: HealthReport) -> None:
        self.health.append(report)

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def changes(self, sensor: str) -> list[tuple[float, str]]:
        """(time, state) each time ``sensor``'s reported state changed."""
        out: list[tuple[float, str]] = []
        for report in self.health:
            state = report.state_of(sensor)
            if not out or out[-1][1] != state:
                out.append((report.t_s - T0, state))
        return out


class Rig:
    def __init__(
        self, inputs: Callable[[int, float], float] | None = None, **bus_options: object
    ) -> None:
        self.config = AdcConfig()
        self.clock = FakeClock(T0)
        self.chip = EmulatedAds1x15(
            inputs=inputs or FootVolts(steady_stance(), self.config), noise_lsb=2.0
        )
        self.bus = EmulatedI2CBus(
            [self.chip],
            clock=self.clock,
            bus_hz=400_000,
            **bus_options,  # type: ignore[arg-type]
        )
        self.adc: Ads1x15Adc = open_adc(self.config, "emulated", emulator=self.bus)

    def at(self, t_s: float, action: Callable[[], object]) -> None:
        self.bus.schedule(T0 + t_s, action)

    def run(self, sampler: Sampler, until_s: float) -> None:
        """Run ``sampler`` until the fake clock reads ``until_s`` (seconds after T0)."""
        run_on_fake_clock(sampler, self.clock, until_s)


@pytest.fixture
def rig() -> Iterator[Rig]:
    rig = Rig()
    yield rig
    rig.adc.close()


def test_frames_arrive_at_the_rate_with_increasing_times(rig: Rig) -> None:
    recorder = Recorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 5.0)
    frames = recorder.frames
    times = [f.t_s for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert 495 <= len(frames) <= 510
    assert sampler.frame_rate_hz == pytest.approx(100.0, rel=0.03)
    assert recorder.gaps == []
    assert recorder.health == []
    assert all(0.5 < v < 3.2 for f in frames for v in f.volts)


def test_as_fast_as_the_chip_allows() -> None:
    rig = Rig()
    recorder = Recorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=None), 2.0)
    rig.adc.close()
    rate = len(recorder.frames) / 2.0
    assert 0.6 * 860 / 3 < rate < 860 / 3


def test_transient_errors_are_retried(rig: Rig) -> None:
    rig.bus.error_rate = 0.01
    recorder = Recorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 10.0)
    assert sampler.retries > 10
    assert len(recorder.frames) >= 0.98 * 1000


def test_failed_scans_are_marked_as_gaps(rig: Rig) -> None:
    rig.bus.error_rate = 0.15
    recorder = Recorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0, max_retries=0)
    rig.run(sampler, 5.0)
    assert sampler.failed_scans > 20
    assert recorder.gaps
    frame_times = {f.t_s for f in recorder.frames}
    for start_s, end_s, reason in recorder.gaps:
        assert start_s < end_s
        assert start_s in frame_times
        assert end_s in frame_times or end_s >= recorder.frames[-1].t_s
        assert "Errno 121" in reason
    assert all(isinstance(e, AdcReadError) for e in recorder.errors)
    assert len(recorder.errors) == len(recorder.gaps)


def test_unplugged_sensor_reported_within_a_second_and_cleared(rig: Rig) -> None:
    rig.at(2.0, lambda: rig.chip.disconnect_sensor(1))
    rig.at(7.0, lambda: rig.chip.reconnect_sensor(1))
    recorder = Recorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=100.0), 9.0)
    changes = recorder.changes("little_toe")
    assert [state for _, state in changes] == ["stuck_zero", "ok"]
    assert 2.0 < changes[0][0] < 3.0
    assert 7.0 < changes[1][0] < 8.0
    assert recorder.changes("heel") == [(recorder.health[0].t_s - T0, "ok")]
    final = recorder.health[-1]
    assert final.ok
    assert final.to_dict()["sensors"]["little_toe"]["state"] == "ok"


@pytest.mark.parametrize(("level", "state"), [("full_scale", "saturated"), ("zero", "stuck_zero")])
def test_stuck_channel_is_reported(rig: Rig, level: str, state: str) -> None:
    rig.at(1.0, lambda: rig.chip.stick_channel(2, level))  # type: ignore[arg-type]
    recorder = Recorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=100.0), 3.0)
    changes = recorder.changes("big_toe")
    assert changes[0][1] == state
    assert 1.0 < changes[0][0] < 2.0


def test_noisy_sensor_is_reported() -> None:
    steady = FootVolts(steady_stance(), AdcConfig())
    rng = random.Random(1)

    def inputs(channel: int, t_s: float) -> float:
        volts = steady(channel, t_s)
        if channel == 0 and t_s > T0 + 1.0:
            volts -= rng.uniform(0.0, 1.5)  # a loose contact
        return volts

    rig = Rig(inputs)
    recorder = Recorder()
    rig.run(Sampler(rig.adc, [recorder], rate_hz=100.0), 3.0)
    rig.adc.close()
    changes = recorder.changes("heel")
    assert changes[0][1] == "noisy"
    assert 1.0 < changes[0][0] < 2.0


def test_health_rules_on_their_own() -> None:
    monitor = HealthMonitor(window_s=0.5, settle_s=0.2)
    reports = [
        monitor.update(VoltsFrame(i * 0.01, 0.0, 0.0, 0.0)) for i in range(200)
    ]  # an unloaded foot reads 0 V everywhere: that is not a fault
    assert all(r is None for r in reports)
    assert monitor.report().ok


def test_a_failing_listener_gets_on_error_and_others_go_on(rig: Rig) -> None:
    class Broken(Recorder):
        def on_frame(self, frame: VoltsFrame) -> None:
            raise RuntimeError("listener bug")

    broken, healthy = Broken(), Recorder()
    sampler = Sampler(rig.adc, [broken, healthy], rate_hz=100.0)
    rig.run(sampler, 1.0)
    assert len(healthy.frames) >= 99
    assert len(broken.errors) == len(healthy.frames)
    assert all(str(e) == "listener bug" for e in broken.errors)
    assert sampler.frames == len(healthy.frames)


def test_chip_vanishing_and_returning_recovers_automatically(rig: Rig) -> None:
    rig.at(2.0, rig.chip.vanish)
    rig.at(3.0, rig.chip.reappear)
    recorder = Recorder()
    sampler = Sampler(rig.adc, [recorder], rate_hz=100.0)
    rig.run(sampler, 6.0)
    assert sampler.reconnects >= 1
    assert len(recorder.gaps) == 1
    start_s, end_s, reason = recorder.gaps[0]
    assert 1.9 < start_s - T0 <= 2.0
    assert 3.0 <= end_s - T0 < 3.5
    assert "Errno 121" in reason
    assert sum(f.t_s > end_s for f in recorder.frames) > 200


def test_slow_listener_behind_a_queue_does_not_stall_sampling() -> None:
    """Real clock: a listener taking 20 ms per frame, 100 frames/s, queue of 5."""
    config = AdcConfig()
    adc = open_adc(config, "emulated", FootVolts(steady_stance(), config))
    release = threading.Event()

    class Slow(Recorder):
        def on_frame(self, frame: VoltsFrame) -> None:
            release.wait(0.02)
            super().on_frame(frame)

    slow, fast = Slow(), Recorder()
    queued = QueuedListener(slow, maxsize=5)
    sampler = Sampler(adc, [queued, fast], rate_hz=100.0)
    with sampler:
        time.sleep(0.5)
    release.set()
    queued.close()
    adc.close()
    assert sampler.frames == len(fast.frames)
    assert queued.dropped > 0
    assert len(slow.frames) + queued.dropped == len(fast.frames)
    assert len(slow.frames) < len(fast.frames)


def test_real_time_run_and_clean_close() -> None:
    config = AdcConfig(data_rate_sps=475)
    with open_adc(config, "emulated", FootVolts(steady_stance(), config), bus_hz=400_000) as adc:
        recorder = Recorder()
        sampler = Sampler(adc, [recorder], rate_hz=50.0)
        with sampler:
            time.sleep(0.3)
            assert sampler.running
        assert not sampler.running
        sampler.close()  # idempotent
        with pytest.raises(RuntimeError, match="closed"):
            sampler.start()
    times = [f.t_s for f in recorder.frames]
    assert len(times) >= 5
    assert all(b > a for a, b in itertools.pairwise(times))


class SometimesSlow(Recorder):
    """Every 10th frame the thread is held up for 25 ms (a busy machine)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def on_frame(self, frame: VoltsFrame) -> None:
        super().on_frame(frame)
        if len(self.frames) % 10 == 0:
            self.clock.advance(0.025)


def test_late_scans_are_made_up_so_the_rate_holds(rig: Rig) -> None:
    listener = SometimesSlow(rig.clock)
    sampler = Sampler(rig.adc, [listener], rate_hz=100.0)
    rig.run(sampler, 5.0)
    # 2.5 periods lost every 10 frames would leave 80 frames/s without the catch-up.
    assert len(listener.frames) >= 490
    assert listener.gaps == []


class PolicyRecorder(Listener):
    """Notes the scheduling policy of the thread that delivers frames."""

    def __init__(self) -> None:
        self.policies: set[str] = set()

    def on_frame(self, frame: VoltsFrame) -> None:
        self.policies.add(current_policy())


def test_real_time_priority_is_asked_on_the_real_clock_only() -> None:
    config = AdcConfig(data_rate_sps=475)
    with open_adc(config, "emulated", FootVolts(steady_stance(), config), bus_hz=400_000) as adc:
        recorder = PolicyRecorder()
        sampler = Sampler(adc, [recorder], rate_hz=50.0, realtime_priority=SAMPLER_PRIORITY)
        with sampler:
            time.sleep(0.2)
    # Granted (root, CAP_SYS_NICE or RLIMIT_RTPRIO) or refused: the flag tells the truth.
    assert recorder.policies == ({"fifo"} if sampler.realtime else {"normal"})
    # On a fake clock the loop never sleeps: it must not get a real-time priority.
    rig = Rig()
    with rig.adc:
        recorder = PolicyRecorder()
        sampler = Sampler(rig.adc, [recorder], rate_hz=50.0, realtime_priority=SAMPLER_PRIORITY)
        rig.run(sampler, 0.2)
    assert not sampler.realtime
    assert recorder.policies == {"normal"}


def test_a_real_time_priority_outside_1_to_99_is_rejected() -> None:
    with pytest.raises(ValueError, match="1-99"):
        request_realtime(0)


def test_rate_beyond_the_chip_is_rejected(rig: Rig) -> None:
    with pytest.raises(ValueError, match=r"at most 286.7 \(data rate 860 SPS / 3 channels\)"):
        Sampler(rig.adc, rate_hz=300.0)


def test_listeners_can_be_added_and_removed(rig: Rig) -> None:
    first, second = Recorder(), Recorder()
    sampler = Sampler(rig.adc, [first], rate_hz=100.0)
    sampler.add_listener(second)
    sampler.remove_listener(first)
    rig.run(sampler, 0.5)
    assert first.frames == []
    assert len(second.frames) >= 45


def test_continuous_strategy_at_full_speed_only() -> None:
    config = AdcConfig()
    clock = FakeClock(T0)
    chip = EmulatedAds1x15(inputs=FootVolts(steady_stance(), config))
    bus = EmulatedI2CBus([chip], clock=clock, bus_hz=400_000)
    with open_adc(config, "emulated", emulator=bus, strategy="continuous") as adc:
        with pytest.raises(ValueError, match="rate_hz=None"):
            Sampler(adc, rate_hz=100.0)
        recorder = Recorder()
        with Sampler(adc, [recorder], rate_hz=None):
            while clock.monotonic() < T0 + 2.0:
                time.sleep(0.002)
    times = [f.t_s for f in recorder.frames]
    assert times == sorted(times)
    assert len(times) > 0.85 * 2.0 * 860 / 3
    assert recorder.gaps == []
