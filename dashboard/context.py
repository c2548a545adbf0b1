"""Access to the injected monitor and session log from inside a request."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app


def get_monitor() -> Any:
    """The running device; 503 when the app was built without one."""
    monitor = current_app.extensions.get("insole_monitor")
    if monitor is None:
        abort(503, description="no insole monitor is attached to this dashboard")
    return monitor


def get_log() -> Any:
    """The session log; 503 when the app was built without one."""
    log = current_app.extensions.get("insole_log")
    if log is None:
        abort(503, description="no session log is attached to this dashboard")
    return log
