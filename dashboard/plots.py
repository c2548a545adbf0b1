"""Server-side SVG plots for the review and calibration pages.

Every plot is an inline ``<svg>`` string built from our own data: no external assets, no
script, no ``style`` attributes (colours come from classes in ``static/review.css``, so a
strict Content-Security-Policy needs no ``'unsafe-inline'``). Plots take already
translated labels, so this module knows nothing about languages.

Long sessions are reduced before drawing: a one-hour session at 100 Hz has 360 000
frames, far more than the ~1000 pixels of a plot, so series are averaged into buckets
(``bucket_means``) and the browser receives a few kilobytes per line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from markupsafe import Markup, escape
from numpy.typing import NDArray

from insole.balance import MIN_TOTAL_N
from insole.frames import SENSORS

FloatArray = NDArray[np.float64]


TIMELINE_POINTS = 1000
"""Buckets per share line on the session timeline: about one per horizontal pixel."""

COP_POINTS = 150
"""Points per centre-of-pressure path: enough to show sway, small enough for many holds."""


@dataclass(frozen=True)
class Frame2D:
    """The drawing area of a plot inside its viewBox (all in SVG user units)."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def inner_w(self) -> float:
        """Width of the data area."""
        return self.width - self.left - self.right

    @property
    def inner_h(self) -> float:
        """Height of the data area."""
        return self.height - self.top - self.bottom


@dataclass(frozen=True)
class Span:
    """A shaded time interval on the timeline (a hold)."""

    start_s: float
    end_s: float
    css_class: str
    label: str
    title: str


# --------------------------------------------------------------------------- series maths


def shares_of(frames: FloatArray) -> FloatArray:
    """Shares of the total per sensor for an ``(n, 4)`` frame array (NaN below 1 N total)."""
    forces = frames[:, 1:4]
    total = forces.sum(axis=1)
    loaded = total >= MIN_TOTAL_N
    shares = np.full(forces.shape, np.nan)
    shares[loaded] = forces[loaded] / total[loaded, None]
    return shares


def cop_of(frames: FloatArray, positions_mm: Mapping[str, Sequence[float]]) -> FloatArray:
    """Centre of pressure in insole mm, ``(n, 2)``, force-weighted mean of sensor positions."""
    points = np.array([positions_mm[name] for name in SENSORS], dtype=np.float64)
    forces = frames[:, 1:4]
    total = forces.sum(axis=1)
    cop = np.full((len(frames), 2), np.nan)
    loaded = total >= MIN_TOTAL_N
    cop[loaded] = (forces[loaded] @ points) / total[loaded, None]
    return cop


