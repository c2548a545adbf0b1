"""Live page, Server-Sent Events stream and session control.

Routes (JSON in and out for ``/api``; errors are ``{"error", "message"[, "field"]}``, 400 for
bad input and 409 for an action the device refuses in its state, e.g. stopping when no
set runs or taring before the first reading):

================================ =========================================================
``GET /``                        the live page
``GET /api/stream``              SSE: ``frame`` (``LiveState.to_json()``) and the other
                                 events of docs/ARCHITECTURE.md; ``status`` and the latest
                                 ``frame`` come first on connect
``GET /api/status``              ``Monitor.status()``
``GET /api/live``                ``{"frame": <latest LiveState or null>}``
``POST /api/set/start``          ``{"exercise"?, "foot"?}`` -> ``{"session_id"}``
``POST /api/set/stop``           -> ``{"stopped": true, "session_id", "correct", ...}``
``POST /api/tare``               -> ``{"tare_n", "drift_warning", "calibration_id"}``
``POST /api/target/capture``     ``{"duration_s"?}`` -> 202 ``{"capturing": true, ...}``;
                                 the result arrives as a ``target_captured`` event
``POST /lang``                   ``lang`` (form or JSON) -> cookie; form posts are
                                 redirected back to ``next`` (a local path)
================================ =========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from werkzeug.wrappers import Response as ResponseBase

from dashboard import i18n, sse
from dashboard.access import still_allowed_checker
from dashboard.api_errors import error_response
from dashboard.context import get_monitor
from insole.errors import CalibrationError, InsoleError, StorageError
from insole.exercises import MODES
from insole.frames import SENSORS
from insole.settings import EXERCISES, FOOT_SIDES

bp = Blueprint("live", __name__)

CAPTURE_DURATION_S = (1.0, 10.0)
"""Allowed length of a personal-target capture (a few seconds of a correct hold)."""
DEFAULT_CAPTURE_S = 3.0
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600
JS_TEXT_PREFIXES = (
    "cue.", "live.", "banner.", "sensor.", "outcome.", "foot.", "exercise.", "phase.", "rep.",
    "band.",
)
"""Catalogue keys the page script needs (handed over in a data attribute, not fetched)."""


def bad_request(message: str, field: str | None = None, status: int = 400) -> NoReturn:
    """Stop the request with a JSON error that says what was wrong and what is allowed."""
    abort(make_response(error_response(status, message, field)))


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        bad_request("the body must be a JSON object (Content-Type: application/json)")
    return data


def choice(body: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    """The body's ``name`` if given (400 unless it is one of ``allowed``), else ``None``."""
    value = body.get(name)
    if value is None:
        return None
    if value not in allowed:
        bad_request(f"{name} must be one of {', '.join(allowed)}, got {value!r}", name)
    return str(value)


