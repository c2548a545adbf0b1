"""The SSE wire format and the per-client stream, over the real live fan-out."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import sse
from firmware.broadcast import Broadcaster
from tests.dashboard.sse_text import FakeTime, parse_events


def test_event_is_one_json_line_with_its_kind() -> None:
    text = sse.format_event("hold_ended", {"outcome": "correct", "score": 87.5})
    assert text == 'event: hold_ended\ndata: {"outcome":"correct","score":87.5}\n\n'


@pytest.mark.parametrize(("kind", "sent"), [("error", "device_error"), ("open", "device_open")])
def test_kinds_reserved_by_eventsource_are_renamed(kind: str, sent: str) -> None:
    assert sse.format_event(kind, {"message": "x"}).startswith(f"event: {sent}\n")


def test_non_finite_numbers_become_null_not_invalid_json() -> None:
    text = sse.format_event("frame", {"shares": [float("nan"), 0.5], "t": float("inf")})
    assert parse_events(text) == [("frame", {"shares": [None, 0.5], "t": None})]


@pytest.mark.parametrize("kind", ["", "a:b", "two\nlines"])
def test_event_kind_must_be_a_plain_word(kind: str) -> None:
    with pytest.raises(ValueError, match="event kind"):
        sse.format_event(kind, {})


def test_comment_cannot_smuggle_an_event() -> None:
    assert sse.format_comment("x\n\nevent: frame") == ": x  event: frame\n\n"


def test_first_chunk_is_a_comment_sent_before_any_event(hub: Broadcaster) -> None:
    stream = sse.live_stream(hub.subscribe)
    first = next(stream)  # returns at once although nothing was published
    assert parse_events(first) == [("comment", "insole live stream"), ("retry", sse.RETRY_MS)]
    assert hub.count == 1
    stream.close()
    assert hub.count == 0


def test_initial_events_follow_the_comment(hub: Broadcaster) -> None:
    def initial() -> list[tuple[str, Any]]:
        return [("status", {"ok": True}), ("frame", {"t_s": 1.0})]

    stream = sse.live_stream(hub.subscribe, initial=initial)
    chunks = [next(stream) for _ in range(3)]
    stream.close()
    assert parse_events("".join(chunks))[2:] == [("status", {"ok": True}), ("frame", {"t_s": 1.0})]


def test_an_unstarted_stream_takes_no_subscription(hub: Broadcaster) -> None:
    # A HEAD request: the server closes the body without iterating it.
    stream = sse.live_stream(hub.subscribe)
    stream.close()
    assert hub.count == 0


def test_frames_and_events_flow_in_order(hub: Broadcaster) -> None:
    fake = FakeTime()
    stream = sse.live_stream(hub.subscribe, clock=fake.clock, sleep=fake.sleep)
    next(stream)
    hub.event("hold_started", {"t_s": 1.0})
    hub.frame({"t_s": 1.0})
    hub.event("hold_ended", {"outcome": "short"})
    got = [parse_events(next(stream))[0] for _ in range(3)]
    stream.close()
    assert got == [
        ("hold_started", {"t_s": 1.0}),
        ("hold_ended", {"outcome": "short"}),
        ("frame", {"t_s": 1.0}),
    ]


def test_stale_frames_are_dropped_and_the_rate_is_capped(hub: Broadcaster) -> None:
    fake = FakeTime()
    stream = sse.live_stream(hub.subscribe, max_rate_hz=20.0, clock=fake.clock, sleep=fake.sleep)
    next(stream)
    for i in range(10):
        hub.frame({"n": i})
    assert parse_events(next(stream)) == [("frame", {"n": 9})]
    hub.frame({"n": 10})
    hub.frame({"n": 11})
    assert parse_events(next(stream)) == [("frame", {"n": 11})]
    stream.close()
    # Between the two frames the stream waited out the rest of the 50 ms frame interval.
    assert sum(fake.slept_s) == pytest.approx(0.05)


def test_keepalive_comment_when_nothing_happens(hub: Broadcaster) -> None:
    stream = sse.live_stream(hub.subscribe, keepalive_s=0.05)
    next(stream)
    assert parse_events(next(stream)) == [("comment", "")]
    stream.close()
    assert hub.count == 0


def test_stream_ends_when_the_service_closes_subscriptions(hub: Broadcaster) -> None:
    stream = sse.live_stream(hub.subscribe)
    next(stream)
    hub.close_all()
    assert list(stream) == []


def test_stream_ends_when_the_client_is_gone(hub: Broadcaster) -> None:
    gone = [False]
    stream = sse.live_stream(hub.subscribe, client_gone=lambda: gone[0])
    next(stream)
    hub.frame({"n": 1})
    assert parse_events(next(stream)) == [("frame", {"n": 1})]
    gone[0] = True
    assert list(stream) == []
    assert hub.count == 0


@pytest.mark.parametrize(("rate", "keepalive"), [(0.0, 1.0), (25.0, 0.0), (-1.0, 1.0)])
def test_rate_and_keepalive_must_be_positive(
    hub: Broadcaster, rate: float, keepalive: float
) -> None:
    with pytest.raises(ValueError, match="positive"):
        next(sse.live_stream(hub.subscribe, max_rate_hz=rate, keepalive_s=keepalive))
    assert hub.count == 0