def bucket_means(
    t_s: FloatArray, values: FloatArray, buckets: int
) -> tuple[FloatArray, FloatArray]:
    """Average ``values`` (``(n, k)``) over ``buckets`` equal spans of time, ignoring NaN.

    Returns the mean time and mean values per bucket. Buckets are spans of time, not runs
    of samples, so a stretch without frames (a sampling gap) leaves empty buckets, and an
    empty bucket or one whose values are all NaN (no load) stays NaN: the plot shows a
    gap there instead of a line across it. Inputs shorter than ``buckets`` come back as
    they are. ``t_s`` must be in increasing order.
    """
    n = len(t_s)
    if n <= buckets:
        return t_s.astype(np.float64), values.astype(np.float64)
    t0, t1 = float(t_s[0]), float(t_s[-1])
    span = t1 - t0 if t1 > t0 else 1.0
    index = np.minimum(((t_s - t0) * (buckets / span)).astype(np.int64), buckets - 1)
    counts = np.bincount(index, minlength=buckets).astype(np.float64)
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    sums = np.stack(
        [
            np.bincount(index, weights=filled[:, k], minlength=buckets)
            for k in range(values.shape[1])
        ],
        axis=1,
    )
    valid_counts = np.stack(
        [
            np.bincount(index, weights=valid[:, k], minlength=buckets)
            for k in range(values.shape[1])
        ],
        axis=1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(
            counts > 0, np.bincount(index, weights=t_s, minlength=buckets) / counts, np.nan
        )
        means = np.where(valid_counts > 0, sums / np.maximum(valid_counts, 1.0), np.nan)
    return t_mean, means


# --------------------------------------------------------------------------- SVG helpers


def _num(value: float) -> str:
    """Compact coordinate text: one decimal is below a pixel at our sizes."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path_d(xs: FloatArray, ys: FloatArray) -> str:
    """SVG path data through the points, starting a new sub-path after every NaN gap."""
    parts: list[str] = []
    pen_down = False
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if math.isnan(x) or math.isnan(y):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_num(x)} {_num(y)}")
        pen_down = True
    return "".join(parts)


def _nice_step(span: float, target_ticks: int) -> float:
    """A 1-2-5 step giving about ``target_ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _ticks(low: float, high: float, target_ticks: int = 6) -> list[float]:
    step = _nice_step(high - low, target_ticks)
    first = math.ceil(low / step) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [first + i * step for i in range(max(count, 0))]


def _svg_open(frame: Frame2D, css_class: str, title: str) -> list[str]:
    return [
        f'<svg class="plot {escape(css_class)}" viewBox="0 0 {_num(frame.width)} '
        f'{_num(frame.height)}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]


def _text(x: float, y: float, text: str, css_class: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" class="{css_class}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


TIME_STEPS_S = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
"""Tick spacings of a time axis: round seconds, then whole minutes."""


def _time_step(span_s: float, target_ticks: int) -> float:
    """The smallest round time step giving at most ``target_ticks`` ticks."""
    for step in TIME_STEPS_S:
        if span_s / step <= target_ticks:
            return float(step)
    return _nice_step(span_s, target_ticks)


def _time_label(seconds: float, step_s: float) -> str:
    """Axis label in m:ss (with tenths when the ticks are closer than a second)."""
    minutes, secs = divmod(seconds, 60.0)
    if step_s < 1.0:
        return f"{int(minutes)}:{secs:04.1f}"
    return f"{int(minutes)}:{round(secs):02d}"


# --------------------------------------------------------------------------- the plots


def share_timeline(
    frames: FloatArray,
    spans: Sequence[Span],
    *,
    sensor_labels: Mapping[str, str],
    title: str,
    time_label: str,
    share_label: str,
    empty_text: str,
) -> Markup:
    """The three shares over a session with holds shaded behind them.

    ``frames`` is the ``(n, 4)`` array ``t_s, heel_n, little_toe_n, big_toe_n``; the
    shares are averaged into ``TIMELINE_POINTS`` buckets before drawing.
    """
    box = Frame2D(width=1000, height=290, left=48, right=16, top=44, bottom=40)
    out = _svg_open(box, "timeline", title)
    if len(frames) < 2:
        out.append(_text(box.width / 2, box.height / 2, empty_text, "empty"))
        out.append("</svg>")
        return Markup("".join(out))
    t0 = float(frames[0, 0])
    t1 = float(frames[-1, 0])
    duration = max(t1 - t0, 1e-6)

    def x_of(t: FloatArray | float) -> FloatArray | float:
        return box.left + (t - t0) / duration * box.inner_w

    def y_of(share: FloatArray | float) -> FloatArray | float:
        return box.top + (1.0 - share) * box.inner_h

    last_label_x = -math.inf
    for span in spans:
        x0 = float(x_of(max(span.start_s, t0)))
        x1 = float(x_of(min(span.end_s, t1)))
        # Label a hold only where it does not collide with the previous label.
        label_x = (x0 + x1) / 2
        label = ""
        if label_x - last_label_x >= 8 * len(span.label) + 4:
            label = _text(label_x, box.top - 5, span.label, "span-label")
            last_label_x = label_x
        out.append(
            f'<g class="span {escape(span.css_class)}"><title>{escape(span.title)}</title>'
            f'<rect x="{_num(x0)}" y="{_num(box.top)}" width="{_num(max(x1 - x0, 0.5))}" '
            f'height="{_num(box.inner_h)}"/>{label}</g>'
        )
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = float(y_of(share))
        out.append(
            f'<line class="grid" x1="{_num(box.left)}" x2="{_num(box.width - box.right)}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
        )
        out.append(_text(box.left - 6, y + 4, f"{share:.2f}", "tick", "end"))
    step = _time_step(duration, 10)
    for tick in np.arange(0.0, duration + 1e-9, step).tolist():
        x = float(x_of(t0 + tick))
        out.append(
            f'<line class="tickmark" x1="{_num(x)}" x2="{_num(x)}" '
            f'y1="{_num(box.top + box.inner_h)}" y2="{_num(box.top + box.inner_h + 5)}"/>'
        )
        out.append(_text(x, box.height - box.bottom + 18, _time_label(tick, step), "tick"))
    out.append(_text(box.left + box.inner_w / 2, box.height - 4, time_label, "axis-label"))
    out.append(_text(box.left - 40, 16, share_label, "axis-label", "start"))

    t_mean, means = bucket_means(frames[:, 0], shares_of(frames), TIMELINE_POINTS)
    xs = np.asarray(x_of(t_mean), dtype=np.float64)
    for column, name in enumerate(SENSORS):
        ys = np.asarray(y_of(means[:, column]), dtype=np.float64)
        out.append(f'<path class="line s-{name}" d="{_path_d(xs, ys)}"/>')
    out.append(_legend(box, [(f"s-{n}", sensor_labels[n]) for n in SENSORS]))
    out.append("</svg>")
    return Markup("".join(out))


def _legend(box: Frame2D, entries: Sequence[tuple[str, str]]) -> str:
    parts = ['<g class="legend">']
    x = box.width - box.right - 150 * len(entries)
    for css_class, label in entries:
        parts.append(
            f'<rect class="swatch {css_class}" x="{_num(x)}" y="6" width="14" height="10"/>'
        )
        parts.append(_text(x + 20, 15, label, "legend-label", "start"))
        x += 150
    parts.append("</g>")
    return "".join(parts)


class _Mapper:
    """Insole mm to SVG units for one panel: equal scale on both axes, y up on the page."""

    def __init__(self, low: FloatArray, high: FloatArray, panel: Frame2D, x0: float) -> None:
        self.scale = min(panel.inner_w / (high[0] - low[0]), panel.inner_h / (high[1] - low[1]))
        self.cx = x0 + panel.left + panel.inner_w / 2 - (low[0] + high[0]) / 2 * self.scale
        self.cy = panel.top + panel.inner_h / 2 + (low[1] + high[1]) / 2 * self.scale

    def __call__(self, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.cx + points[:, 0] * self.scale, self.cy - points[:, 1] * self.scale


ZOOM_PERCENTILE = 5.0
"""The enlarged sway panel fits the path between these percentiles (the steady part)."""

ZOOM_MIN_SPAN_MM = 8.0
"""Smallest window of the zoomed sway panel: steadier holds still show as small, not huge."""


def cop_path(
    frames: FloatArray,
    positions_mm: Mapping[str, Sequence[float]],
    *,
    foot: str,
    sensor_labels: Mapping[str, str],
    title: str,
    empty_text: str,
    clip_id: str = "cop-zoom",
) -> Markup:
    """The centre-of-pressure path of one hold: in the tripod, and enlarged beside it.

    Left: the sensor triangle with the path (a few mm of sway are a few pixels at this
    scale, so a frame marks the enlarged window). Right: that window with the path, its
    mean and a scale bar. ``clip_id`` must be unique in the page (it names the clip of
    the enlarged panel). Drawn as seen from above with the toes up: insole
    ``x`` points to the big toe, which is on the left of a right foot, so the right foot is
    mirrored.
    """
    box = Frame2D(width=300, height=230, left=8, right=8, top=10, bottom=10)
    out = _svg_open(box, "cop", title)
    mirror = -1.0 if foot == "right" else 1.0
    sensors = np.array([positions_mm[n] for n in SENSORS], dtype=np.float64)
    sensors[:, 0] *= mirror
    cop = cop_of(frames, positions_mm) if len(frames) else np.empty((0, 2))
    cop = cop[~np.isnan(cop).any(axis=1)]
    if len(cop) > COP_POINTS:
        _t, cop = bucket_means(np.arange(len(cop), dtype=np.float64), cop, COP_POINTS)
    cop[:, 0] *= mirror

    tripod_panel = Frame2D(width=120, height=box.height, left=10, right=10, top=12, bottom=12)
    to_tripod = _Mapper(sensors.min(axis=0) - 8.0, sensors.max(axis=0) + 8.0, tripod_panel, 0)
    sx, sy = to_tripod(sensors)
    corners = " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(sx, sy, strict=True))
    out.append(f'<polygon class="tripod" points="{corners}"/>')
    for name, x, y in zip(SENSORS, sx.tolist(), sy.tolist(), strict=True):
        out.append(
            f'<circle class="sensor s-{name}" cx="{_num(x)}" cy="{_num(y)}" r="6">'
            f"<title>{escape(sensor_labels[name])}</title></circle>"
        )
    if len(cop) == 0:
        out.append(_text(box.width / 2, box.height / 2, empty_text, "empty"))
        out.append("</svg>")
        return Markup("".join(out))

    mean = cop.mean(axis=0)
    # The window fits the steady part of the hold (5th-95th percentile on each axis): the
    # settling at its start would otherwise shrink the sway to a few pixels. What lies
    # outside is clipped in the enlarged panel and still visible in the tripod panel.
    low_q, high_q = np.percentile(cop, [ZOOM_PERCENTILE, 100 - ZOOM_PERCENTILE], axis=0)
    centre = (low_q + high_q) / 2
    half = max(ZOOM_MIN_SPAN_MM, float((high_q - low_q).max()) * 1.3) / 2
    low, high = centre - half, centre + half
    px, py = to_tripod(cop)
    out.append(f'<path class="cop-path" d="{_path_d(px, py)}"/>')
    (wx0, wx1), (wy1, wy0) = to_tripod(np.array([low, high]))
    out.append(
        f'<rect class="zoom-box" x="{_num(min(wx0, wx1))}" y="{_num(wy0)}" '
        f'width="{_num(max(abs(wx1 - wx0), 2.0))}" height="{_num(max(wy1 - wy0, 2.0))}"/>'
    )

    zoom_x0 = tripod_panel.width + 10
    zoom_panel = Frame2D(
        width=box.width - zoom_x0, height=box.height, left=0, right=8, top=12, bottom=30
    )
    to_zoom = _Mapper(low, high, zoom_panel, zoom_x0)
    z0x, z0y = zoom_x0 + zoom_panel.left, zoom_panel.top
    frame_rect = (
        f'x="{_num(z0x)}" y="{_num(z0y)}" '
        f'width="{_num(zoom_panel.inner_w)}" height="{_num(zoom_panel.inner_h)}"'
    )
    clip = escape(clip_id)
    out.append(f'<clipPath id="{clip}"><rect {frame_rect}/></clipPath>')
    out.append(f'<rect class="zoom-frame" {frame_rect}/>')
    zx, zy = to_zoom(cop)
    (mx,), (my,) = to_zoom(mean[None, :])
    out.append(
        f'<g clip-path="url(#{clip})"><path class="cop-path zoomed" d="{_path_d(zx, zy)}"/>'
        f'<circle class="cop-mean" cx="{_num(mx)}" cy="{_num(my)}" r="3.5"/></g>'
    )
    bar_mm = _nice_step(half, 2)
    bar_px = bar_mm * to_zoom.scale
    bar_y = box.height - 14
    out.append(
        f'<line class="scale-bar" x1="{_num(z0x)}" x2="{_num(z0x + bar_px)}" '
        f'y1="{_num(bar_y)}" y2="{_num(bar_y)}"/>'
    )
    out.append(_text(z0x + bar_px + 6, bar_y + 4, f"{bar_mm:g} mm", "tick", "start"))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class TrendPoint:
    """One session on the trend plot."""

    started_at: datetime
    correct: int
    mean_score: float | None
    title: str


def trend(
    points: Sequence[TrendPoint],
    *,
    title: str,
    correct_label: str,
    score_label: str,
    empty_text: str,
    week_label: Callable[[datetime], str],
) -> Markup:
    """Correct holds (bars, left axis) and mean score (line, right axis, 0-100) per session.

    The time axis is real time with a grid line at the start of each ISO week (Monday),
    so gaps between sessions show as gaps.
    """
    box = Frame2D(width=1000, height=300, left=48, right=48, top=30, bottom=40)
    out = _svg_open(box, "trend", title)
    if not points:
        out.append(_text(box.width / 2, box.height / 2, empty_text, "empty"))
        out.append("</svg>")
        return Markup("".join(out))
    ordered = sorted(points, key=lambda p: p.started_at)
    first_day = ordered[0].started_at.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = first_day - timedelta(days=first_day.weekday())
    last = ordered[-1].started_at
    end = max(last + timedelta(days=1), week_start + timedelta(days=7))
    span_s = (end - week_start).total_seconds()
    max_correct = max(5, *(p.correct for p in ordered))
    correct_top = _ticks(0, max_correct, 5)[-1]
    if correct_top < max_correct:
        correct_top += _nice_step(max_correct, 5)

    def x_of(moment: datetime) -> float:
        return box.left + (moment - week_start).total_seconds() / span_s * box.inner_w

    monday = week_start
    while monday <= end:
        x = x_of(monday)
        out.append(
            f'<line class="grid week" x1="{_num(x)}" x2="{_num(x)}" y1="{_num(box.top)}" '
            f'y2="{_num(box.top + box.inner_h)}"/>'
        )
        if monday < end - timedelta(days=1):
            out.append(
                _text(x + 4, box.height - box.bottom + 18, week_label(monday), "tick", "start")
            )
        monday += timedelta(days=7)
    for tick in _ticks(0, correct_top, 5):
        y = box.top + (1 - tick / correct_top) * box.inner_h
        out.append(
            f'<line class="grid" x1="{_num(box.left)}" x2="{_num(box.width - box.right)}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
        )
        out.append(_text(box.left - 6, y + 4, f"{tick:g}", "tick", "end"))
        score = tick / correct_top * 100
        out.append(_text(box.width - box.right + 6, y + 4, f"{score:.0f}", "tick", "start"))
    bar_w = max(2.0, min(14.0, box.inner_w / (len(ordered) * 2.5)))
    for point in ordered:
        x = x_of(point.started_at)
        height = point.correct / correct_top * box.inner_h
        out.append(
            f'<rect class="bar" x="{_num(x - bar_w / 2)}" '
            f'y="{_num(box.top + box.inner_h - height)}" width="{_num(bar_w)}" '
            f'height="{_num(max(height, 0.0))}"><title>{escape(point.title)}</title></rect>'
        )
    scored = [p for p in ordered if p.mean_score is not None]
    if scored:
        xs = np.array([x_of(p.started_at) for p in scored])
        ys = np.array(
            [box.top + (1 - float(p.mean_score or 0.0) / 100) * box.inner_h for p in scored]
        )
        out.append(f'<path class="line score" d="{_path_d(xs, ys)}"/>')
        for x, y, point in zip(xs.tolist(), ys.tolist(), scored, strict=True):
            out.append(
                f'<circle class="score-dot" cx="{_num(x)}" cy="{_num(y)}" r="3.5">'
                f"<title>{escape(point.title)}</title></circle>"
            )
    out.append(_legend(box, [("bar", correct_label), ("score", score_label)]))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class CurveSeries:
    """One sensor on the calibration plot: measured points and the fitted model."""

    sensor: str
    label: str
    measured: Sequence[tuple[float, float]]  # (force_n, volts)
    fitted: Callable[[float], float] | None  # force_n -> volts


def calibration_curves(
    series: Sequence[CurveSeries],
    *,
    supply_v: float,
    title: str,
    force_label: str,
    volts_label: str,
) -> Markup:
    """Divider volts against force for each sensor: measured points and fitted curves."""
    box = Frame2D(width=640, height=360, left=52, right=16, top=30, bottom=44)
    out = _svg_open(box, "curves", title)
    max_force = max([20.0] + [force * 1.1 for s in series for force, _v in s.measured])
    force_top = _ticks(0, max_force, 6)[-1]
    if force_top < max_force:
        force_top += _nice_step(max_force, 6)

    def x_of(force_n: float) -> float:
        return box.left + force_n / force_top * box.inner_w

    def y_of(volts: float) -> float:
        return box.top + (1 - volts / supply_v) * box.inner_h

    for tick in _ticks(0, force_top, 6):
        x = x_of(tick)
        out.append(
            f'<line class="grid" x1="{_num(x)}" x2="{_num(x)}" y1="{_num(box.top)}" '
            f'y2="{_num(box.top + box.inner_h)}"/>'
        )
        out.append(_text(x, box.height - box.bottom + 18, f"{tick:g}", "tick"))
    for tick in _ticks(0, supply_v, 6):
        y = y_of(tick)
        out.append(
            f'<line class="grid" x1="{_num(box.left)}" x2="{_num(box.width - box.right)}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
        )
        out.append(_text(box.left - 6, y + 4, f"{tick:g}", "tick", "end"))
    out.append(_text(box.left + box.inner_w / 2, box.height - 6, force_label, "axis-label"))
    out.append(_text(8, box.top - 12, volts_label, "axis-label", "start"))
    for entry in series:
        if entry.fitted is not None:
            forces = np.linspace(0.0, force_top, 120)
            xs = np.array([x_of(f) for f in forces])
            ys = np.array([y_of(min(entry.fitted(float(f)), supply_v)) for f in forces])
            out.append(f'<path class="line s-{entry.sensor}" d="{_path_d(xs, ys)}"/>')
        for force, volts in entry.measured:
            out.append(
                f'<circle class="point s-{entry.sensor}" cx="{_num(x_of(force))}" '
                f'cy="{_num(y_of(volts))}" r="4"><title>{escape(entry.label)}: '
                f"{force:.1f} N, {volts:.3f} V</title></circle>"
            )
    out.append(_legend(box, [(f"s-{s.sensor}", s.label) for s in series]))
    out.append("</svg>")
    return Markup("".join(out))
