"""The real service, driven in-process, for the power-cut test (run as a child process).

``python -m tests.reliability.power_cut_driver DATA_DIR SEED`` starts
``firmware.service.Service`` exactly as ``insole-monitor serve --source emulated`` does
(session log, emulated ADC through the real driver, sampler, monitor, waitress) and then
starts and stops sets on a random schedule while the simulated foot makes short holds. It
prints one JSON line per event, flushed at once, with the CLOCK_MONOTONIC time (shared by
every process on the machine), so the parent that SIGKILLs it knows what had happened
before the kill.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

from firmware.monitor import Monitor
from firmware.sampler import Listener
from firmware.service import Service, ServiceOptions
from insole.frames import VoltsFrame

SCRIPT = "rest 1.5; hold 3; rest 1.5; hold 2.5"
"""Short holds so that a few seconds see holds start and end (hold target 2 s here)."""
HOLD_TARGET_S = 2.0


def say(event: str, **data: Any) -> None:
    """One JSON line on stdout, flushed (the parent reads it before the kill)."""
    sys.stdout.write(json.dumps({"event": event, "mono": time.monotonic(), **data}) + "\n")
    sys.stdout.flush()


class SetWatch(Listener):
    """After the monitor on the sampler thread: reports each set's first frame time."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.session_id: int | None = None

    def on_frame(self, frame: VoltsFrame) -> None:
        """Compare the running set with the last one seen; a new one starts at this frame."""
        session_id = self.monitor.status()["set"]["session_id"]
        if session_id != self.session_id:
            self.session_id = session_id
            if session_id is not None:
                say("t0", session_id=session_id, t0_mono=frame.t_s)


def drive(service: Service, rng: random.Random) -> None:
    """Sets of random length with random pauses, for ever (until killed)."""
    monitor = service.monitor
    assert monitor is not None
    monitor.update_settings({"hold_target_s": HOLD_TARGET_S})
    sub = monitor.subscribe()
    while True:
        session_id = monitor.start_set()
        say("set_started", session_id=session_id)
        end = time.monotonic() + rng.uniform(3.0, 7.0)
        while time.monotonic() < end:
            event = sub.get(0.05)
            if event is None:
                continue
            kind, data = event
            if kind == "hold_started":
                say("hold_started", session_id=session_id)
            elif kind == "hold_ended":
                say("hold_ended", session_id=session_id, start_s=data["start_s"],
                    end_s=data["end_s"], outcome=data["outcome"])
        say("stopping", session_id=session_id)
        monitor.stop_set()
        say("stopped", session_id=session_id)
        time.sleep(rng.uniform(0.1, 0.8))


def main() -> int:
    """Start the service, drive it, serve until killed."""
    data_dir, seed = Path(sys.argv[1]), int(sys.argv[2])
    options = ServiceOptions(
        source="emulated", script=SCRIPT, seed=seed, port=0, data_dir=data_dir, gpio=False
    )
    service = Service(options)
    service.start()
    assert service.sampler is not None
    assert service.monitor is not None
    service.sampler.add_listener(SetWatch(service.monitor))
    say("ready")
    threading.Thread(target=drive, args=(service, random.Random(seed)), daemon=True).start()
    service.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
