"""Reading sessions out of the session log for the review pages and the review API.

One place turns the log's records into what pages and JSON show, so the HTML views and
the API never disagree about a session.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from flask import abort
from numpy.typing import NDArray

from dashboard.forms import current_translate
from insole.errors import SettingsError
from insole.records import Hold
from insole.settings import Settings

SUMMARY_FIELDS = (
    "id",
    "started_at",
    "ended_at",
    "status",
    "exercise",
    "foot",
    "source",
    "correct",
    "attempted",
    "mean_score",
    "duration_s",
    "calibration_id",
    "meta",
    "runner_id",
)


def record_to_dict(record: Any) -> dict[str, Any]:
    """A log record (named tuple, dataclass or mapping) as a plain dictionary."""
    if isinstance(record, Mapping):
        return dict(record)
    if hasattr(record, "_asdict"):
        return dict(record._asdict())
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return {name: getattr(record, name) for name in SUMMARY_FIELDS if hasattr(record, name)}


def json_ready(value: Any) -> Any:
    """Datetimes as ISO 8601 text, tuples as lists, everything else as it is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def summary_dict(summary: Any) -> dict[str, Any]:
    """The documented session summary fields, JSON-ready."""
    data = record_to_dict(summary)
    return {name: json_ready(data.get(name)) for name in SUMMARY_FIELDS}


def as_datetime(value: Any) -> datetime | None:
    """A stored time stamp (datetime, ISO text or Unix seconds) in the device's local time.

    The log stores UTC; people read the clock of where they are, which is the Pi's time
    zone (a naive stored value is taken as UTC).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone()


def get_record(log: Any, session_id: int) -> Any:
    """The log's record of a session, or a 404 that says which session is missing."""
    try:
        return log.get_session(session_id)
    except KeyError:
        # SessionNotFoundError is a KeyError; only the look-up itself is guarded here.
        abort(404, description=current_translate()("review.session_missing", id=session_id))


def get_summary(log: Any, session_id: int) -> dict[str, Any]:
    """The session's summary fields, or a 404 that says which session is missing."""
    return summary_dict(get_record(log, session_id))


def session_settings(record: Any, fallback: Settings | None) -> Settings:
    """The settings the session was recorded with (sensor positions, foot), else ``fallback``.

    Settings stored with an old session might not validate any more after a change of
    rules; the review then falls back rather than refusing to show the session.
    """
    stored = getattr(record, "settings", None)
    if isinstance(stored, Mapping):
        try:
            return Settings.from_dict(stored)
        except SettingsError:
            pass
    return fallback if fallback is not None else Settings()


@dataclass(frozen=True)
class SessionData:
    """Everything the detail page, the report and the export need about one session."""

    summary: dict[str, Any]
    holds: list[Hold]
    frames: NDArray[np.float64]
    settings: Settings


def load_session(
    log: Any, session_id: int, fallback: Settings | None, *, with_frames: bool = True
) -> SessionData:
    """Summary, holds, frames (optional: an empty array) and settings of a session (or 404)."""
    record = get_record(log, session_id)
    holds = list(log.holds(session_id))
    frames = (
        np.asarray(log.frames_array(session_id), dtype=np.float64)
        if with_frames
        else np.empty((0, 4))
    )
    return SessionData(summary_dict(record), holds, frames, session_settings(record, fallback))


def hold_frames(frames: NDArray[np.float64], hold: Hold) -> NDArray[np.float64]:
    """The frames inside a hold (frames are in time order, so two binary searches)."""
    times = frames[:, 0]
    start = int(np.searchsorted(times, hold.start_s, side="left"))
    end = int(np.searchsorted(times, hold.end_s, side="right"))
    return frames[start:end]


@dataclass(frozen=True)
class WeekRow:
    """Totals for one ISO week (Monday to Sunday)."""

    week_start: date
    sessions: int
    correct: int
    attempted: int
    mean_score: float | None


def weekly(summaries: Sequence[Mapping[str, Any]]) -> list[WeekRow]:
    """Sessions grouped by the week they started in, oldest first.

    The weekly mean score weights each session by its attempted holds, so a session of
    ten holds counts more than one of two.
    """
    weeks: dict[date, list[Mapping[str, Any]]] = {}
    for summary in summaries:
        started = as_datetime(summary.get("started_at"))
        if started is None:
            continue
        day = started.date()
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(summary)
    rows = []
    for week_start in sorted(weeks):
        members = weeks[week_start]
        scored = [
            (float(s["mean_score"]), int(s.get("attempted") or 0))
            for s in members
            if s.get("mean_score") is not None
        ]
        weight = sum(max(n, 1) for _score, n in scored)
        mean = sum(score * max(n, 1) for score, n in scored) / weight if scored else None
        rows.append(
            WeekRow(
                week_start=week_start,
                sessions=len(members),
                correct=sum(int(s.get("correct") or 0) for s in members),
                attempted=sum(int(s.get("attempted") or 0) for s in members),
                mean_score=mean,
            )
        )
    return rows
