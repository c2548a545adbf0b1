"""Pages and endpoints of access control: ``/pair``, ``/access``, ``/healthz``.

Every refusal says why and what to do, in the page's language for HTML and in English for
JSON (``error``), so a tablet's script and a person both know where to go next.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from dashboard.access import gate
from dashboard.access.state import AccessState, get_state
from dashboard.access.store import UnknownDeviceError

bp = Blueprint("access", __name__)

_CODE_SHAPE = re.compile(r"[0-9]{6}")

# English texts for JSON answers; pages show the translated text of the same key.
MESSAGES = {
    "access.error.not_paired": (
        "this browser is not paired with the insole monitor: open the pairing page and enter "
        "the code from `insole-monitor pair` or press the device button"
    ),
    "access.error.code_shape": "the pairing code is six digits (0-9)",
    "access.error.code_wrong": (
        "that code is wrong, used or expired: run `insole-monitor pair` for a new one"
    ),
    "access.error.button_closed": (
        "no button press is waiting: press the device button, then ask again within a minute"
    ),
    "access.error.rate_limited": "too many failed attempts: wait {seconds} s and try again",
    "access.error.csrf": "request refused as possible cross-site forgery: {reason}",
    "access.error.unknown_device": "no paired device has that number",
    "access.banner.local_dev": "Pairing off: local development (only this computer can connect)",
}


def _text(key: str, **values: object) -> str:
    """The message in the page's language (via the i18n catalogue), English as fallback."""
    translate = current_app.jinja_env.globals.get("t")
    if callable(translate):
        text = str(translate(key, **values))
        if text != key:
            return text
    return MESSAGES[key].format(**values)


def _refusal(status: int, key: str, **values: Any) -> Response:
    """A refusal as JSON (``error``, ``pair_url``) or as a page with the same status."""
    if gate.wants_json(request):
        text = MESSAGES[key].format(**values)
        # "message" like every other JSON error of the dashboard; "error" kept for old clients.
        body = {"error": text, "message": text, "pair_url": url_for("access.pair")}
        response = jsonify(body)
    else:
        response = make_response(
            render_template(
                "pair.html",
                error=_text(key, **values),
                next_url=_next_from_request(),
                **_pair_page_context(),
            )
        )
    response.status_code = status
    return response


def _next_from_request() -> str:
    """Where to return after pairing: the page asked for, or a ``next`` field."""
    if request.endpoint in ("access.pair", "access.pair_submit"):
        values = request.form if request.method == "POST" else request.args
        return gate.safe_next(values.get("next"))
    return gate.safe_next(request.full_path.rstrip("?") if request.method == "GET" else "/")


def _pair_page_context() -> dict[str, Any]:
    state = get_state()
    # Only /pair itself looks up the button window: a stranger's 401 elsewhere costs no
    # database access (and app tests that never pair create no access file).
    on_pair_page = request.endpoint in ("access.pair", "access.pair_submit")
    return {
        "paired_device": g.get("access_device"),
        "button_open": on_pair_page and state.store.button_window_open(),
        "code_ttl_min": round(state.code_ttl_s / 60),
    }


def not_paired() -> Response:
    """401 for a browser without a valid token: the pairing page, or JSON for scripts."""
    response = _refusal(401, "access.error.not_paired")
    response.headers["WWW-Authenticate"] = 'Pairing realm="insole-monitor", pair_url="/pair"'
    return response


def forbidden_csrf(reason: str) -> Response:
    """403 for a state-changing request that failed the CSRF checks."""
    if gate.wants_json(request):
        text = MESSAGES["access.error.csrf"].format(reason=reason)
        response = jsonify({"error": text, "message": text})
    else:
        response = make_response(
            render_template("access_refused.html", error=_text("access.error.csrf", reason=reason))
        )
    response.status_code = 403
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness for scripts and watchdogs; public, so it says nothing personal."""
    return jsonify({"status": "ok"})


@bp.get("/pair")
def pair() -> Response:
    """The pairing page (also shows whether this browser is paired already)."""
    if gate.wants_json(request):
        return jsonify(
            {
                "paired": g.get("access_device") is not None,
                "button_open": get_state().store.button_window_open(),
            }
        )
    return make_response(
        render_template(
            "pair.html", error=None, next_url=_next_from_request(), **_pair_page_context()
        )
    )


@bp.post("/pair")
def pair_submit() -> BaseResponse:
    """Redeem a code or a button press; on success set the device cookie."""
    state = get_state()
    client = request.remote_addr or "unknown"
    wait_s = state.limiter.retry_after_s(client)
    if wait_s is not None:
        current_app.logger.warning("pairing: attempt from %s refused, rate limit", client)
        response = _refusal(429, "access.error.rate_limited", seconds=wait_s)
        response.headers["Retry-After"] = str(wait_s)
        return response

    data: Any = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):
        data = {}
    method = "button" if str(data.get("method", "code")) == "button" else "code"
    if method == "button":
        ok, failure = state.store.redeem_button(), "access.error.button_closed"
    else:
        code = re.sub(r"[\s-]", "", str(data.get("code", "")))
        if _CODE_SHAPE.fullmatch(code):
            ok, failure = state.store.redeem_code(code), "access.error.code_wrong"
        else:
            ok, failure = False, "access.error.code_shape"
    if not ok:
        # The address, never the code tried: the log shows guessing without helping it.
        current_app.logger.warning("pairing: failed %s attempt from %s", method, client)
        state.limiter.record_failure(client)
        return _refusal(403, failure)

    answer: BaseResponse
    current_app.logger.info("pairing: new device paired by %s from %s", method, client)
    issued = state.store.issue_token(
        label=request.user_agent.string or "unknown browser",
        method=method,
        lifetime_s=state.token_lifetime_s,
    )
    if gate.wants_json(request):
        answer = jsonify({"paired": True, "device": issued.device.to_dict()})
    else:
        answer = redirect(gate.safe_next(str(data.get("next", "/"))), code=303)
    answer.set_cookie(
        gate.TOKEN_COOKIE,
        issued.token,
        max_age=int(state.token_lifetime_s),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return answer


@bp.get("/access")
def devices() -> Response:
    """The paired devices, each with a revoke button."""
    state: AccessState = get_state()
    listed = state.store.devices()
    current = g.get("access_device")
    if gate.wants_json(request):
        return jsonify(
            {
                "devices": [d.to_dict() for d in listed],
                "current_id": current.id if current is not None else None,
            }
        )
    return make_response(
        render_template("access.html", devices=listed, current_id=getattr(current, "id", None))
    )


@bp.post("/access/<int:device_id>/revoke")
def revoke(device_id: int) -> BaseResponse:
    """Revoke a device; revoking this browser's own device also clears its cookie."""
    store = get_state().store
    try:
        store.revoke(device_id)
    except UnknownDeviceError:
        if gate.wants_json(request):
            text = MESSAGES["access.error.unknown_device"]
            response = jsonify({"error": text, "message": text})
        else:
            response = make_response(
                render_template("access_refused.html", error=_text("access.error.unknown_device"))
            )
        response.status_code = 404
        return response
    current = g.get("access_device")
    own = current is not None and current.id == device_id
    answer: BaseResponse
    if gate.wants_json(request):
        answer = jsonify({"revoked": device_id})
    else:
        answer = redirect(url_for("access.pair" if own else "access.devices"), code=303)
    if own:
        answer.delete_cookie(
            gate.TOKEN_COOKIE, path="/", secure=request.is_secure, httponly=True, samesite="Strict"
        )
    return answer


def banner_text() -> str:
    """The banner shown while pairing is off for local development."""
    return _text("access.banner.local_dev")
