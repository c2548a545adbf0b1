"""Runner pages: the list, add, rename, delete, the current runner and the programme editor.

==================================== ======================================================
``GET/POST /runners/``               the runners and a form to add one
``POST /runners/select``             make a runner current on the device (``runner_id``;
                                     empty for nobody), then back to ``next``
``GET/POST /runners/<id>``           a runner: name and foot, their programme, links
``POST /runners/<id>/programme``     save the programme editor (all fields or none)
``POST /runners/<id>/programme/reset``  back to the article's programme
``GET/POST /runners/<id>/delete``    confirm, then delete (their sessions stay, unlinked)
``GET /review/runners/<id>/trend``   the runner's weekly trend per exercise
==================================== ======================================================

Forms are parsed in full first; a bad field is answered with status 400 and the page
with a message next to it, and nothing is saved. The JSON API is ``dashboard.api_runners``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from dashboard import api_review, api_runners, plots, runner_data
from dashboard.context import get_log, get_monitor
from dashboard.forms import Form, current_translate
from dashboard.review import format_when
from dashboard.review_data import WeekRow, as_datetime
from insole.errors import InsoleError, SettingsError
from insole.programme import DEFAULT_PROGRAMME, ProgrammeError
from insole.runners import MAX_NAME_CHARS, Runner, Runners
from insole.settings import FOOT_SIDES
from insole.store import MAX_ROW_ID, LogInputError, RunnerNotFoundError

bp = Blueprint("runners", __name__)


@bp.record_once
def _register_api(state: BlueprintSetupState) -> None:
    # The JSON API lives under /api; registering it here keeps app.py to one line.
    state.app.register_blueprint(api_runners.bp)


@bp.app_template_global("runner_picker")
def runner_picker() -> dict[str, Any] | None:
    """What the current-runner picker in the page header shows (``None``: no device)."""
    monitor = runner_data.attached_monitor()
    # The pairing page shares the header: names are personal, so a browser that is not
    # paired (nor local) sees no picker.
    allowed = g.get("access_local") or g.get("access_device") is not None
    if monitor is None or not allowed:
        return None
    return {
        "runners": Runners(monitor.log).all(),
        "current": runner_data.current_runner_id(),
        "locked": runner_data.set_running(),
    }


@bp.app_template_global("runner_name")
def runner_name(runner_id: int | None) -> str | None:
    """The name of a session's runner (``None``: nobody, or deleted since)."""
    log = current_app.extensions.get("insole_log")
    if runner_id is None or log is None:
        return None
    try:
        return Runners(log).get(runner_id).name
    except RunnerNotFoundError:
        return None


@bp.app_template_global("all_runners")
def all_runners() -> list[Runner]:
    """Every runner by name (empty without a session log)."""
    log = current_app.extensions.get("insole_log")
    return [] if log is None else Runners(log).all()


@bp.app_template_global("runner_weeks")
def runner_weeks(runner_id: int | None, exercise: str) -> list[WeekRow]:
    """A runner's weekly totals of one exercise (for the report's trend part)."""
    log = current_app.extensions.get("insole_log")
    if runner_id is None or log is None:
        return []
    summaries = api_review.all_summaries(log, runner_id=runner_id)
    trends = runner_data.exercise_trends([s for s in summaries if s["exercise"] == exercise])
    return trends[0].weeks if trends else []


def _runner_or_404(runner_id: int) -> Runner:
    try:
        return Runners(get_log()).get(runner_id)
    except RunnerNotFoundError:
        abort(404, description=current_translate()("runners.missing", id=runner_id))


def _profile_errors(form: Form, err: InsoleError) -> None:
    """A domain refusal of a name or foot, as a message next to the field."""
    t = form.t
    if isinstance(err, LogInputError) and "exists already" in str(err):
        form.error("name", t("runners.name_taken", name=form.text("name")))
    elif isinstance(err, SettingsError) and err.field == "name":
        form.error("name", t("runners.name_rule", max=MAX_NAME_CHARS))
    elif isinstance(err, SettingsError):
        form.error(err.field, err.message)
    else:
        form.error("name", str(err))


