"""The request gate: review pages and exports one at a time, everything else straight in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from firmware.request_gate import RequestGate

WAIT_S = 10.0


class BlockingApp:
    """A WSGI app whose requests stay inside until the test lets each one go."""

    def __init__(self) -> None:
        self.inside: list[str] = []
        self.entered = threading.Condition()
        self.release: dict[str, threading.Event] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path == "/review/boom":
            raise RuntimeError("the view failed")
        gate = self.release.setdefault(path, threading.Event())
        with self.entered:
            self.inside.append(path)
            self.entered.notify_all()
        assert gate.wait(WAIT_S), f"{path} was never let go"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [path.encode()]

    def wait_inside(self, path: str) -> None:
        with self.entered:
            assert self.entered.wait_for(lambda: path in self.inside, WAIT_S), path


def call(gate: RequestGate, path: str, results: dict[str, bytes]) -> None:
    body = gate({"PATH_INFO": path}, lambda status, headers: None)
    try:
        results[path] = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


@pytest.fixture
def threads() -> Iterator[list[threading.Thread]]:
    started: list[threading.Thread] = []
    yield started
    for thread in started:
        thread.join(WAIT_S)


def start(threads: list[threading.Thread], target: Callable[[], None]) -> None:
    thread = threading.Thread(target=target)
    thread.start()
    threads.append(thread)


def test_heavy_requests_wait_for_the_slot_and_live_ones_do_not(
    threads: list[threading.Thread],
) -> None:
    app = BlockingApp()
    gate = RequestGate(app, slots=1)
    results: dict[str, bytes] = {}
    start(threads, lambda: call(gate, "/review/1/frames.csv", results))
    app.wait_inside("/review/1/frames.csv")
    start(threads, lambda: call(gate, "/api/sessions/1", results))
    start(threads, lambda: call(gate, "/api/status", results))
    # The live request gets in while the export holds the slot ...
    app.wait_inside("/api/status")
    app.release["/api/status"].set()
    threads[2].join(WAIT_S)
    assert results["/api/status"] == b"/api/status"
    # ... the second heavy one has not (the app never saw it while the slot was taken).
    assert "/api/sessions/1" not in app.inside
    app.release["/review/1/frames.csv"].set()
    app.wait_inside("/api/sessions/1")
    app.release["/api/sessions/1"].set()
    for thread in threads:
        thread.join(WAIT_S)
    assert set(results) == {"/review/1/frames.csv", "/api/sessions/1", "/api/status"}


@pytest.mark.parametrize(
    ("path", "heavy"),
    [
        ("/review", True),
        ("/review/", True),
        ("/review/3/report", True),
        ("/api/sessions", True),
        ("/api/sessions/2/frames", True),
        ("/reviewer", False),
        ("/api/stream", False),
        ("/api/set/start", False),
        ("/", False),
        ("/static/live.js", False),
    ],
)
def test_which_paths_are_heavy(path: str, heavy: bool) -> None:
    assert RequestGate(BlockingApp()).heavy(path) is heavy


def test_a_failing_view_gives_the_slot_back() -> None:
    app = BlockingApp()
    gate = RequestGate(app, slots=1)
    with pytest.raises(RuntimeError, match="the view failed"):
        gate({"PATH_INFO": "/review/boom"}, lambda status, headers: None)
    app.release["/review/2"] = threading.Event()
    app.release["/review/2"].set()
    results: dict[str, bytes] = {}
    call(gate, "/review/2", results)  # would wait forever on a lost slot
    assert results == {"/review/2": b"/review/2"}


def test_closing_twice_gives_the_slot_back_once() -> None:
    app = BlockingApp()
    gate = RequestGate(app, slots=1)
    app.release["/review/1"] = threading.Event()
    app.release["/review/1"].set()
    body: Iterable[bytes] = gate({"PATH_INFO": "/review/1"}, lambda status, headers: None)
    close = getattr(body, "close")  # noqa: B009 (the WSGI close hook, looked up as servers do)
    close()
    close()  # a BoundedSemaphore raises if released more often than acquired


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="slots"):
        RequestGate(BlockingApp(), slots=0)
