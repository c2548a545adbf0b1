"""Server-side SVG plots: downsampling, shares, centre of pressure, safe markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from dashboard import plots
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.settings import DEFAULT_SENSOR_POSITIONS_MM

LABELS = {"heel": "Heel", "little_toe": "Little", "big_toe": "Big"}
SVG = "{http://www.w3.org/2000/svg}"


def synthetic_frames(seconds: float, rate_hz: float = 100.0) -> np.ndarray:
    t = np.arange(0.0, seconds, 1.0 / rate_hz)
    return np.stack([t, 40 + 5 * np.sin(t), 15 + 2 * np.cos(t / 3), np.full_like(t, 20.0)], axis=1)


def timeline(frames: np.ndarray, spans: list[plots.Span] | None = None, **texts: Any) -> str:
    """``plots.share_timeline`` with short test labels; ``texts`` replace some of them."""
    labels: dict[str, Any] = {
        "sensor_labels": LABELS,
        "title": "t",
        "time_label": "s",
        "share_label": "x",
        "empty_text": "none",
        **texts,
    }
    return plots.share_timeline(frames, spans or [], **labels)


def heel_line_moves(svg: str) -> int:
    """How many separate pieces the heel's share line is drawn in."""
    heel = next(p for p in parse(svg).iter(f"{SVG}path") if p.get("class") == "line s-heel")
    return heel.get("d", "").count("M")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def path_points(d: str) -> int:
    return len(re.findall(r"[ML]", d))


def test_bucket_means_average_runs_and_keep_all_nan_buckets_as_gaps() -> None:
    t = np.arange(8, dtype=float)
    values = np.array([[1.0], [3.0], [np.nan], [np.nan], [5.0], [np.nan], [2.0], [4.0]])
    t_mean, means = plots.bucket_means(t, values, 4)
    assert t_mean.tolist() == [0.5, 2.5, 4.5, 6.5]
    assert means[0, 0] == 2.0
    assert np.isnan(means[1, 0])
    assert means[2, 0] == 5.0  # NaN ignored inside a bucket
    assert means[3, 0] == 3.0


def test_bucket_means_leave_short_series_alone() -> None:
    t = np.arange(3, dtype=float)
    values = np.ones((3, 2))
    t_mean, means = plots.bucket_means(t, values, 10)
    assert t_mean.tolist() == t.tolist()
    assert means.shape == (3, 2)


def test_shares_add_up_to_one_and_are_undefined_without_load() -> None:
    frames = np.array([[0.0, 50.0, 25.0, 25.0], [0.01, 0.2, 0.3, 0.1]])
    shares = plots.shares_of(frames)
    assert shares[0].tolist() == [0.5, 0.25, 0.25]
    assert np.isnan(shares[1]).all()


def test_centre_of_pressure_sits_on_the_only_loaded_point() -> None:
    frames = np.array([[0.0, 0.0, 0.0, 30.0], [0.01, 10.0, 10.0, 10.0]])
    cop = plots.cop_of(frames, DEFAULT_SENSOR_POSITIONS_MM)
    assert cop[0].tolist() == list(DEFAULT_SENSOR_POSITIONS_MM["big_toe"])
    mean = np.mean([DEFAULT_SENSOR_POSITIONS_MM[n] for n in LABELS], axis=0)
    assert cop[1] == pytest.approx(mean)


def test_an_hour_long_timeline_is_downsampled_with_holds_shaded() -> None:
    frames = synthetic_frames(3600.0)
    spans = [
        plots.Span(10.0 * i, 10.0 * i + 8.0, "outcome-correct", str(i + 1), f"hold {i + 1}")
        for i in range(5)
    ]
    svg = timeline(frames, spans)
    root = parse(svg)
    lines = [p for p in root.iter(f"{SVG}path") if "line" in p.get("class", "")]
    assert [p.get("class") for p in lines] == ["line s-heel", "line s-little_toe", "line s-big_toe"]
    for line in lines:
        assert path_points(line.get("d", "")) == plots.TIMELINE_POINTS
    shaded = [g for g in root.iter(f"{SVG}g") if "span" in g.get("class", "").split()]
    assert len(shaded) == 5
    assert len(svg) < 150_000  # a few KB per line, not 360k points


def test_a_gap_without_load_breaks_the_line() -> None:
    frames = synthetic_frames(20.0)
    frames[800:1200, 1:] = 0.0
    assert heel_line_moves(timeline(frames)) == 2


def test_a_stretch_without_frames_breaks_the_line() -> None:
    frames = synthetic_frames(3000.0)
    kept = (frames[:, 0] < 1000.0) | (frames[:, 0] > 1500.0)  # a 500 s sampling gap
    assert heel_line_moves(timeline(frames[kept])) == 2


