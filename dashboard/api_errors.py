"""The JSON error answer shared by the review and settings APIs.

Same shape as the live API: ``{"error": <kind>, "message": <what was wrong and what is
allowed>, "field": <the input at fault, when there is one>}`` with the HTTP status.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

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
