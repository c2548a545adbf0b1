"""Review pages: sessions, session detail, trend, export, report, delete.

HTML pages live under ``/review``; the matching JSON API (``/api/sessions...``) is the
``review_api`` blueprint in ``dashboard.api_review``, registered together with this one.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

import numpy as np
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup
from werkzeug.exceptions import Conflict, NotFound
from werkzeug.wrappers import Response as BaseResponse

from dashboard import api_review, export, plots, session_cache
from dashboard.context import get_log
from dashboard.forms import current_translate
from dashboard.review_data import (
    SessionData,
    as_datetime,
    get_summary,
    hold_frames,
    load_session,
    weekly,
)
from dashboard.review_feet import feet_symmetry
from dashboard.runner_data import runner_filter_of
from insole.frames import SENSORS
from insole.records import Hold
from insole.settings import Settings

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.record_once
def _register_api(state: BlueprintSetupState) -> None:
    # The JSON API lives outside /review; registering it here keeps app.py unaware of it.
    state.app.register_blueprint(api_review.bp)


# --------------------------------------------------------------------------- template helpers


DATE_TIME_FORMATS = {"en": "%Y-%m-%d %H:%M", "de": "%d.%m.%Y %H:%M"}
DATE_FORMATS = {"en": "%Y-%m-%d", "de": "%d.%m.%Y"}


@bp.app_template_filter("when")
def format_when(value: Any) -> str:
    """A stored time stamp in local time, written the reader's way; an em dash when unknown."""
    moment = as_datetime(value)
    if moment is None:
        return "—"
    return moment.strftime(DATE_TIME_FORMATS.get(g.get("lang", "en"), DATE_TIME_FORMATS["en"]))


@bp.app_template_filter("day")
def format_day(value: date) -> str:
    """A calendar day written the reader's way."""
    return value.strftime(DATE_FORMATS.get(g.get("lang", "en"), DATE_FORMATS["en"]))


@bp.app_template_filter("duration")
def format_duration(seconds: Any) -> str:
    """Seconds as 'm:ss' (or 'h:mm:ss' from an hour on)."""
    if seconds is None:
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_global("t_or")
def translate_or(key: str, fallback: Any) -> str:
    """The translation of ``key``, or ``fallback`` as text when no catalogue has the key."""
    text = current_translate()(key)
    return str(fallback) if text == key else text


def current_settings() -> Settings | None:
    """The device's current settings when a monitor is attached (review works without one)."""
    monitor = current_app.extensions.get("insole_monitor")
    return None if monitor is None else monitor.settings


def sensor_labels() -> dict[str, str]:
    """Translated short names of the three points."""
    t = current_translate()
    return {name: t(f"sensor.{name}.short") for name in SENSORS}


def hold_title(number: int, hold: Hold) -> str:
    """One line describing a hold, for tooltips."""
    t = current_translate()
    return t(
        "review.hold_title",
        number=number,
        duration=f"{hold.duration_s:.1f}",
        outcome=t(f"outcome.{hold.outcome}"),
        score=f"{hold.score:.0f}",
    )


def session_plots(data: SessionData) -> tuple[Markup, list[Markup]]:
    """The share timeline and one centre-of-pressure plot per hold."""
    t = current_translate()
    labels = sensor_labels()
    spans = [
        plots.Span(
            start_s=hold.start_s,
            end_s=hold.end_s,
            css_class=f"outcome-{hold.outcome}",
            label=str(number),
            title=hold_title(number, hold),
        )
        for number, hold in enumerate(data.holds, start=1)
    ]
    timeline = plots.share_timeline(
        data.frames,
        spans,
        sensor_labels=labels,
        title=t("review.timeline_title"),
        time_label=t("review.time_axis"),
        share_label=t("review.share_axis"),
        empty_text=t("review.no_frames"),
    )
    foot = str(data.summary.get("foot") or data.settings.foot)
    cops = [
        plots.cop_path(
            hold_frames(data.frames, hold),
            data.settings.sensor_positions_mm,
            foot=foot,
            sensor_labels=labels,
            title=hold_title(number, hold),
            empty_text=t("review.no_frames"),
            clip_id=f"cop-zoom-{number}",
        )
        for number, hold in enumerate(data.holds, start=1)
    ]
    return timeline, cops


# --------------------------------------------------------------------------- pages


@bp.get("/")
def sessions() -> str:
    """All sessions, newest first, with a link to the trend."""
    log = get_log()
    runner_filter = runner_filter_of(request.args.get("runner"), log)
    summaries = api_review.all_summaries(log, runner_id=runner_filter["id"])
    summaries.reverse()
    return render_template(
        "review_sessions.html",
        sessions=summaries,
        deleted=request.args.get("deleted", type=int),
        runner_filter=runner_filter,
        runner_names=runner_filter["names"],
    )


