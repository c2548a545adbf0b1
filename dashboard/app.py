"""The application factory."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, Map

from dashboard import (
    access,
    banners,
    data_admin,
    guided,
    i18n,
    live,
    review,
    runners_views,
    session_cache,
    settings_views,
    sse,
)
from dashboard.api_errors import KINDS
from insole.store import MAX_ROW_ID


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
    # Before any blueprint (access registers one): rules pick their converters when added.
    app.url_map.converters["int"] = RowIdConverter
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
    session_cache.init_app(app)
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


class RowIdConverter(IntegerConverter):
    """``<int:...>`` limited to SQLite's integers: a larger number is a 404, not a 500.

    Werkzeug's converter takes integers of any size, and SQLite raises ``OverflowError`` on
    one beyond 64 bits (``/review/99999999999999999999``).
    """

    def __init__(
        self,
        url_map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        low = -MAX_ROW_ID - 1 if min is None else builtins.max(min, -MAX_ROW_ID - 1)
        high = MAX_ROW_ID if max is None else builtins.min(max, MAX_ROW_ID)
        super().__init__(url_map, fixed_digits, low, high, signed)


NOT_FOUND_MESSAGE = (
    "nothing is at {path}: numbers in addresses (session, device) are whole numbers from 1 "
    "to 9223372036854775807; see /api/sessions for the sessions there are"
)


def _api_errors_as_json(
    err: HTTPException,
) -> HTTPException | Response | str | tuple[Response | str, int]:
    """Errors under ``/api/`` answer JSON ``{"error", "message"}``; pages keep HTML errors.

    An address no route matches (``/review/abc``, ``/api/sessions/-1``) gets a message
    saying what is allowed instead of werkzeug's stock "The requested URL was not found".
    """
    if err.response is not None:
        return err
    if isinstance(err, MethodNotAllowed) and not _address_exists(err.valid_methods or ()):
        err = NotFound()
    status = err.code or 500
    stock_not_found = isinstance(err, NotFound) and err.description == NotFound.description
    if not request.path.startswith("/api/"):
        if stock_not_found:
            return render_template("not_found.html", path=request.path), status
        return err
    kind = KINDS.get(status) or (err.name or "error").lower().replace(" ", "_")
    message = err.description
    if stock_not_found:
        message = NOT_FOUND_MESSAGE.format(path=request.path)
    elif isinstance(err, MethodNotAllowed) and err.description == MethodNotAllowed.description:
        allowed = ", ".join(sorted(set(err.valid_methods or ()) - {"HEAD", "OPTIONS"}))
        message = f"{request.method} is not allowed at {request.path}; allowed: {allowed}"
    return jsonify({"error": kind, "message": message}), status


def _address_exists(methods: Iterable[str]) -> bool:
    """Whether the request's path matches a route with one of ``methods``.

    Werkzeug answers 405 when another method's rule matched the path's shape but not its
    converter (``DELETE /api/sessions/<a number beyond 64 bits>``): that is a 404.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:  # a redirect: the address exists
            return True
        return True
    return False
