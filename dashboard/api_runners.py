"""JSON API of the runners (documented in ``dashboard/openapi.json``).

=================================== ========================================================
``GET /api/runners``                every runner (with their session count) and the current
``POST /api/runners``               ``{"name", "foot"?, "targets"?}`` -> 201 the runner
``GET /api/runners/current``        ``{"runner": <runner or null>, "programme": {...}}``
``PUT /api/runners/current``        ``{"runner_id": <id or null>}``; 409 while a set runs
``GET /api/runners/<id>``           the runner with their programme
``PATCH /api/runners/<id>``         ``{"name"?, "foot"?, "targets"?}`` (all or nothing)
``DELETE /api/runners/<id>``        204; their sessions stay, unlinked; 409 during their set
``GET /api/runners/<id>/trend``     weekly totals per exercise
=================================== ========================================================

Errors are ``dashboard.api_errors`` JSON: 400 with ``field`` for a bad value (a programme
field is named by its path, e.g. ``targets.lunge.reps``), 404 for an unknown runner, 409
for a taken name or a refused switch, 503 without a monitor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard import api_review, runner_data
from dashboard.api_errors import RefusedRequestError, answer_errors_in_json
from dashboard.context import get_log, get_monitor
from insole.errors import InsoleError, SettingsError
from insole.programme import ProgrammeError
from insole.runners import Runners
from insole.store import MAX_ROW_ID, LogInputError, RunnerNotFoundError

bp = Blueprint("runners_api", __name__, url_prefix="/api/runners")

PROFILE_FIELDS = ("name", "foot", "targets")


def _body(allowed: tuple[str, ...]) -> Mapping[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        raise RefusedRequestError(400, "the request body must be a JSON object", "body")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RefusedRequestError(
            400, f"unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}", unknown[0]
        )
    return body


def _domain(err: InsoleError) -> RefusedRequestError:
    """A domain refusal as the API's answer."""
    if isinstance(err, RunnerNotFoundError):
        return RefusedRequestError(404, str(err))
    if isinstance(err, ProgrammeError):
        return RefusedRequestError(400, err.message, err.path)
    if isinstance(err, SettingsError):
        return RefusedRequestError(400, err.message, err.field)
    if isinstance(err, LogInputError) and "exists already" in str(err):
        return RefusedRequestError(409, str(err), "name")
    return RefusedRequestError(400, str(err))


def _with_programme(runner: Any) -> dict[str, Any]:
    return {**runner_data.runner_document(runner), "programme": runner.programme().to_dict()}


@bp.get("")
def list_runners() -> ResponseReturnValue:
    """Every runner by name, with their session count, and the current runner's id."""
    log = get_log()
    counts = runner_data.session_counts(log)
    return jsonify(
        runners=[runner_data.runner_document(r, counts[r.id or 0]) for r in Runners(log).all()],
        current=runner_data.current_runner_id(),
    )


@bp.post("")
def add() -> ResponseReturnValue:
    """Add a runner."""
    body = _body(PROFILE_FIELDS)
    try:
        runner = runner_data.add_runner(
            get_log(), body.get("name", ""), body.get("foot", "right"), body.get("targets")
        )
    except InsoleError as err:
        raise _domain(err) from err
    return jsonify(_with_programme(runner)), 201


@bp.get("/current")
def current() -> ResponseReturnValue:
    """The runner in force on the device and the programme the device follows."""
    monitor = get_monitor()
    runner = monitor.runner
    return jsonify(
        runner=None if runner is None else runner_data.runner_document(runner),
        programme=monitor.programme().to_dict(),
    )


@bp.put("/current")
def select() -> ResponseReturnValue:
    """Switch the device to a runner (``null``: nobody); refused while a set runs."""
    body = _body(("runner_id",))
    if "runner_id" not in body:  # an empty body must not quietly switch to nobody
        raise RefusedRequestError(
            400, "runner_id is required: a runner's id, or null for nobody", "runner_id"
        )
    runner_id = body.get("runner_id")
    if runner_id is not None and (
        isinstance(runner_id, bool)
        or not isinstance(runner_id, int)
        or not 1 <= runner_id <= MAX_ROW_ID  # beyond 64 bits SQLite raised OverflowError
    ):
        raise RefusedRequestError(
            400,
            f"runner_id must be a runner's id (a whole number from 1) or null, got {runner_id!r}",
            "runner_id",
        )
    monitor = get_monitor()
    try:
        monitor.select_runner(runner_id)
    except RunnerNotFoundError as err:
        raise RefusedRequestError(404, str(err), "runner_id") from err
    except InsoleError as err:  # SetStateError: a set is running
        raise RefusedRequestError(409, str(err), "runner_id") from err
    return current()


@bp.get("/<int:runner_id>")
def get_runner(runner_id: int) -> ResponseReturnValue:
    """One runner with their programme."""
    try:
        runner = Runners(get_log()).get(runner_id)
    except InsoleError as err:
        raise _domain(err) from err
    return jsonify(_with_programme(runner))


@bp.patch("/<int:runner_id>")
def update(runner_id: int) -> ResponseReturnValue:
    """Rename, change foot or targets (validated together; nothing saved on error)."""
    body = _body(PROFILE_FIELDS)
    try:
        runner = runner_data.update_runner(get_log(), runner_id, **body)
    except InsoleError as err:
        raise _domain(err) from err
    return jsonify(_with_programme(runner))


@bp.delete("/<int:runner_id>")
def delete(runner_id: int) -> ResponseReturnValue:
    """Delete a runner; their sessions stay, no longer linked to anyone."""
    try:
        runner_data.delete_runner(get_log(), runner_id)
    except runner_data.RunnerBusyError as err:
        raise RefusedRequestError(409, str(err)) from err
    except InsoleError as err:
        raise _domain(err) from err
    return "", 204


@bp.get("/<int:runner_id>/trend")
def trend(runner_id: int) -> ResponseReturnValue:
    """Per exercise: sessions, correct and attempted holds or reps, mean score per ISO week."""
    log = get_log()
    try:
        runner = Runners(log).get(runner_id)
    except InsoleError as err:
        raise _domain(err) from err
    trends = runner_data.exercise_trends(api_review.all_summaries(log, runner_id=runner_id))
    return jsonify(
        runner=runner_data.runner_document(runner),
        exercises=[
            {
                "exercise": t.mode,
                "kind": t.kind,
                "weeks": [
                    {**dataclasses.asdict(w), "week_start": w.week_start.isoformat()}
                    for w in t.weeks
                ],
            }
            for t in trends
        ],
    )


answer_errors_in_json(bp)
