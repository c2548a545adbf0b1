"""Offline analysis of a recording: the holds (or reps) it contains and a summary.

``analyze_frames`` is the arch hold (the default); ``analyze_exercise`` runs any mode
of :mod:`insole.exercises` and gives per-record figures for rep modes and the band hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from insole.exercises import make_counter, mode_info
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


class _Counter(Protocol):
    """What :func:`_run_in_chunks` needs: the hold pipeline and every exercise counter have it."""

    def feed(self, frames: Sequence[Frame]) -> object: ...
    def finish(self) -> object: ...


def _run_in_chunks(
    counter: _Counter, frames: Sequence[Frame], progress: Callable[[int, int], None] | None
) -> float:
    """Feed ``counter`` the whole recording chunk by chunk, finish it; the recording's length."""
    total = len(frames)
    for start in range(0, total, CHUNK_FRAMES):
        counter.feed(frames[start : start + CHUNK_FRAMES])
        if progress is not None:
            progress(min(total, start + CHUNK_FRAMES), total)
    counter.finish()
    return frames[-1].t_s - frames[0].t_s if frames else 0.0


def analyze_frames(
    frames: Sequence[Frame],
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Run the hold counter over a whole recording (``progress(done, total)`` per chunk)."""
    settings = settings or Settings()
    pipeline = Pipeline(settings)
    duration = _run_in_chunks(pipeline, frames, progress)
    return Analysis(list(pipeline.holds), settings, len(frames), duration)


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
    mean = sum(h.score for h in analysis.holds) / len(analysis.holds) if analysis.holds else 0.0
    s = analysis.settings
    lines += [
        "",
        f"{analysis.correct} correct, {analysis.short} short of {len(analysis.holds)} holds "
        f"(hold target {s.hold_target_s:g} s, grace {s.grace_s:g} s); mean score {mean:.1f}; "
        f"{analysis.frame_count} frames over {analysis.duration_s:.1f} s",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ExerciseAnalysis:
    """Records found in a recording by one exercise mode."""

    mode: str
    kind: str
    records: list[Any]
    summary: dict[str, Any]
    settings: Settings
    frame_count: int
    duration_s: float

    def to_json(self) -> dict[str, Any]:
        """The ``analyze --exercise MODE --json`` document.

        Rep modes: ``reps`` (per-rep records), ``correct``, ``faulty``, ``sets`` (reps
        per set). Hold modes: ``holds``, ``correct``, ``short`` (the band hold adds
        ``pulls`` and ``snaps``). Always ``exercise``, ``mean_score``, ``frames``,
        ``duration_s``, ``settings``.
        """
        key = "reps" if self.kind == "rep" else "holds"
        doc: dict[str, Any] = {"exercise": self.mode, key: [r.to_dict() for r in self.records]}
        doc.update({k: v for k, v in self.summary.items() if k != "attempted"})
        doc.update(
            frames=self.frame_count,
            duration_s=round(self.duration_s, 3),
            settings=self.settings.to_dict(),
        )
        return doc


def analyze_exercise(
    frames: Sequence[Frame],
    mode: str,
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExerciseAnalysis:
    """Run ``mode``'s counter over a whole recording (in chunks; same result as per frame)."""
    info = mode_info(mode)
    counter = make_counter(mode, settings)
    duration = _run_in_chunks(counter, frames, progress)
    return ExerciseAnalysis(
        mode,
        info.kind,
        list(counter.records),
        counter.summary(),
        counter.settings,
        len(frames),
        duration,
    )


def format_exercise_table(analysis: ExerciseAnalysis) -> str:
    """A readable table of the records of a rep mode or the band hold, and a summary."""
    lines: list[str] = []
    if analysis.kind == "rep":
        header = (
            f"{'#':>3}  {'set':>3}  {'start s':>8}  {'dur s':>6}  {'outcome':<8}  {'score':>5}  "
            f"{'min heel/little/big':>20}  {'ML shift':>8}  {'knee':>4}  {'tripod lost':<14}"
        )
        lines += [header, "-" * len(header)]
        for i, r in enumerate(analysis.records, 1):
            mins = f"{r.min_share_heel:.2f}/{r.min_share_little_toe:.2f}/{r.min_share_big_toe:.2f}"
            lost = "" if r.lost_phase is None else f"{r.lost_point} in {r.lost_phase}"
            lines.append(
                f"{i:>3}  {r.set_index:>3}  {r.start_s:>8.2f}  {r.duration_s:>6.2f}  "
                f"{r.outcome:<8}  {r.score:>5.1f}  {mins:>20}  {r.ml_shift:>+8.3f}  "
                f"{r.knee_drift or '':>4}  {lost:<14}"
            )
    else:
        header = (
            f"{'#':>3}  {'start s':>8}  {'dur s':>6}  {'outcome':<8}  {'score':>5}  "
            f"{'pulls':>5}  {'snapped':<7}"
        )
        lines += [header, "-" * len(header)]
        for i, b in enumerate(analysis.records, 1):
            lines.append(
                f"{i:>3}  {b.start_s:>8.2f}  {b.duration_s:>6.2f}  {b.outcome:<8}  "
                f"{b.score:>5.1f}  {b.pulls:>5}  {'yes' if b.snapped else '':<7}"
            )
    if not analysis.records:
        lines.append("(nothing found)")
    s = analysis.summary
    what = "reps" if analysis.kind == "rep" else "holds"
    bad = "faulty" if analysis.kind == "rep" else "short"
    mean = "-" if s["mean_score"] is None else f"{s['mean_score']:.1f}"
    extra = f"; sets {s['sets']}" if "sets" in s else ""
    if "pulls" in s:
        extra += f"; {s['pulls']} pulls resisted, {s['snaps']} snaps"
    lines += [
        "",
        f"{analysis.mode}: {s['correct']} correct, {s[bad]} {bad} of {s['attempted']} {what}"
        f"{extra}; mean score {mean}; {analysis.frame_count} frames over "
        f"{analysis.duration_s:.1f} s",
    ]
    return "\n".join(lines)
