"""JSON API of the settings and the calibration (documented in ``dashboard/openapi.json``).

Errors are ``dashboard.api_errors`` JSON: status 400 for a bad value (``field`` names it),
503 when no monitor is attached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api_errors import RefusedRequestError, answer_errors_in_json
from dashboard.context import get_log, get_monitor
from insole.calibration import Calibration, fit_curve
from insole.errors import CalibrationError, SettingsError
from insole.frames import SENSORS
from insole.sensor_model import Divider
from insole.settings import FOOT_SIDES, LANGUAGES, RANGES

bp = Blueprint("settings_api", __name__, url_prefix="/api")


class ApiError(RefusedRequestError):
    """A request the API refuses, with the field at fault (answered as 400)."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(status, message, field)


def _json_body() -> Mapping[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        raise ApiError("body", "the request body must be a JSON object")
    return body


def settings_document(settings: Any) -> dict[str, Any]:
    """Current settings with the allowed ranges and choices a client needs for a form."""
    return {
        "settings": settings.to_dict(),
        "ranges": {name: dataclasses.asdict(allowed) for name, allowed in RANGES.items()},
        "choices": {"foot": list(FOOT_SIDES), "language": list(LANGUAGES)},
    }


@bp.get("/settings")
def get_settings() -> ResponseReturnValue:
    """The current settings, allowed ranges and choices."""
    return jsonify(settings_document(get_monitor().settings))


@bp.put("/settings")
def put_settings() -> ResponseReturnValue:
    """Change some settings: all of them are applied, or (on any bad value) none."""
    monitor = get_monitor()
    changes = _json_body()
    try:
        settings = monitor.update_settings(dict(changes))
    except SettingsError as err:
        raise ApiError(err.field, err.message) from err
    return jsonify(settings_document(settings))


@bp.get("/calibration")
def get_calibration() -> ResponseReturnValue:
    """The latest saved calibration (``null`` when none was saved yet)."""
    latest = get_log().latest_calibration()
    if latest is None:
        return jsonify(id=None, calibration=None)
    calibration_id, data = latest
    return jsonify(id=calibration_id, calibration=data)


@bp.get("/calibration/reading")
def reading() -> ResponseReturnValue:
    """The latest raw reading: divider volts and untared forces (for the wizard's display)."""
    return jsonify(reading=get_monitor().latest_raw())


def _points(body: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    raw = body.get("points")
    if not isinstance(raw, Mapping) or not set(raw) <= set(SENSORS):
        raise ApiError("points", f"must map sensor names ({', '.join(SENSORS)}) to point lists")
    points: dict[str, list[tuple[float, float]]] = {}
    for name, pairs in raw.items():
        try:
            points[name] = [(float(force), float(volts)) for force, volts in pairs]
        except (TypeError, ValueError) as err:
            raise ApiError("points", f"{name}: points must be [force_n, volts] pairs") from err
    return points


def _divider(body: Mapping[str, Any]) -> Divider:
    """The divider given in the body, else the device's (from its current settings)."""
    supply_v = body.get("supply_v")
    r_fixed_ohm = body.get("r_fixed_ohm")
    if supply_v is None or r_fixed_ohm is None:
        settings = get_monitor().settings
        supply_v = settings.supply_v if supply_v is None else supply_v
        r_fixed_ohm = settings.r_fixed_ohm if r_fixed_ohm is None else r_fixed_ohm
    try:
        return Divider(float(supply_v), float(r_fixed_ohm))
    except (TypeError, ValueError) as err:
        raise ApiError("divider", str(err)) from err


@bp.post("/calibration/fit")
def fit() -> ResponseReturnValue:
    """Fit a curve per sensor to known-weight points; nothing is stored."""
    body = _json_body()
    divider = _divider(body)
    curves: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, points in _points(body).items():
        try:
            curve = fit_curve(points, divider)
        except CalibrationError as err:
            errors[name] = str(err)
        else:
            curves[name] = {"r_at_1n_ohm": curve.r_at_1n_ohm, "exponent": curve.exponent}
    return jsonify(curves=curves, errors=errors), 200 if not errors else 400


@bp.post("/calibration")
def save_calibration() -> ResponseReturnValue:
    """Store a calibration (``Calibration.to_dict`` form) with a label and put it in force."""
    body = _json_body()
    data = body.get("calibration")
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > 80:
        raise ApiError("label", "must be text of at most 80 characters")
    if not isinstance(data, Mapping):
        raise ApiError("calibration", "must be an object (see Calibration.to_dict)")
    try:
        calibration = Calibration.from_dict(data)
    except CalibrationError as err:
        raise ApiError("calibration", str(err)) from err
    calibration_id = get_monitor().save_calibration(calibration, label)
    return jsonify(id=calibration_id, calibration=calibration.to_dict()), 201


answer_errors_in_json(bp)
