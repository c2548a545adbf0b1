"""Access control for the dashboard: pairing, device tokens, CSRF, security headers.

One call plugs it into the app factory: ``access.init_app(app)`` (after ``i18n.init_app``,
before any other ``before_request`` hook). See docs/security.md for the design and its
reasons, and ``state.DEFAULTS`` for the config keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from dashboard.access import csrf, gate, headers, views
from dashboard.access.state import DEFAULTS, EXTENSION, AccessState, get_state
from dashboard.access.store import DEFAULT_BUTTON_WINDOW_S, AccessStore
from insole.errors import StorageError

__all__ = [
    "AccessStore",
    "get_state",
    "init_app",
    "start_button_pairing",
    "still_allowed_checker",
]


def start_button_pairing(target: Flask | AccessStore, window_s: float | None = None) -> float:
    """Open a button-pairing window: the next browser that asks on /pair is paired.

    ``target`` is the dashboard app (its store and configured window are used) or an
    :class:`AccessStore`. Returns the window length in seconds. Safe to call from any
    thread (the GPIO button callback): it is one short SQLite transaction.
    """
    if isinstance(target, AccessStore):
        return target.open_button_window(
            window_s if window_s is not None else DEFAULT_BUTTON_WINDOW_S
        )
    state = get_state(target)
    return state.store.open_button_window(
        window_s if window_s is not None else state.button_window_s
    )


def still_allowed_checker() -> Callable[[], bool]:
    """For long responses such as the live stream: "is this browser still allowed?".

    Call inside the request; the returned callable works after the request context is
    gone (in a streaming generator). Call it at each keepalive and end the stream when it
    returns False, so revoking a tablet also cuts its open stream, not just its next request.
    """
    device = g.get("access_device")
    if g.get("access_local") or device is None:
        # Local development stays allowed; an unpaired request never got this far.
        return lambda: True
    store = get_state().store
    device_id = device.id

    def still_allowed() -> bool:
        try:
            return store.is_paired(device_id)
        except StorageError:
            # The door stays closed when the access database cannot be read (as the 500
            # a request with a token gets): the stream ends, the reconnection is refused.
            return False

    return still_allowed


def _gate() -> ResponseReturnValue | None:
    """Before every request: pairing first (401), then CSRF (403)."""
    state = get_state()
    g.access_local = gate.local_skip_applies(current_app.config, request)
    g.access_device = None
    token = request.cookies.get(gate.TOKEN_COOKIE)
    if token and request.endpoint != "static":
        g.access_device = state.store.check_token(token)
    allowed = g.access_local or g.access_device is not None
    if not (allowed or gate.is_public(request.endpoint, current_app.config)):
        return views.not_paired()
    reason = csrf.problem(request)
    if reason is not None:
        return views.forbidden_csrf(reason)
    return None


def _after(response: Response) -> Response:
    headers.add_security_headers(response)
    return csrf.set_cookie_if_needed(response)


def _template_context() -> dict[str, object]:
    """``access_banner``: text for a visible banner while pairing is off, else None."""
    banner = None
    if g.get("access_local"):
        banner = views.banner_text()
    return {"access_banner": banner, "access_device": g.get("access_device")}


def _iso_utc(wall_s: float) -> str:
    """Unix seconds as ``2026-11-24 02:30`` (UTC: the Pi may not know the local zone)."""
    return datetime.fromtimestamp(wall_s, UTC).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask, *, store: AccessStore | None = None) -> None:
    """Switch access control on for ``app``.

    ``store`` replaces the access database of the configured data dir (tests give one with
    their own clock). Calling it again on the same app only replaces the state.
    """
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if app.config["INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING"] and not gate.local_bind(app.config):
        app.logger.warning(
            "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING is ignored: the service listens on %r, "
            "not on loopback only, so every browser must pair",
            app.config["INSOLE_BIND_HOST"],
        )
    already = EXTENSION in app.extensions
    app.extensions[EXTENSION] = AccessState(app, store)
    if already:
        return  # a second call (a test giving its own store) only replaces the state
    app.before_request(_gate)
    app.after_request(_after)
    app.context_processor(_template_context)
    app.jinja_env.globals["csrf_token"] = csrf.csrf_token
    app.jinja_env.globals["csrf_field"] = csrf.csrf_field
    app.jinja_env.filters["access_iso"] = _iso_utc
    app.register_blueprint(views.bp)
