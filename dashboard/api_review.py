"""JSON API of the review: sessions, their holds and frames, weekly totals, delete.

Documented in ``dashboard/openapi.json``. Errors are ``dashboard.api_errors`` JSON with the
HTTP status (404 for a missing session, 409 for deleting a session still recording).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    request,
)
from flask.typing import ResponseReturnValue

from dashboard import export, session_cache
from dashboard.api_errors import RefusedRequestError, answer_errors_in_json
from dashboard.context import get_log
from dashboard.forms import current_translate, row_id
from dashboard.review_data import get_summary, load_session, summary_dict, weekly

bp = Blueprint("review_api", __name__, url_prefix="/api/sessions")

RECORDING_STATUSES = ("open",)
"""Statuses of a session still being written: it cannot be deleted until it ends."""


def all_summaries(log: Any, runner_id: int | None = None) -> list[dict[str, Any]]:
    """Every session's summary (or one runner's), oldest first."""
    return sorted(
        (
            summary_dict(s)
            for s in log.list_sessions()
            if runner_id is None or s.runner_id == runner_id
        ),
        key=lambda s: (s["started_at"] or "", s["id"]),
    )


def delete_session(log: Any, session_id: int) -> None:
    """Delete a finished session (409 while it is still recording, 404 when missing)."""
    summary = get_summary(log, session_id)
    if summary["status"] in RECORDING_STATUSES:
        abort(409, description=current_translate()("review.delete_running", id=session_id))
    log.delete_session(session_id)
    session_cache.get_cache().discard_session(session_id)


@bp.get("")
def list_sessions() -> ResponseReturnValue:
    """All sessions (or one runner's: ``?runner=<id>``), oldest first."""
    raw = request.args.get("runner")
    runner_id = row_id(raw)
    if raw is not None and runner_id is None:
        # A filter that cannot be read must not quietly answer with everyone's sessions.
        message = f"runner must be a runner's id (a whole number from 1), got {raw!r:.40}"
        raise RefusedRequestError(400, message, "runner")
    return jsonify(sessions=all_summaries(get_log(), runner_id=runner_id))


@bp.get("/weekly")
def weekly_totals() -> ResponseReturnValue:
    """Sessions, correct and attempted holds and mean score per ISO week."""
    rows = weekly(all_summaries(get_log()))
    return jsonify(
        weeks=[
            {**dataclasses.asdict(row), "week_start": row.week_start.isoformat()} for row in rows
        ]
    )


@bp.get("/<int:session_id>")
def session(session_id: int) -> ResponseReturnValue:
    """One session's summary and holds (no frames: see ``/frames``)."""
    data = load_session(get_log(), session_id, None, with_frames=False)
    return jsonify(export.session_document(data.summary, data.holds, None))


@bp.get("/<int:session_id>/frames")
def frames(session_id: int) -> ResponseReturnValue:
    """Summary, holds and every frame of the session."""
    return session_json_download(session_id)


def session_json_download(
    session_id: int, headers: Mapping[str, str] | None = None
) -> Response:
    """Summary, holds and frames as one streamed JSON document (cached once ended).

    ``/api/sessions/<id>/frames`` and the review's ``session.json`` download send the same
    bytes, so they share one cache entry.
    """
    log = get_log()
    summary = get_summary(log, session_id)

    def chunks() -> Iterator[str]:
        data = load_session(log, session_id, None)
        dumps = current_app.json.dumps
        return export.session_json_chunks(data.summary, data.holds, data.frames, dumps)

    return session_cache.download(
        session_cache.finished_key(summary, "session.json"),
        chunks,
        mimetype="application/json",
        headers=headers,
    )


@bp.delete("/<int:session_id>")
def delete(session_id: int) -> ResponseReturnValue:
    """Delete a session with its holds and frames."""
    delete_session(get_log(), session_id)
    return "", 204


answer_errors_in_json(bp)