def test_an_empty_session_says_so() -> None:
    svg = timeline(np.empty((0, 4)), empty_text="no frames recorded")
    assert "no frames recorded" in svg


def test_labels_are_escaped_and_the_svg_has_no_script_or_inline_style() -> None:
    svg = timeline(
        synthetic_frames(5.0),
        [plots.Span(1, 2, "outcome-short", "<b>", "<script>")],
        sensor_labels={"heel": "<i>", "little_toe": "a&b", "big_toe": "c"},
    )
    parse(svg)  # well-formed
    assert "<script" not in svg
    assert "<b>" not in svg
    assert "<i>" not in svg
    assert "style=" not in svg


@pytest.mark.parametrize(("foot", "big_toe_left_of_little_toe"), [("right", True), ("left", False)])
def test_cop_plot_mirrors_the_right_foot(foot: str, big_toe_left_of_little_toe: bool) -> None:
    svg = plots.cop_path(
        synthetic_frames(9.0),
        DEFAULT_SENSOR_POSITIONS_MM,
        foot=foot,
        sensor_labels=LABELS,
        title="hold",
        empty_text="none",
    )
    circles = {c.get("class"): float(c.get("cx", "nan")) for c in parse(svg).iter(f"{SVG}circle")}
    assert (
        circles["sensor s-big_toe"] < circles["sensor s-little_toe"]
    ) is big_toe_left_of_little_toe
    path = next(p for p in parse(svg).iter(f"{SVG}path") if p.get("class") == "cop-path")
    assert path_points(path.get("d", "")) == plots.COP_POINTS


def test_cop_plot_of_a_hold_without_frames_says_so() -> None:
    svg = plots.cop_path(
        np.empty((0, 4)),
        DEFAULT_SENSOR_POSITIONS_MM,
        foot="left",
        sensor_labels=LABELS,
        title="hold",
        empty_text="nothing here",
    )
    assert "nothing here" in svg
    assert "cop-path" not in svg


def test_trend_has_a_bar_per_session_and_a_score_line() -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    points = [
        plots.TrendPoint(start + timedelta(days=3 * i), i + 1, 50.0 + i, f"s{i}") for i in range(6)
    ]
    points.append(plots.TrendPoint(start + timedelta(days=20), 2, None, "unscored"))
    svg = plots.trend(
        points,
        title="Trend",
        correct_label="correct",
        score_label="score",
        empty_text="none",
        week_label=lambda monday: monday.strftime("%d.%m."),
    )
    root = parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "score-dot"]
    assert len(bars) == 7
    assert len(dots) == 6  # the unscored session has a bar but no score
    assert "02.11." in svg  # weeks start on Monday 2 November


def test_trend_without_sessions_says_so() -> None:
    svg = plots.trend(
        [],
        title="Trend",
        correct_label="c",
        score_label="s",
        empty_text="no sessions yet",
        week_label=str,
    )
    assert "no sessions yet" in svg


def test_calibration_plot_shows_points_and_the_fitted_curve() -> None:
    divider = Divider(3.3, 3300.0)
    curve = FsrCurve()
    measured = [(f, force_to_volts(f, curve, divider)) for f in (10.0, 50.0, 100.0)]
    svg = plots.calibration_curves(
        [
            plots.CurveSeries(
                "heel", "Heel", measured, lambda f: force_to_volts(f, curve, divider)
            ),
            plots.CurveSeries("big_toe", "Big", [], None),
        ],
        supply_v=3.3,
        title="curves",
        force_label="N",
        volts_label="V",
    )
    root = parse(svg)
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point s-heel"]
    assert len(points) == 3
    curves = [p for p in root.iter(f"{SVG}path") if p.get("class", "").startswith("line")]
    assert [p.get("class") for p in curves] == ["line s-heel"]


def test_the_enlarged_panel_fits_the_steady_hold_not_its_settling() -> None:
    frames = synthetic_frames(9.0)
    frames[:20, 1:] = [60.0, 1.0, 1.0]  # the first 0.2 s: nearly all load on the heel
    svg = plots.cop_path(
        frames,
        DEFAULT_SENSOR_POSITIONS_MM,
        foot="right",
        sensor_labels=LABELS,
        title="hold",
        empty_text="none",
        clip_id="cop-zoom-7",
    )
    root = parse(svg)
    bar = next(t for t in root.iter(f"{SVG}text") if t.text and t.text.endswith(" mm"))
    assert float(bar.text.split()[0]) <= 5.0  # sway of a few mm, not the 100 mm settling
    assert root.find(f"{SVG}clipPath").get("id") == "cop-zoom-7"
    group = next(g for g in root.iter(f"{SVG}g") if g.get("clip-path"))
    assert group.get("clip-path") == "url(#cop-zoom-7)"
