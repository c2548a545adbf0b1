"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard import (
    access,
    banners,
    data_admin,
    guided,
    i18n,
    live,
    review,
    runners_views,
    settings_views,
    sse,
)
from dashboard.api_errors import KINDS


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    monitor: Any = None,
    log: Any = None,
) -> Flask:
    """Build the dashboard app.

    ``monitor`` is the running device (see docs/ARCHITECTURE.md, "The Monitor"); ``log`` is
    the ``insole.store.SessionLog`` for review pages (defaults to ``monitor.log``). Either
    may be omitted in tests of pages that do not need it.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=None,  # set by the service; pairing tokens do not rely on Flask sessions
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,  # uploads are recordings/backups; refuse floods
        JSON_SORT_KEYS=False,
        LIVE_MAX_RATE_HZ=sse.DEFAULT_MAX_RATE_HZ,  # frame events per second per client
        LIVE_KEEPALIVE_S=sse.DEFAULT_KEEPALIVE_S,  # comment after this long without a write
        # The language switch is harmless and the pairing page should be readable in German.
        INSOLE_PUBLIC_ENDPOINTS=("live.switch_language",),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.extensions["insole_monitor"] = monitor
    app.extensions["insole_log"] = log if log is not None else getattr(monitor, "log", None)
    i18n.init_app(app)
    # Pairing, CSRF and security headers: registered first so the gate runs before any
    # other request hook (docs/security.md).
    access.init_app(app)
    # Every page shows the device's banners (a fault must not hide behind another page).
    app.jinja_env.globals["device_banners"] = lambda: banners.device_banners(i18n.translate)
    app.register_error_handler(HTTPException, _api_errors_as_json)

    app.register_blueprint(live.bp)
    app.register_blueprint(guided.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(runners_views.bp)
    app.register_blueprint(data_admin.bp)
    return app


def _api_errors_as_json(err: HTTPException) -> HTTPException | Response | tuple[Response, int]:
    """Errors under ``/api/`` answer JSON ``{"error", "message"}``; pages keep HTML errors."""
    if err.response is not None or not request.path.startswith("/api/"):
        return err
    status = err.code or 500
    kind = KINDS.get(status) or (err.name or "error").lower().replace(" ", "_")
    return jsonify({"error": kind, "message": err.description}), status
