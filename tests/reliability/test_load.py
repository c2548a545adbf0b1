"""A short load run: 10 live streams and 50 review requests a second against the real service.

The whole of ``python -m benchmarks.load`` (which see) on a short plan: the real service in
a subprocess over logged sessions, SSE clients reading the stream, a second process sending
review pages and exports on a fixed schedule, then clients that are reset or stop reading.
Only what does not depend on the machine's speed is asserted: every request answered 2xx,
every client received frames, no stream of a reading client ended, the dead clients were
freed and the subscriber count came back to where it was. The timing and memory figures
are printed (``-s`` shows them); the full-length run and its figures are in RELIABILITY.md.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from benchmarks import load

PLAN = load.LoadPlan(
    minutes=0.33,
    clients=10,
    rate_hz=50.0,
    idle_s=3.0,
    sessions=2,
    session_minutes=1.0,
    aborted=3,
    stalled=2,
    free_timeout_s=90.0,
)


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    figures = load.run(PLAN)
    print()
    print(load.report(figures))
    return figures


@pytest.mark.slow
def test_every_request_is_answered_with_success(results: dict[str, Any]) -> None:
    requests = results["requests"]
    assert requests["due"] == round(PLAN.rate_hz * PLAN.minutes * 60.0)
    # Skipped: not sent because answers came slower than the schedule (a slow machine).
    assert requests["sent"] + requests["skipped"] == requests["due"]
    assert requests["sent"] > 0
    assert load.failed_requests(results) == 0, requests["failures"]
    assert set(requests["latency_ms"]) == {"page", "api", "export"}


@pytest.mark.slow
def test_every_client_receives_frames_and_no_stream_is_cut(results: dict[str, Any]) -> None:
    assert results["ended_by_service"] == []
    assert results["connected_subscribers"] == results["baseline_subscribers"] + PLAN.clients
    assert all(client["events"] > 0 for client in results["clients"]), results["clients"]
    assert results["status_errors"] == []


@pytest.mark.slow
@pytest.mark.skipif(
    not hasattr(socket, "TCP_USER_TIMEOUT"),
    reason="a client that stops reading is freed through Linux's TCP_USER_TIMEOUT",
)
def test_reset_and_stalled_clients_are_freed(results: dict[str, Any]) -> None:
    dead = results["dead"]
    assert dead["aborted_freed_s"] is not None, results["service_log"]
    assert dead["stalled_freed_s"] is not None, results["service_log"]
    assert dead["left"] == results["baseline_subscribers"] + PLAN.clients - 5


@pytest.mark.slow
def test_subscribers_come_back_to_the_baseline_and_sampling_goes_on(
    results: dict[str, Any],
) -> None:
    assert results["all_closed_freed_s"] is not None
    assert results["served_after"] is True
    assert results["idle_rates"]
    assert results["load_rates"]
