"""Settings form, personal target and calibration wizard.

Every POST is parsed in full before anything is changed: a form with any bad field is
answered with status 400, the page again with a message next to each bad field, and no
setting changed (``Monitor.update_settings`` is all-or-nothing as well).

The calibration wizard keeps its progress (the unloaded readings and the known-weight
points) in a hidden form field rather than on the server, so an abandoned wizard leaves
nothing behind and two tablets cannot mix their steps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from dashboard import api_settings, plots
from dashboard.context import get_monitor
from dashboard.forms import (
    WEIGHT_UNITS,
    Form,
    current_translate,
    settings_error_message,
    weight_to_newtons,
)
from dashboard.i18n import COOKIE as LANGUAGE_COOKIE
from insole.calibration import Calibration, check_drift, fit_curve
from insole.errors import CalibrationError, InsoleError, SettingsError
from insole.frames import SENSORS
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.settings import FOOT_SIDES, LANGUAGES, RANGES, Settings

bp = Blueprint("settings", __name__, url_prefix="/settings")

NUMBER_FIELDS = (
    "hold_target_s",
    "grace_s",
    "rep_target",
    "set_done_at",
    "min_share",
    "load_floor_n",
    "target_tolerance",
    "r_fixed_ohm",
)
"""Numeric settings on the form, in the order shown."""

POSITION_LIMIT_MM = 400.0
"""Sensor coordinates allowed on the form (the same limit ``Settings`` enforces)."""

MIN_TRIPOD_AREA_MM2 = 100.0
"""Sensor positions closer to a line than this cannot place a centre of pressure."""

CAPTURE_RANGE_S = (1.0, 10.0)
"""How long "show a correct hold" may record, in seconds."""


@bp.record_once
def _register_api(state: BlueprintSetupState) -> None:
    # The JSON API lives under /api; registering it here keeps app.py unaware of it.
    state.app.register_blueprint(api_settings.bp)


# --------------------------------------------------------------------------- settings form


def position_field(sensor: str, axis: str) -> str:
    """Form field name of one sensor coordinate, e.g. ``pos_heel_x``."""
    return f"pos_{sensor}_{axis}"


def form_values(settings: Settings) -> dict[str, str]:
    """The form's text fields filled from ``settings``."""
    values = {name: f"{getattr(settings, name):g}" for name in NUMBER_FIELDS}
    values["foot"] = settings.foot
    values["language"] = settings.language
    for sensor in SENSORS:
        x_mm, y_mm = settings.sensor_positions_mm[sensor]
        values[position_field(sensor, "x")] = f"{x_mm:g}"
        values[position_field(sensor, "y")] = f"{y_mm:g}"
    return values


def parse_settings_form(form: Form) -> dict[str, Any]:
    """The changes a submitted settings form asks for (check ``form.ok`` before using them)."""
    changes: dict[str, Any] = {}
    for name in NUMBER_FIELDS:
        value = form.number(name)
        if value is not None:
            changes[name] = int(value) if RANGES[name].integer else value
    foot = form.choice("foot", FOOT_SIDES)
    language = form.choice("language", LANGUAGES)
    if foot is not None:
        changes["foot"] = foot
    if language is not None:
        changes["language"] = language
    positions: dict[str, tuple[float, float]] = {}
    for sensor in SENSORS:
        x_mm = form.number(
            position_field(sensor, "x"), low=-POSITION_LIMIT_MM, high=POSITION_LIMIT_MM
        )
        y_mm = form.number(
            position_field(sensor, "y"), low=-POSITION_LIMIT_MM, high=POSITION_LIMIT_MM
        )
        if x_mm is not None and y_mm is not None:
            positions[sensor] = (x_mm, y_mm)
    if len(positions) == len(SENSORS):
        if triangle_area_mm2(positions) < MIN_TRIPOD_AREA_MM2:
            form.error("sensor_positions_mm", form.t("settings.positions_in_line"))
        else:
            changes["sensor_positions_mm"] = positions
    return changes


def triangle_area_mm2(positions: Mapping[str, tuple[float, float]]) -> float:
    """Area of the triangle of the three sensor positions."""
    (x1, y1), (x2, y2), (x3, y3) = (positions[name] for name in SENSORS)
    return abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) / 2


