"""The guided session page and its API (the state lives on the device: ``monitor.guided``).

Routes (JSON in and out for ``/api``; errors are ``{"error", "message"[, "field"]}``: 400
for bad input, 409 when the session is not at the stage the tablet named or the device
refuses, e.g. a set already running):

=================================== =====================================================
``GET /guided``                     the guided session page
``GET /api/guided``                 the state (``firmware.guided``): stage, rest, results
``POST /api/guided/start``          start the programme from its first stage
``POST /api/guided/advance``        ``{"stage": N}``: tick the item, end the rest early or
                                    skip the set at stage N
``POST /api/guided/set/start``      ``{"stage": N, "foot"?}``: start stage N's set on the
                                    monitor with the step's exercise, reps and hold time
``POST /api/guided/end``            end the session (a running guided set is stopped)
=================================== =====================================================

A set ends when it reaches its rep target or is stopped (``POST /api/set/stop``, as on the
live page); every change reaches every open page as a ``guided`` event on ``/api/stream``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template

from dashboard import i18n, sse
from dashboard.context import get_monitor
from dashboard.live import (
    JS_TEXT_PREFIXES,
    bad_request,
    choice,
    device_action,
    js_texts,
    json_body,
    page_config,
    reject_unknown,
)
from insole.programme import DEFAULT_PROGRAMME
from insole.settings import FOOT_SIDES

bp = Blueprint("guided", __name__)

GUIDED_TEXT_PREFIXES = (*JS_TEXT_PREFIXES, "guided.")


def _hub() -> Any:
    return get_monitor().guided


def _stage(body: dict[str, Any]) -> int:
    """The ``stage`` the tablet showed (a whole number, required)."""
    stage = body.get("stage")
    if isinstance(stage, bool) or not isinstance(stage, int) or stage < 0:
        bad_request(f"stage must be the whole number of the stage shown, got {stage!r}", "stage")
    return stage


def _answer(state: dict[str, Any]) -> Response:
    return jsonify(sse.sanitise(state))


@bp.get("/guided")
def page() -> str:
    """The guided session: checklists, sets with the live rep view, rest timers."""
    monitor = get_monitor()
    config = {
        **page_config(monitor),
        # The default's English words: the page translates an item or a note only while
        # it is unchanged (a physiotherapist's own text is shown as written).
        "default_items": {
            item.key: item.text
            for item in (*DEFAULT_PROGRAMME.warm_up, *DEFAULT_PROGRAMME.cool_down)
        },
        "default_notes": {step.mode: step.note for step in DEFAULT_PROGRAMME.steps},
    }
    return render_template(
        "guided.html",
        config=config,
        js_texts=js_texts(i18n.catalogue_for(g.lang), GUIDED_TEXT_PREFIXES),
    )


@bp.get("/api/guided")
def state() -> Response:
    """Where the guided session stands (the same for every tablet)."""
    return _answer(device_action(_hub().state))


@bp.post("/api/guided/start")
def start() -> Response:
    """Start the programme; 409 while another guided session runs."""
    reject_unknown(json_body(), ())
    return _answer(device_action(_hub().begin))


@bp.post("/api/guided/advance")
def advance() -> Response:
    """Finish the stage by hand: tick a checklist item, end a rest early, skip a set."""
    body = json_body()
    reject_unknown(body, ("stage",))
    return _answer(device_action(_hub().advance, _stage(body)))


@bp.post("/api/guided/set/start")
def start_set() -> Response:
    """Start the stage's set on the monitor with the step's exercise and targets."""
    body = json_body()
    reject_unknown(body, ("stage", "foot"))
    stage = _stage(body)
    foot = choice(body, "foot", FOOT_SIDES)
    return _answer(device_action(_hub().start_set, stage, foot))


@bp.post("/api/guided/end")
def end() -> Response:
    """End the guided session; 409 when none runs."""
    reject_unknown(json_body(), ())
    return _answer(device_action(_hub().end))
