"""The JSON error answer shared by the review, settings and runners APIs.

Same shape as the live API: ``{"error": <kind>, "message": <what was wrong and what is
allowed>, "field": <the input at fault, when there is one>}`` with the HTTP status.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

KINDS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    503: "unavailable",
}


def error_response(status: int, message: str, field: str | None = None) -> ResponseReturnValue:
    """A JSON error with its status; the kind word is derived from the status."""
    body = {"error": KINDS.get(status, "error"), "message": message}
    if field is not None:
        body["field"] = field
    return jsonify(body), status


class RefusedRequestError(Exception):
    """A request an API refuses: its status, what was wrong and allowed, the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def _refused(err: RefusedRequestError) -> ResponseReturnValue:
    return error_response(err.status, err.message, err.field)


def _http_error(err: HTTPException) -> ResponseReturnValue:
    # 503 without a monitor, 405, 404 and the like: JSON too, with the reason in words.
    return error_response(err.code or 500, str(err.description))


def answer_errors_in_json(bp: Blueprint) -> None:
    """Make ``bp`` answer refused requests and HTTP errors with :func:`error_response`."""
    bp.register_error_handler(RefusedRequestError, _refused)
    bp.register_error_handler(HTTPException, _http_error)