def _render_settings(
    settings: Settings, values: Mapping[str, str], form: Form | None, status: int = 200
) -> ResponseReturnValue:
    errors = form.errors if form is not None else {}
    known = set(values) | {"sensor_positions_mm", "personal_target"}
    return (
        render_template(
            "settings.html",
            settings=settings,
            values=values,
            errors=errors,
            other_errors=[msg for name, msg in errors.items() if name not in known],
            number_fields=NUMBER_FIELDS,
            ranges=RANGES,
            foot_sides=FOOT_SIDES,
            languages=LANGUAGES,
            sensors=SENSORS,
            saved=request.args.get("saved") is not None,
            capturing=_capturing_s(),
            capture_range=CAPTURE_RANGE_S,
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
def form() -> ResponseReturnValue:
    """Show the settings; on POST validate everything, then save all of it or nothing."""
    monitor = get_monitor()
    if request.method == "GET":
        return _render_settings(monitor.settings, form_values(monitor.settings), None)
    t = current_translate()
    submitted = Form(request.form, t)
    changes = parse_settings_form(submitted)
    if submitted.ok:
        try:
            monitor.update_settings(changes)
        except SettingsError as err:
            submitted.error(err.field, settings_error_message(t, err))
        except InsoleError as err:  # e.g. the log could not be written: say so on the page
            submitted.error("settings", str(err))
    else:
        # Also check the fields that did parse against the domain rules, so a cross-field
        # problem (set done at > holds per set) shows in the same answer, not the next.
        try:
            Settings.from_dict(changes, base=monitor.settings)
        except SettingsError as err:
            submitted.error(err.field, settings_error_message(t, err))
    if not submitted.ok:
        values = {**form_values(monitor.settings), **{k: submitted.text(k) for k in request.form}}
        return _render_settings(monitor.settings, values, submitted, 400)
    response = redirect(url_for("settings.form", saved=1), code=303)
    language = changes["language"]
    # The page the user is on follows the choice at once (the cookie wins over the device
    # setting for this browser); "as the browser" clears it. Same attributes as POST /lang.
    if language == "auto":
        response.delete_cookie(LANGUAGE_COOKIE, path="/", samesite="Lax", httponly=True)
    else:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=3600 * 24 * 365,
            path="/",
            samesite="Lax",
            httponly=True,
        )
    return response


@bp.post("/target")
def capture_target() -> ResponseReturnValue:
    """Start recording a demonstrated correct hold as the personal target."""
    monitor = get_monitor()
    t = current_translate()
    submitted = Form(request.form, t)
    duration_s = submitted.number("duration_s", low=CAPTURE_RANGE_S[0], high=CAPTURE_RANGE_S[1])
    if duration_s is not None:
        try:
            monitor.capture_target(duration_s)
        except InsoleError as err:
            submitted.error("duration_s", str(err))
    if not submitted.ok:
        values = {**form_values(monitor.settings), "duration_s": submitted.text("duration_s")}
        return _render_settings(monitor.settings, values, submitted, 400)
    return redirect(url_for("settings.form", capturing=f"{duration_s:g}"), code=303)


@bp.post("/target/clear")
def clear_target() -> ResponseReturnValue:
    """Go back to the default rule (minimum share) by removing the personal target."""
    get_monitor().update_settings({"personal_target": None})
    return redirect(url_for("settings.form", saved=1), code=303)


# --------------------------------------------------------------------------- calibration


@dataclass
class WizardState:
    """Progress of the calibration wizard, carried in the page between steps."""

    unloaded_v: tuple[float, float, float] | None = None
    points: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {name: [] for name in SENSORS}
    )

    def to_json(self) -> str:
        """Text for the hidden form field."""
        return json.dumps({"unloaded_v": self.unloaded_v, "points": self.points})

    @classmethod
    def from_json(cls, text: str) -> WizardState:
        """Parse the hidden field; anything malformed raises ``ValueError``."""
        if not text.strip():
            return cls()
        data = json.loads(text)
        unloaded = data.get("unloaded_v")
        state = cls()
        if unloaded is not None:
            values = [float(v) for v in unloaded]
            if len(values) != 3 or not all(math.isfinite(v) for v in values):
                raise ValueError("unloaded_v must be three finite voltages")
            state.unloaded_v = (values[0], values[1], values[2])
        for name in SENSORS:
            pairs = [(float(f), float(v)) for f, v in data.get("points", {}).get(name, [])]
            if not all(math.isfinite(f) and math.isfinite(v) for f, v in pairs):
                raise ValueError("points must be finite")
            state.points[name] = pairs
        return state


