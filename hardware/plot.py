"""Minimal line charts drawn with ``hardware.drawing`` (no plotting library needed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from hardware.drawing import Drawing, Style

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class Series:
    """One curve: points in data units, a legend label and a colour."""

    label: str
    points: Sequence[tuple[float, float]]
    colour: str
    width_mm: float = 0.5
    dash_mm: tuple[float, ...] = ()


@dataclass(frozen=True)
class HLine:
    """A labelled horizontal reference line (a full-scale range, the supply)."""

    y: float
    label: str
    colour: str = "#555555"


@dataclass(frozen=True)
class Band:
    """A labelled shaded x-range (an expected load range)."""

    x0: float
    x1: float
    label: str
    colour: str = "#eeeeee"


@dataclass
class Chart:
    """A chart with a log or linear x axis and a linear or log y axis."""

    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_log: bool = False
    y_log: bool = False
    series: list[Series] = field(default_factory=list)
    hlines: list[HLine] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    width_mm: float = 180.0
    height_mm: float = 120.0

    # Plot area inside the page.
    _left = 22.0
    _right = 52.0
    _top = 14.0
    _bottom = 16.0

    def _sx(self, x: float) -> float:
        lo, hi = self.x_range
        frac = (
            (math.log10(x) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
            if self.x_log
            else (x - lo) / (hi - lo)
        )
        return self._left + frac * (self.width_mm - self._left - self._right)

    def _sy(self, y: float) -> float:
        lo, hi = self.y_range
        frac = (
            (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
            if self.y_log
            else (y - lo) / (hi - lo)
        )
        return self.height_mm - self._bottom - frac * (self.height_mm - self._top - self._bottom)

    def _ticks(self, lo: float, hi: float, log: bool) -> list[float]:
        if log:
            ticks = []
            for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
                for m in (1, 2, 5):
                    v = m * 10.0**exp
                    if lo * 0.999 <= v <= hi * 1.001:
                        ticks.append(v)
            return ticks
        step = 10 ** math.floor(math.log10((hi - lo) / 4))
        for mult in (1, 2, 5, 10):
            if (hi - lo) / (step * mult) <= 8:
                step *= mult
                break
        first = math.ceil(lo / step) * step
        return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]

    def draw(self) -> Drawing:
        """Render the chart as a drawing (SVG output)."""
        d = Drawing(self.width_mm, self.height_mm, self.title)
        x0, x1 = self._sx(self.x_range[0]), self._sx(self.x_range[1])
        y0, y1 = self._sy(self.y_range[0]), self._sy(self.y_range[1])
        d.text(self._left, 8.0, self.title, size_mm=4.0, bold=True)
        for i, band in enumerate(self.bands):
            bx0 = self._sx(max(band.x0, self.x_range[0]))
            bx1 = self._sx(min(band.x1, self.x_range[1]))
            band_h = (y0 - y1) / max(1, len(self.bands))
            top = y1 + i * band_h
            d.rect(bx0, top, bx1 - bx0, band_h, Style(stroke=None, fill=band.colour))
            d.text(bx0 + 1.0, top + 3.5, band.label, size_mm=2.6, fill="#444444")
        grid = Style(stroke="#dddddd", stroke_width_mm=0.15)
        for xt in self._ticks(*self.x_range, self.x_log):
            x = self._sx(xt)
            d.line(x, y0, x, y1, grid)
            d.text(x, y0 + 4.5, f"{xt:g}", size_mm=2.8, anchor="middle")
        for yt in self._ticks(*self.y_range, self.y_log):
            y = self._sy(yt)
            d.line(x0, y, x1, y, grid)
            d.text(x0 - 1.5, y + 1.0, f"{yt:g}", size_mm=2.8, anchor="end")
        d.rect(x0, y1, x1 - x0, y0 - y1, Style(stroke="#000000", stroke_width_mm=0.3))
        d.text((x0 + x1) / 2, self.height_mm - 4.0, self.x_label, size_mm=3.2, anchor="middle")
        d.text(2.0, y1 - 3.0, self.y_label, size_mm=3.2)
        for line in self.hlines:
            if self.y_range[0] <= line.y <= self.y_range[1]:
                y = self._sy(line.y)
                d.line(x0, y, x1, y, Style(stroke=line.colour, stroke_width_mm=0.3, dash_mm=(2, 1)))
                d.text(x1 - 1.0, y - 1.0, line.label, size_mm=2.6, anchor="end", fill=line.colour)
        for s in self.series:
            pts = [
                (self._sx(x), self._sy(min(max(y, self.y_range[0]), self.y_range[1])))
                for x, y in s.points
                if self.x_range[0] <= x <= self.x_range[1]
            ]
            d.polyline(pts, Style(stroke=s.colour, stroke_width_mm=s.width_mm, dash_mm=s.dash_mm))
        for i, s in enumerate(self.series):
            ly = y1 + 4.0 + i * 5.0
            lx = x1 + 4.0
            key = Style(stroke=s.colour, stroke_width_mm=s.width_mm, dash_mm=s.dash_mm)
            d.line(lx, ly - 1.0, lx + 7.0, ly - 1.0, key)
            d.text(lx + 9.0, ly, s.label, size_mm=2.8)
        return d


def log_space(lo: float, hi: float, count: int) -> list[float]:
    """``count`` values evenly spaced on a log scale from ``lo`` to ``hi``."""
    step = (math.log10(hi) - math.log10(lo)) / (count - 1)
    return [10 ** (math.log10(lo) + i * step) for i in range(count)]