def reject_unknown(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Stop the request on a field outside ``allowed`` (a typo never silently does nothing)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        names = ", ".join(allowed) if allowed else "none"
        bad_request(f"unknown field {unknown[0]!r}; allowed: {names}", unknown[0])


def _call_monitor(action: str, *args: Any, **kwargs: Any) -> Any:
    """Run a monitor action, turning domain errors into JSON answers (never a 500)."""
    return device_action(getattr(get_monitor(), action), *args, **kwargs)


def device_action(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an action of the device, turning domain errors into JSON answers (never a 500)."""
    try:
        return action(*args, **kwargs)
    except CalibrationError as err:  # readings unfit (a foot on the insole while taring): a state
        bad_request(str(err), status=409)
    except ValueError as err:  # SettingsError and other rejected values
        bad_request(str(err), getattr(err, "field", None))
    except StorageError as err:  # the session log cannot be written (disk full, ...)
        bad_request(str(err), status=503)
    except InsoleError as err:  # the device refuses in its current state
        bad_request(str(err), status=409)


def page_config(monitor: Any) -> dict[str, Any]:
    """Settings the live page needs to draw the foot and the target zone."""
    settings = monitor.settings
    return {
        "foot": settings.foot,
        "exercise": settings.exercise,
        "exercises": list(EXERCISES),
        "feet": list(FOOT_SIDES),
        "hold_target_s": settings.hold_target_s,
        "rep_target": settings.rep_target,
        "min_share": settings.min_share,
        "ml_shift_limit": settings.ml_shift_limit,
        "modes": {name: info.to_dict() for name, info in MODES.items()},
        "personal_target": (
            None if settings.personal_target is None else list(settings.personal_target)
        ),
        "target_tolerance": settings.target_tolerance,
        "sensors": list(SENSORS),
        "positions_mm": {name: list(settings.sensor_positions_mm[name]) for name in SENSORS},
        # Two insoles (serve --feet both): the page shows both feet (templates/live_feet.html).
        "two_feet": getattr(monitor.source, "feet", "one") == "both",
    }


@bp.get("/")
def page() -> str:
    """The live tripod view."""
    monitor = get_monitor()
    texts = i18n.catalogue_for(g.lang)
    return render_template(
        "live.html",
        config=page_config(monitor),
        js_texts=js_texts(texts, JS_TEXT_PREFIXES),
    )


def js_texts(texts: Mapping[str, str], prefixes: tuple[str, ...]) -> dict[str, str]:
    """The catalogue entries a page script needs (handed over in a data attribute)."""
    return {key: text for key, text in texts.items() if key.startswith(prefixes)}


@bp.get("/api/stream")
def stream() -> Response:
    """The live event stream (Server-Sent Events)."""
    monitor = get_monitor()
    cfg = current_app.config
    client_gone = request.environ.get("waitress.client_disconnected")

    def initial() -> Iterator[tuple[str, Any]]:
        # The subscription's first event is the current status; the latest frame makes a
        # (re)connecting page whole at once instead of at the next frame.
        latest = monitor.latest()
        if latest is not None:
            yield sse.FRAME, latest

    body = sse.live_stream(
        monitor.subscribe,
        initial=initial,
        max_rate_hz=float(cfg.get("LIVE_MAX_RATE_HZ", sse.DEFAULT_MAX_RATE_HZ)),
        keepalive_s=float(cfg.get("LIVE_KEEPALIVE_S", sse.DEFAULT_KEEPALIVE_S)),
        client_gone=client_gone if callable(client_gone) else None,
        # A tablet revoked while watching loses its open stream too, not just later requests.
        still_allowed=still_allowed_checker(),
        access_check_s=float(cfg.get("LIVE_ACCESS_CHECK_S", sse.DEFAULT_ACCESS_CHECK_S)),
    )
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    # Proxies (nginx) must pass each event on at once instead of buffering the response.
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.get("/api/status")
def status() -> Response:
    """Source, sensor health, frame rate, logging and set state, banners."""
    return jsonify(sse.sanitise(get_monitor().status()))


@bp.get("/api/live")
def latest() -> Response:
    """The latest frame (``null`` before the first one)."""
    return jsonify({"frame": sse.sanitise(get_monitor().latest())})


@bp.post("/api/set/start")
def start_set() -> Response:
    """Start a set (a logged session) with the given or the configured exercise and foot."""
    body = json_body()
    reject_unknown(body, ("exercise", "foot"))
    exercise = choice(body, "exercise", EXERCISES)
    foot = choice(body, "foot", FOOT_SIDES)
    session_id = _call_monitor("start_set", exercise=exercise, foot=foot)
    return jsonify({"session_id": session_id})


@bp.post("/api/set/stop")
def stop_set() -> Response:
    """Stop the running set; 409 when none runs."""
    reject_unknown(json_body(), ())
    summary = _call_monitor("stop_set")
    return jsonify({"stopped": True, **(summary or {})})


@bp.post("/api/tare")
def tare() -> Response:
    """Zero the sensors (the foot must be lifted)."""
    reject_unknown(json_body(), ())
    return jsonify(sse.sanitise(_call_monitor("tare")))


@bp.post("/api/target/capture")
def capture_target() -> Response:
    """Record a few seconds of a correct hold as the personal target."""
    body = json_body()
    reject_unknown(body, ("duration_s",))
    duration_s = body.get("duration_s", DEFAULT_CAPTURE_S)
    low, high = CAPTURE_DURATION_S
    if (
        isinstance(duration_s, bool)
        or not isinstance(duration_s, int | float)
        or not math.isfinite(duration_s)
        or not low <= duration_s <= high
    ):
        bad_request(f"duration_s must be a number from {low:g} to {high:g}", "duration_s")
    _call_monitor("capture_target", duration_s=float(duration_s))
    return make_response(jsonify({"capturing": True, "duration_s": float(duration_s)}), 202)


def _local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (never an open redirect), else ``None``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//") or "\\" in target:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/lang")
def switch_language() -> ResponseBase:
    """Remember the chosen language in a cookie."""
    wants_json = request.is_json
    data: Mapping[str, Any] = json_body() if wants_json else request.form
    lang = data.get("lang")
    if lang not in i18n.LANGUAGES:
        bad_request(f"lang must be one of {', '.join(i18n.LANGUAGES)}, got {lang!r}", "lang")
    response: ResponseBase
    if wants_json:
        response = jsonify({"lang": lang})
    else:
        referrer = urlsplit(request.referrer or "")
        back = _local_path(str(data.get("next") or "")) or (
            _local_path(referrer.path) if referrer.netloc == request.host else None
        )
        response = redirect(back or "/", code=303)
    response.set_cookie(
        i18n.COOKIE,
        str(lang),
        max_age=LANG_COOKIE_MAX_AGE_S,
        samesite="Lax",
        httponly=True,
        path="/",
    )
    return response
