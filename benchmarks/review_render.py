"""Time the review detail page of a one-hour 100 Hz session (target: under 1 s).

A simulated foot does one hour of holds and rests (a 9 s hold every 20 s, every fifth one
short); the pipeline finds the holds; frames and holds go into a real session log on disk;
then the Flask app renders ``/review/<id>`` through its test client (no network in the
measurement). Also timed: reading the frames back, the export downloads and the report.

    python -m benchmarks.review_render [--runs 5] [--minutes 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from flask.testing import FlaskClient
from numpy.typing import NDArray

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from insole.analysis import analyze_frames
from insole.records import Hold
from insole.settings import Settings
from insole.sim_script import Script
from insole.simulator import SimulatedFoot
from insole.store import SessionLog
from tests.dashboard.review_support import record_session

RATE_HZ = 100.0
BEGUN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""When the first benchmark session started."""
TARGET_S = 1.0


def session_script(minutes: float) -> Script:
    """Holds and rests filling ``minutes``: 9 s holds, every fifth one 5 s (short)."""
    parts = []
    elapsed_s = 0.0
    n = 0
    while elapsed_s < minutes * 60.0 - 20.0:
        hold_s = 5.0 if n % 5 == 4 else 9.0
        parts.append(f"hold {hold_s:g}; rest {20.0 - hold_s:g}")
        elapsed_s += 20.0
        n += 1
    return Script.parse("; ".join(parts))


def simulated_session(
    minutes: float, seed: int, settings: Settings
) -> tuple[NDArray[np.float64], list[Hold]]:
    """Frames (time, three forces) of a simulated ``session_script`` and the holds found in it."""
    frame_list = list(SimulatedFoot(session_script(minutes), seed=seed).frames(RATE_HZ))
    holds = analyze_frames(frame_list, settings).holds
    return np.array(frame_list, dtype=np.float64), holds


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float]) -> None:
    """One line: median, min and max in ms."""
    print(
        f"{name:<34} median {statistics.median(times) * 1000:8.1f} ms   "
        f"min {min(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Build the session, time the pages, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed renders per page")
    parser.add_argument("--minutes", type=float, default=60.0, help="session length")
    args = parser.parse_args(argv)

    settings = Settings()
    started = time.perf_counter()
    frames, holds = simulated_session(args.minutes, 7, settings)
    print(
        f"simulated {len(frames)} frames ({frames[-1, 0] / 60:.1f} min at {RATE_HZ:g} Hz), "
        f"{len(holds)} holds ({sum(h.outcome == 'correct' for h in holds)} correct) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as folder, SessionLog(Path(folder) / "s.sqlite3") as log:
        session_id = record_session(
            log, started_at=BEGUN, frames=frames, holds=holds, settings=settings
        )
        # The figures are what a first view of a finished session costs: without the cache
        # of finished sessions (``dashboard.session_cache``); one line shows a cached view.
        uncached = {"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_SESSION_CACHE_BYTES": 0}
        client = local_test_client(create_app(uncached, log=log))
        cached = local_test_client(create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, log=log))

        def page(url: str, client: FlaskClient = client) -> Callable[[], object]:
            def fetch() -> object:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response.get_data()

            return fetch

        detail = f"/review/{session_id}"
        page(detail)()  # first render compiles the templates; not what a user waits for
        size_kb = len(client.get(detail).get_data()) / 1024
        report("frames_array (read back)", timed(lambda: log.frames_array(session_id), args.runs))
        detail_times = timed(page(detail), args.runs)
        report(f"GET {detail} ({size_kb:.0f} KB)", detail_times)
        page(detail, cached)()  # fills the cache
        report("GET detail again, from the cache", timed(page(detail, cached), args.runs))
        report("GET report", timed(page(f"/review/{session_id}/report"), args.runs))
        report("GET /review/ (list)", timed(page("/review/"), args.runs))
        report("GET frames.csv (download)", timed(page(f"/review/{session_id}/frames.csv"), 2))
        report("GET session.json (download)", timed(page(f"/review/{session_id}/session.json"), 2))
    worst = max(detail_times)
    verdict = "meets" if worst < TARGET_S else "MISSES"
    print(f"detail page: worst {worst * 1000:.0f} ms, {verdict} the {TARGET_S:g} s target")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
