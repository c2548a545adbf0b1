import threading

from firmware.broadcast import MAX_QUEUED_EVENTS, Broadcaster


def frame_json(frame: object) -> dict:
    return {"n": frame}


def test_frames_are_conflated_and_events_ordered() -> None:
    b = Broadcaster(frame_json)
    with b.subscribe() as sub:
        b.event("hold_started", {"t_s": 1})
        for n in range(100):
            b.frame(n)
        b.event("hold_ended", {"t_s": 2})
        assert sub.get(0) == ("hold_started", {"t_s": 1})
        assert sub.get(0) == ("hold_ended", {"t_s": 2})
        assert sub.get(0) == ("frame", {"n": 99})  # only the newest frame
        assert sub.get(0) is None
    assert b.count == 0


def test_a_stalled_reader_loses_oldest_events_and_is_told() -> None:
    b = Broadcaster(frame_json)
    with b.subscribe() as sub:
        for n in range(MAX_QUEUED_EVENTS + 10):
            b.event("gap", {"n": n})
        assert sub.dropped == 10
        assert sub.get(0) == ("gap", {"n": 10})


def test_get_waits_for_a_publisher_and_close_wakes_it() -> None:
    b = Broadcaster(frame_json)
    sub = b.subscribe()
    got: list[object] = []
    reader = threading.Thread(target=lambda: got.append(sub.get(5.0)))
    reader.start()
    b.frame(7)
    reader.join(5.0)
    assert got == [("frame", {"n": 7})]
    waiting = threading.Thread(target=lambda: got.append(sub.get(30.0)))
    waiting.start()
    sub.close()
    waiting.join(5.0)
    assert not waiting.is_alive()
    assert got[-1] is None
