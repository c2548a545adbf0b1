"""Shared set-up for the access-control tests: the real app over a temporary data dir."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from dashboard import access, create_app
from dashboard.access.store import AccessStore

ORIGIN = "http://localhost"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
SSE = {"Accept": "text/event-stream"}


class SteppedClock:
    """Both clocks of the access store, moved forward by the test (time is passed in)."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000.0
        self.mono = 5_000.0

    def wall_s(self) -> float:
        return self.wall

    def mono_s(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def build_app(data_dir: Path, clock: SteppedClock | None = None, **config: Any) -> Flask:
    """The dashboard app with access control on, storing its access data in ``data_dir``."""
    app = create_app({"TESTING": True, "INSOLE_DATA_DIR": str(data_dir), **config})
    store = AccessStore.in_data_dir(data_dir, clock=clock) if clock is not None else None
    access.init_app(app, store=store)
    return app


ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?[a-z_]+>")


def sample_url(rule: Rule) -> str:
    """A concrete URL for a rule: int arguments 1, other arguments ``x``."""

    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        return "1" if converter.startswith(("int", "float")) else "x"

    return ARGUMENT.sub(fill, rule.rule)


def csrf_from_page(html: str) -> str:
    """The hidden csrf_token of the first form in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no csrf_token field in the page"
    return found.group(1)