def _list_page(form: Form | None = None, status: int = 200) -> ResponseReturnValue:
    log = get_log()
    return (
        render_template(
            "runners.html",
            runners=Runners(log).all(),
            counts=runner_data.session_counts(log),
            current=runner_data.current_runner_id(),
            feet=FOOT_SIDES,
            errors=form.errors if form else {},
            values=form.data if form else {},
            max_name=MAX_NAME_CHARS,
            notice=request.args.get("notice"),
            notice_name=request.args.get("name", ""),
        ),
        status,
    )


def _profile_form() -> tuple[Form, str | None]:
    """The posted runner profile: the form (errors marked on it) and the foot if valid."""
    form = Form(request.form, current_translate())
    foot = form.choice("foot", FOOT_SIDES)
    if not form.text("name"):
        form.error("name", form.t("runners.name_rule", max=MAX_NAME_CHARS))
    return form, foot


@bp.route("/runners/", methods=["GET", "POST"])
def runners() -> ResponseReturnValue:
    """The runners; POST adds one (``name``, ``foot``)."""
    if request.method == "GET":
        return _list_page()
    form, foot = _profile_form()
    if form.ok and foot is not None:
        try:
            added = runner_data.add_runner(get_log(), form.text("name"), foot)
        except InsoleError as err:
            _profile_errors(form, err)
        else:
            return redirect(url_for("runners.runner", runner_id=added.id, notice="added"), 303)
    return _list_page(form, 400)


def _safe_next(target: str | None) -> str:
    """A local path to go back to (anything else: the live page)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.post("/runners/select")
def select() -> ResponseReturnValue:
    """Make a runner current on the device (empty ``runner_id``: nobody)."""
    form = Form(request.form, current_translate())
    raw = form.text("runner_id")
    runner_id: int | None = None
    if raw:
        number = form.number("runner_id", integer=True, low=1, high=MAX_ROW_ID)
        if number is None:
            abort(400, description=form.errors["runner_id"])
        runner_id = int(number)
    monitor = get_monitor()
    try:
        monitor.select_runner(runner_id)
    except RunnerNotFoundError:
        abort(404, description=form.t("runners.missing", id=runner_id))
    except InsoleError as err:  # a set is running
        abort(409, description=form.t("runners.switch_refused", reason=str(err)))
    return redirect(_safe_next(form.text("next")), 303)


def _runner_page(
    runner: Runner,
    *,
    profile: Form | None = None,
    programme: Form | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    programme_now = runner.programme()
    values = runner_data.programme_values(programme_now)
    if programme is not None:
        values.update({k: programme.text(k) for k in values if k in programme.data})
    return (
        render_template(
            "runner.html",
            runner=runner,
            feet=FOOT_SIDES,
            profile_errors=profile.errors if profile else {},
            profile_values=profile.data if profile else {"name": runner.name, "foot": runner.foot},
            programme_errors=programme.errors if programme else {},
            values=values,
            steps=DEFAULT_PROGRAMME.steps,
            default_values=runner_data.programme_values(DEFAULT_PROGRAMME),
            step_fields=runner_data.step_fields,
            field_name=runner_data.field_name,
            limits=runner_data.field_limits,
            is_current=runner_data.current_runner_id() == runner.id,
            sessions=runner_data.session_counts(get_log())[runner.id or 0],
            notice=request.args.get("notice"),
            max_name=MAX_NAME_CHARS,
        ),
        status,
    )


@bp.route("/runners/<int:runner_id>", methods=["GET", "POST"])
def runner(runner_id: int) -> ResponseReturnValue:
    """A runner's page; POST renames them or changes their foot."""
    current = _runner_or_404(runner_id)
    if request.method == "GET":
        return _runner_page(current)
    form, foot = _profile_form()
    if form.ok and foot is not None:
        try:
            runner_data.update_runner(get_log(), runner_id, name=form.text("name"), foot=foot)
        except InsoleError as err:
            _profile_errors(form, err)
        else:
            return redirect(url_for("runners.runner", runner_id=runner_id, notice="saved"), 303)
    return _runner_page(current, profile=form, status=400)


def parse_programme(form: Form) -> dict[str, float]:
    """The editor's numbers by field name (check ``form.ok``); range errors per field."""
    values: dict[str, float] = {}
    for step in DEFAULT_PROGRAMME.steps:
        for name in runner_data.step_fields(step):
            low, high, whole = runner_data.field_limits(name)
            key = runner_data.field_name(step.mode, name)
            value = form.number(key, integer=whole, low=low, high=high)
            if value is not None:
                values[key] = value
    return values