def live_volts(monitor: Any) -> tuple[float, float, float] | None:
    """The three divider voltages of the latest frame, or ``None`` when there is none."""
    latest = monitor.latest_raw()
    volts = None if latest is None else latest.get("volts")
    if not isinstance(volts, Mapping):
        return None
    return (float(volts["heel"]), float(volts["little_toe"]), float(volts["big_toe"]))


def fitted_curves(
    state: WizardState, divider: Divider
) -> tuple[dict[str, FsrCurve], dict[str, str]]:
    """A curve per sensor with enough points, and the reason for each sensor that failed."""
    curves: dict[str, FsrCurve] = {}
    errors: dict[str, str] = {}
    for name in SENSORS:
        points = state.points[name]
        if len(points) < 2:
            continue
        try:
            curves[name] = fit_curve(points, divider)
        except CalibrationError as err:
            errors[name] = str(err)
    return curves, errors


def curves_plot(state: WizardState, curves: Mapping[str, FsrCurve], divider: Divider) -> Markup:
    """The measured points and fitted curves of the wizard as an SVG plot."""
    t = current_translate()

    def model(curve: FsrCurve) -> Any:
        return lambda force_n: force_to_volts(force_n, curve, divider)

    series = [
        plots.CurveSeries(
            sensor=name,
            label=t(f"sensor.{name}.short"),
            measured=state.points[name],
            fitted=model(curves[name]) if name in curves else None,
        )
        for name in SENSORS
    ]
    return plots.calibration_curves(
        series,
        supply_v=divider.supply_v,
        title=t("calibrate.plot_title"),
        force_label=t("calibrate.force_axis"),
        volts_label=t("calibrate.volts_axis"),
    )


def drift_warning(
    calibration: Calibration, unloaded_v: tuple[float, float, float] | None
) -> str | None:
    """A warning when today's unloaded readings moved from the tare of ``calibration``."""
    if unloaded_v is None or not any(calibration.tare_n):
        return None  # nothing to compare with: never tared
    now_n = [
        calibration.curves[i].force_n(calibration.divider.resistance_ohm(v))
        for i, v in enumerate(unloaded_v)
    ]
    report = check_drift(calibration.tare_n, now_n)
    if not report.drifted:
        return None
    t = current_translate()
    parts = ", ".join(
        f"{t(f'sensor.{n}')} {d:+.1f} N"
        for n, d in zip(SENSORS, report.delta_n, strict=True)
        if n in report.drifted
    )
    return t("calibrate.drift", sensors=parts, limit=f"{report.limit_n:g}")


def _render_wizard(
    state: WizardState,
    form: Form | None = None,
    *,
    status: int = 200,
    saved_id: int | None = None,
) -> ResponseReturnValue:
    monitor = get_monitor()
    settings: Settings = monitor.settings
    divider = Divider(settings.supply_v, settings.r_fixed_ohm)
    curves, fit_errors = fitted_curves(state, divider)
    return (
        render_template(
            "calibrate.html",
            state=state,
            state_json=state.to_json(),
            sensors=SENSORS,
            curves=curves,
            fit_errors=fit_errors,
            plot=curves_plot(state, curves, divider),
            errors=form.errors if form is not None else {},
            values=form.data if form is not None else {},
            units=WEIGHT_UNITS,
            calibration_id=monitor.status().get("calibration_id"),
            drift=drift_warning(monitor.calibration, state.unloaded_v),
            divider=divider,
            saved_id=saved_id,
            complete=state.unloaded_v is not None and len(curves) == len(SENSORS),
            sensor_labels=[
                [name, current_translate()(f"sensor.{name}.short")] for name in SENSORS
            ],
        ),
        status,
    )


