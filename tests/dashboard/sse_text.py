"""For the stream tests: SSE text read back into events, and a clock the stream drives."""

from __future__ import annotations

import json
from typing import Any


def parse_events(text: str) -> list[tuple[str, Any]]:
    """(kind, data) of every event in an SSE text; comments become ("comment", text)."""
    events: list[tuple[str, Any]] = []
    for block in text.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        if lines[0].startswith(":"):
            events.append(("comment", lines[0][1:].strip()))
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        if "retry" in fields:
            events.append(("retry", int(fields["retry"])))
        else:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


class FakeTime:
    """A clock that moves only when the stream sleeps (keeps throttling tests instant)."""

    def __init__(self) -> None:
        self.now_s = 100.0
        self.slept_s: list[float] = []

    def clock(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self.now_s += seconds