@bp.post("/runners/<int:runner_id>/programme")
def programme(runner_id: int) -> ResponseReturnValue:
    """Save the programme editor: every field valid, or nothing changes."""
    current = _runner_or_404(runner_id)
    form = Form(request.form, current_translate())
    values = parse_programme(form)
    if form.ok:
        try:
            runner_data.update_runner(
                get_log(), runner_id, targets=runner_data.targets_from(values)
            )
        except ProgrammeError as err:
            form.error(err.path, err.message)
        else:
            return redirect(
                url_for("runners.runner", runner_id=runner_id, notice="programme_saved")
                + "#programme",
                303,
            )
    return _runner_page(current, programme=form, status=400)


@bp.post("/runners/<int:runner_id>/programme/reset")
def programme_reset(runner_id: int) -> ResponseReturnValue:
    """Back to the article's programme (the runner's targets are cleared)."""
    _runner_or_404(runner_id)
    runner_data.update_runner(get_log(), runner_id, targets={})
    return redirect(
        url_for("runners.runner", runner_id=runner_id, notice="programme_reset") + "#programme",
        303,
    )


@bp.route("/runners/<int:runner_id>/delete", methods=["GET", "POST"])
def delete(runner_id: int) -> ResponseReturnValue:
    """GET asks for confirmation (and says what happens to the sessions); POST deletes."""
    current = _runner_or_404(runner_id)
    log = get_log()
    if request.method == "POST":
        try:
            runner_data.delete_runner(log, runner_id)
        except runner_data.RunnerBusyError:
            abort(409, description=current_translate()("runners.delete_busy", name=current.name))
        return redirect(url_for("runners.runners", notice="deleted", name=current.name), 303)
    return render_template(
        "runner_delete.html",
        runner=current,
        sessions=runner_data.session_counts(log)[runner_id],
        is_current=runner_data.current_runner_id() == runner_id,
    )


# --------------------------------------------------------------------------- trend


def exercise_plot(trend: runner_data.ExerciseTrend) -> Markup:
    """Weekly correct holds or reps (bars) and the weekly mean score (line) of one exercise."""
    t = current_translate()
    count_label = t("runners.correct_holds" if trend.kind == "hold" else "runners.correct_reps")
    points = [
        plots.TrendPoint(
            started_at=runner_data.week_middle(week.week_start),
            correct=week.correct,
            mean_score=week.mean_score,
            title=t(
                "runners.week_point",
                week=_week_label(week.week_start),
                correct=week.correct,
                attempted=week.attempted,
                sessions=week.sessions,
            ),
        )
        for week in trend.weeks
    ]
    return plots.trend(
        points,
        title=t("runners.trend_plot_title", exercise=t(f"exercise.{trend.mode}")),
        correct_label=count_label,
        score_label=t("review.mean_score"),
        empty_text=t("review.no_sessions"),
        week_label=_week_label,
    )


def _week_label(monday: Any) -> str:
    year, week, _day = monday.isocalendar()
    return current_translate()("review.week_label", week=week, year=year)


@bp.get("/review/runners/<int:runner_id>/trend")
def trend(runner_id: int) -> ResponseReturnValue:
    """The runner's progress over weeks, one chart and one weekly table per exercise."""
    current = _runner_or_404(runner_id)
    summaries = api_review.all_summaries(get_log(), runner_id=runner_id)
    trends = runner_data.exercise_trends(summaries)
    last = as_datetime(summaries[-1]["started_at"]) if summaries else None
    return render_template(
        "runner_trend.html",
        runner=current,
        trends=[(trend, exercise_plot(trend)) for trend in trends],
        session_count=len(summaries),
        last_session=format_when(last) if last else None,
        all_runners=Runners(get_log()).all(),
    )


@bp.errorhandler(BadRequest)
@bp.errorhandler(NotFound)
@bp.errorhandler(Conflict)
def refused(err: BadRequest | NotFound | Conflict) -> tuple[str, int]:
    """A readable page (missing runner, switch during a set) instead of the default."""
    key = "review.missing_title" if isinstance(err, NotFound) else "review.refused_title"
    heading = current_translate()(key)
    return render_template("review_error.html", heading=heading, message=err.description), (
        err.code or 500
    )