def _wizard_state(form: Form) -> WizardState:
    try:
        return WizardState.from_json(form.text("state"))
    except (ValueError, TypeError, AttributeError):
        form.error("state", form.t("calibrate.bad_state"))
        return WizardState()


def _capturing_s() -> str | None:
    """The ``capturing`` notice's seconds, shown only when they are a capture's length.

    The page puts them in a notice and hands them to its script: anything else in the URL
    (a hand-edited or forged link) is ignored rather than echoed.
    """
    seconds = request.args.get("capturing", type=float)
    if seconds is None or not CAPTURE_RANGE_S[0] <= seconds <= CAPTURE_RANGE_S[1]:
        return None
    return f"{seconds:g}"


@bp.get("/calibrate")
def calibrate() -> ResponseReturnValue:
    """The first step of the wizard (and the saved calibration, if any)."""
    return _render_wizard(WizardState(), saved_id=request.args.get("saved", type=int))


@bp.post("/calibrate/tare")
def calibrate_tare() -> ResponseReturnValue:
    """Step 1: record the unloaded readings with the foot lifted."""
    t = current_translate()
    submitted = Form(request.form, t)
    state = _wizard_state(submitted)
    volts = live_volts(get_monitor())
    if volts is None:
        submitted.error("tare", t("calibrate.no_reading"))
    else:
        state.unloaded_v = volts
    return _render_wizard(state, submitted, status=200 if submitted.ok else 400)


@bp.post("/calibrate/point")
def calibrate_point() -> ResponseReturnValue:
    """Step 2: a known weight on one sensor; the current reading of that sensor is kept."""
    t = current_translate()
    submitted = Form(request.form, t)
    state = _wizard_state(submitted)
    sensor = submitted.choice("sensor", SENSORS)
    force_n = weight_to_newtons(submitted, "weight", "unit")
    volts = live_volts(get_monitor())
    if volts is None:
        submitted.error("weight", t("calibrate.no_reading"))
    if submitted.ok and sensor is not None and force_n is not None and volts is not None:
        state.points[sensor].append((round(force_n, 3), volts[SENSORS.index(sensor)]))
    return _render_wizard(state, submitted, status=200 if submitted.ok else 400)


@bp.post("/calibrate/remove")
def calibrate_remove() -> ResponseReturnValue:
    """Drop one known-weight point (a mistaken step)."""
    submitted = Form(request.form, current_translate())
    state = _wizard_state(submitted)
    sensor = submitted.choice("sensor", SENSORS)
    index = submitted.number("index", integer=True, low=0)
    if sensor is not None and index is not None and int(index) < len(state.points[sensor]):
        del state.points[sensor][int(index)]
    return _render_wizard(state, submitted, status=200 if submitted.ok else 400)


@bp.post("/calibrate/save")
def calibrate_save() -> ResponseReturnValue:
    """Last step: fit every curve, tare them and store the calibration."""
    t = current_translate()
    submitted = Form(request.form, t)
    state = _wizard_state(submitted)
    label = submitted.text("label")[:80] or t("calibrate.default_label")
    settings: Settings = get_monitor().settings
    divider = Divider(settings.supply_v, settings.r_fixed_ohm)
    curves, fit_errors = fitted_curves(state, divider)
    calibration: Calibration | None = None
    if state.unloaded_v is None:
        submitted.error("tare", t("calibrate.need_tare"))
    elif len(curves) < len(SENSORS) or fit_errors:
        submitted.error("save", t("calibrate.need_curves"))
    else:
        try:
            calibration = Calibration(
                divider, (curves["heel"], curves["little_toe"], curves["big_toe"])
            ).with_tare(state.unloaded_v)
        except CalibrationError as err:
            submitted.error("tare", str(err))
    if calibration is None or not submitted.ok:
        return _render_wizard(state, submitted, status=400)
    calibration_id = get_monitor().save_calibration(calibration, label)
    return redirect(url_for("settings.calibrate", saved=calibration_id), code=303)
