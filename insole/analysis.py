"""Offline analysis of a recording: the holds it contains and a summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from insole.frames import Frame
from insole.pipeline import Pipeline
from insole.records import Hold
from insole.settings import Settings

CHUNK_FRAMES = 20_000


@dataclass(frozen=True)
class Analysis:
    """Holds found in a recording under given settings."""

    holds: list[Hold]
    settings: Settings
    frame_count: int
    duration_s: float

    @property
    def correct(self) -> int:
        """Number of correct holds."""
        return sum(1 for h in self.holds if h.outcome == "correct")

    @property
    def short(self) -> int:
        """Number of short holds."""
        return len(self.holds) - self.correct

    def to_json(self) -> dict[str, Any]:
        """The ``analyze --json`` document."""
        return {
            "holds": [h.to_dict() for h in self.holds],
            "correct": self.correct,
            "short": self.short,
            "frames": self.frame_count,
            "duration_s": round(self.duration_s, 3),
            "settings": self.settings.to_dict(),
        }


def analyze_frames(
    frames: Sequence[Frame],
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Run the hold counter over a whole recording (``progress(done, total)`` per chunk)."""
    settings = settings or Settings()
    pipeline = Pipeline(settings)
    total = len(frames)
    for start in range(0, total, CHUNK_FRAMES):
        pipeline.feed(frames[start : start + CHUNK_FRAMES])
        if progress is not None:
            progress(min(total, start + CHUNK_FRAMES), total)
    pipeline.finish()
    duration = frames[-1].t_s - frames[0].t_s if frames else 0.0
    return Analysis(list(pipeline.holds), settings, total, duration)


def format_table(analysis: Analysis) -> str:
    """A readable table of holds and a summary line."""
    header = (
        f"{'#':>3}  {'start s':>8}  {'dur s':>6}  {'outcome':<8}  {'score':>5}  "
        f"{'in band':>7}  {'sway mm':>7}  {'min heel/little/big':>20}  {'wobbles':>7}"
    )
    lines = [header, "-" * len(header)]
    for i, h in enumerate(analysis.holds, 1):
        mins = f"{h.min_share_heel:.2f}/{h.min_share_little_toe:.2f}/{h.min_share_big_toe:.2f}"
        lines.append(
            f"{i:>3}  {h.start_s:>8.2f}  {h.duration_s:>6.2f}  {h.outcome:<8}  {h.score:>5.1f}  "
            f"{100 * h.in_band_share:>6.0f}%  {h.cop_rms_mm:>7.2f}  {mins:>20}  {h.wobbles:>7}"
        )
    if not analysis.holds:
        lines.append("(no holds found)")
    mean = (
        sum(h.score for h in analysis.holds) / len(analysis.holds) if analysis.holds else 0.0
    )
    s = analysis.settings
    lines += [
        "",
        f"{analysis.correct} correct, {analysis.short} short of {len(analysis.holds)} holds "
        f"(hold target {s.hold_target_s:g} s, grace {s.grace_s:g} s); mean score {mean:.1f}; "
        f"{analysis.frame_count} frames over {analysis.duration_s:.1f} s",
    ]
    return "\n".join(lines)