@bp.get("/trend")
def trend() -> str:
    """Correct holds and mean score per session over weeks, with weekly totals."""
    t = current_translate()
    summaries = api_review.all_summaries(get_log())
    points = []
    for summary in summaries:
        started = as_datetime(summary["started_at"])
        if started is None:
            continue
        points.append(
            plots.TrendPoint(
                started_at=started,
                correct=int(summary["correct"] or 0),
                mean_score=summary["mean_score"],
                title=t(
                    "review.trend_point",
                    when=format_when(started),
                    correct=summary["correct"] or 0,
                    attempted=summary["attempted"] or 0,
                ),
            )
        )
    svg = plots.trend(
        points,
        title=t("review.trend_title"),
        correct_label=t("review.correct_holds"),
        score_label=t("review.mean_score"),
        empty_text=t("review.no_sessions"),
        week_label=_week_label,
    )
    return render_template("review_trend.html", plot=svg, weeks=weekly(summaries))


def _week_label(monday: datetime) -> str:
    year, week, _day = monday.isocalendar()
    return current_translate()("review.week_label", week=week, year=year)


@bp.get("/<int:session_id>")
def detail(session_id: int) -> str:
    """One session: summary, share timeline, holds table and centre-of-pressure paths."""
    return _render_session("review_detail.html", session_id)


@bp.get("/<int:session_id>/report")
def report(session_id: int) -> str:
    """A print-friendly report of one session for the physiotherapist."""
    return _render_session("report.html", session_id)


def _render_session(template: str, session_id: int) -> str:
    log = get_log()
    data = load_session(log, session_id, current_settings(), with_frames=False)
    timeline, cops = _cached_plots(log, data)
    return render_template(
        template,
        s=data.summary,
        holds=data.holds,
        timeline=timeline,
        cops=cops,
        settings=data.settings,
        feet=feet_symmetry(log, data.summary),
    )


def _cached_plots(log: Any, data: SessionData) -> tuple[Markup, list[Markup]]:
    """``session_plots``, from the session cache when the session has ended.

    The plots are most of a detail page's cost (frames decoded, paths drawn); their key
    holds the language and the settings they were drawn with.
    """

    def draw() -> list[str]:
        frames = np.asarray(log.frames_array(data.summary["id"]), dtype=np.float64)
        timeline, cops = session_plots(dataclasses.replace(data, frames=frames))
        return [str(timeline), *map(str, cops)]

    settings_text = json.dumps(data.settings.to_dict(), sort_keys=True, default=str)
    key = session_cache.finished_key(data.summary, "plots", g.get("lang"), settings_text)
    timeline, *cops = session_cache.cached_value(key, draw)
    return Markup(timeline), [Markup(cop) for cop in cops]


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@bp.get("/<int:session_id>/frames.csv")
def export_frames(session_id: int) -> Response:
    """The session's frames in the recording CSV format, streamed."""
    log = get_log()
    summary = get_summary(log, session_id)
    return session_cache.download(
        session_cache.finished_key(summary, "frames.csv"),
        lambda: export.frames_csv(load_session(log, session_id, None).frames),
        mimetype="text/csv",
        headers=_attachment(f"session-{session_id}-frames.csv"),
    )


@bp.get("/<int:session_id>/holds.csv")
def export_holds(session_id: int) -> Response:
    """The session's holds as CSV, one column per hold field."""
    data = load_session(get_log(), session_id, None, with_frames=False)
    return Response(
        export.holds_csv(data.holds),
        mimetype="text/csv",
        headers=_attachment(f"session-{session_id}-holds.csv"),
    )


@bp.get("/<int:session_id>/session.json")
def export_json(session_id: int) -> Response:
    """Summary, holds and frames of the session as one JSON download."""
    return api_review.session_json_download(
        session_id, headers=_attachment(f"session-{session_id}.json")
    )


@bp.route("/<int:session_id>/delete", methods=["GET", "POST"])
def delete(session_id: int) -> str | BaseResponse:
    """GET asks for confirmation; POST (the confirm form) deletes and returns to the list."""
    log = get_log()
    summary = get_summary(log, session_id)
    if request.method == "POST":
        api_review.delete_session(log, session_id)
        return redirect(url_for("review.sessions", deleted=session_id), code=303)
    return render_template("review_delete.html", s=summary)


@bp.errorhandler(NotFound)
@bp.errorhandler(Conflict)
def refused(err: NotFound | Conflict) -> tuple[str, int]:
    """A readable page (missing session, session still recording) instead of the default."""
    key = "review.missing_title" if isinstance(err, NotFound) else "review.refused_title"
    heading = current_translate()(key)
    return render_template("review_error.html", heading=heading, message=err.description), (
        err.code or 500
    )
