"""Reading Server-Sent Events text back into events (for the stream tests)."""

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
