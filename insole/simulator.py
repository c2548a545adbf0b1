"""A simulated foot: scripted sessions with sway and noise taken from real recordings.

``SimulatedFoot(script, seed)`` plays a ``Script`` (see ``insole.sim_script``) and gives
the three forces at any time. Everything is precomputed at construction on a fixed
200 Hz grid and linearly interpolated, so ``forces_at`` is a few float operations (the
emulated ADC calls it about 860 times a second); the same seed always gives the same
forces.

How a force is made (figures and the files they come from: ``docs/simulator.md``,
derived by ``tools/analyse_recordings.py``):

1. Each segment sets a target: a total load on the three points and the shares.
   Between segments the forces move along a smooth 0.4 s ramp centred on the
   boundary (0.08 s into and out of a wobble): people do not step-change load.
2. Sway: the centre of pressure (CoP) wanders by coloured noise, 3.0 mm RMS
   antero-posterior and 1.2 mm RMS medio-lateral, spectrum ``1 / (1 + (f/0.5 Hz)**4)``
   (half the power below 0.29 Hz, 95 % below 0.9 Hz). Per-foot force-plate data
   (BMClab PDS subject 13, eyes open, rigid floor) gives 5.7 / 1.3 mm within 10 s
   windows and both-feet data (BMClab BDS, young adult, eyes open) 1.7-2.5 / 0.8 mm;
   the fitted corners of the second-order model lie at 0.5-1.0 Hz, with 50 % of the
   power below 0.10-0.45 Hz. Seated, the foot does not balance the body, so the values
   sit in the lower half of the standing range; they give share SDs of about 0.02 in a
   hold, as in quiet standing on the insole (Moticon: 0.01-0.07). A CoP shift is
   turned into share changes exactly: the shares are the barycentric coordinates of
   the CoP in the sensor triangle.
3. Total-load fluctuation: 3 % RMS with the same spectral shape (PDS per foot, eyes
   open: 2.7-3.2 % within 10 s windows, half the power below 0.2 Hz).
4. Sensor noise: 0.3 N RMS white noise on each loaded sensor, fading out below 5 N so
   an unloaded sensor reads exactly 0 (as unloaded Moticon sensors do). The data bound
   it: 0.002-0.006 N on force plates, 0.8-2.4 N per Moticon sensor region (mostly that
   insole's 0.25 N/cm² step); the emulated ADC adds its own quantisation on top.
5. Drift (optional, from the script): reading x (1 + gain x hours) + offset x hours.

Targets: a hold puts about 80 N on the three points with shares heel 0.45,
little_toe 0.20, big_toe 0.35 (each hold varied by up to ±15 % load and ±0.02 share); a
relaxed seated rest about 14 N with shares 0.32, 0.00, 0.68 (Moticon S04, settled
sitting: 10-17 N on the three sensor regions, little-toe ball unloaded). The reasoning is
in ``docs/simulator.md``.

Command line (writes a recording CSV)::

    python -m insole.simulator --script "rest 3; hold 9; rest 3" --seed 1 -o hold.csv
    python -m insole.simulator --examples examples/
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from insole.frames import SENSORS, Frame
from insole.recording_csv import write_recording
from insole.settings import DEFAULT_SENSOR_POSITIONS_MM
from insole.sim_script import (
    BAND_PULL_S,
    Band,
    Cycle,
    Hold,
    Lift,
    Rest,
    Script,
    ScriptError,
    Segment,
    Stand,
    default_session,
)

__all__ = [
    "SimulatedFoot",
    "Span",
    "default_session",
    "main",
    "write_examples",
]

Array = NDArray[np.float64]

INTERNAL_RATE_HZ = 200.0
"""Rate of the precomputed grid that ``forces_at`` interpolates."""
RAMP_S = 0.4
"""Load ramp between segments (centred on the boundary)."""
WOBBLE_RAMP_S = 0.08
"""Ramp into and out of a wobble: a wobble is a quick slip, not a slow shift."""

SWAY_AP_RMS_MM = 3.0
"""CoP sway, antero-posterior (10 s windows: PDS per foot 5.7 mm, BDS both feet 1.7-2.5 mm)."""
SWAY_ML_RMS_MM = 1.2
"""CoP sway, medio-lateral (10 s windows: PDS per foot 1.3 mm, BDS both feet 0.8 mm)."""
SWAY_CORNER_HZ = 0.5
"""Corner of the second-order sway spectrum (fitted corners 0.5-1.0 Hz; f50 0.1-0.45 Hz)."""
SWAY_ORDER = 2
"""Order of the sway spectrum model ``1 / (1 + (f/fc)**(2 * order))`` (best fit: 2)."""
LOAD_RMS_FRACTION = 0.03
"""Total-load fluctuation (PDS per foot, eyes open: 2.7-3.2 % within 10 s windows)."""
LOAD_CORNER_HZ = 0.5
"""Corner of the load-fluctuation spectrum (PDS per foot: f50 0.2 Hz, f95 0.8 Hz)."""
SENSOR_NOISE_N = 0.3
"""White noise per loaded sensor. Bounds from the data: force plates 0.002-0.006 N, the
Moticon insole 0.8-2.4 N per sensor region, which is mostly its 0.25 N/cm² step (0.8 N
RMS over 11 cm²); an FSR on a 16-bit ADC resolves much finer, and the emulated ADC adds
its own quantisation, so the simulator adds 0.3 N."""
NOISE_FULL_AT_N = 5.0
"""Sensor noise fades in between 0 N and this load: an unloaded FSR reads exactly 0."""

HOLD_SHARES: tuple[float, float, float] = (0.45, 0.20, 0.35)
"""Shares of a correct seated arch hold (heel, little_toe, big_toe); see docs/simulator.md."""
HOLD_LOAD_N = 80.0
"""Total on the three points in a hold: a firm seated press, about what one-foot quiet
standing puts on them (Moticon S04: 75-146 N; sitting relaxed: 10-17 N)."""
HOLD_LOAD_SPREAD = 0.15
"""Each default hold's load is drawn within ±15 % of ``HOLD_LOAD_N``."""
HOLD_SHARE_JITTER = 0.02
"""Each default hold's shares are moved by up to ±0.02 (then renormalised)."""
REST_SHARES: tuple[float, float, float] = (0.32, 0.0, 0.68)
"""Relaxed seated foot (Moticon S04 settled sitting: heel 0.15-0.49, little toe 0.00)."""
REST_LOAD_N = 14.0
"""Relaxed seated foot, total on the three points (Moticon S04 settled sitting: 10-17 N)."""
LIFT_SHARE = 0.02
"""Share left on a lifted point (skin contact, no real load)."""
LIFT_LOAD_FACTOR = 0.9
"""Lifting a point drops the total a little: that point's push is not fully moved."""
WOBBLE_SHARE = 0.03
"""Share left on the wobbling point at the bottom of a wobble."""
STAND_LOAD_N = 250.0
"""Standing on the foot, total on the three points (Moticon S04 one-foot quiet standing
put 75-146 N on its three sensor regions for a light subject; a runner pressing the
tripod down carries more)."""
CYCLE_PEAK_FACTOR: dict[str, float] = {"rise": 4.0, "squat": 1.5, "lunge": 1.4}
"""Default peak of a rep segment as a multiple of the level before it: standing up from a
seated hold (80 N) puts body weight on the foot (about 320 N); in a slow squat the three
points carry most at depth; a band pull in a lunge pushes the front foot down."""
CYCLE_UP = 0.4
"""Fraction of a rep segment spent with the load rising (as much again falling)."""
LIFT_WINDOWS: dict[str, tuple[float, float]] = {
    "up": (0.1, 0.24),
    "top": (0.38, 0.62),
    "down": (0.83, 0.95),
}
"""Where in a rep segment (0..1) a scripted lift happens, per phase: well inside the
phase a counter sees, so the phase of the loss is unambiguous."""
LIFT_EDGE = 0.03
"""Ramp into and out of a lift inside a rep (fraction of the rep)."""
BAND_PULL_FRACTION = 0.30
"""A band pull takes this fraction of the heel and big-toe forces away at its height."""
SWAY_FADE_SHARE = 0.05
"""Sway moves load onto a point only in proportion up to this share: a point off the
ground cannot be loaded by sway."""


@dataclass(frozen=True)
class Span:
    """One stretch of the timeline: ``kind`` is rest, hold, lift or wobble."""

    kind: str
    start_s: float
    end_s: float
    segment: Segment

    @property
    def duration_s(self) -> float:
        """Length of the span."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class _Piece:
    kind: str
    duration_s: float
    forces_n: tuple[float, float, float]
    segment: Segment


def _shares_matrix(positions_mm: Mapping[str, tuple[float, float]]) -> Array:
    """Matrix turning a CoP shift (dx, dy, 0) into share changes (barycentric)."""
    corners = np.array([positions_mm[name] for name in SENSORS], dtype=np.float64)
    m = np.vstack([corners[:, 0], corners[:, 1], np.ones(3)])
    if abs(np.linalg.det(m)) < 1e-6:
        raise ValueError("sensor positions must form a triangle (they are on one line)")
    return np.linalg.inv(m)


def _coloured_noise(
    rng: np.random.Generator, n: int, rate_hz: float, corner_hz: float, order: int
) -> Array:
    """Periodic noise of length ``n`` with spectrum ``1/(1+(f/fc)**(2 order))``, RMS ≈ 1.

    Shaping white noise in the frequency domain makes the sequence periodic, so a
    looping session wraps around without a jump. The scale is the long-run one (the
    integral of the spectrum), so short scripts lack the slowest sway, as real ones do.
    """
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freq = np.fft.rfftfreq(n, 1.0 / rate_hz)
    gain = 1.0 / np.sqrt(1.0 + (freq / corner_hz) ** (2 * order))
    gain[0] = 0.0  # sway is about the target, with no offset of its own
    shaped = np.fft.irfft(spectrum * gain, n)
    half = math.pi / (2 * order)
    variance = 2.0 * corner_hz * (half / math.sin(half)) / rate_hz
    return np.asarray(shaped / math.sqrt(variance), dtype=np.float64)


def _smoothstep(u: Array) -> Array:
    u = np.clip(u, 0.0, 1.0)
    return np.asarray(u * u * (3.0 - 2.0 * u), dtype=np.float64)


class SimulatedFoot:
    """Forces of a simulated foot playing ``script``; deterministic for a given ``seed``.

    ``loop=True`` repeats the script for ever (the live demo): ``forces_at`` accepts
    any time and ``frames`` never ends. Otherwise times outside the script read the
    first or last value and ``frames`` stops at ``duration_s``.
    """

    def __init__(
        self,
        script: Script,
        seed: int = 0,
        *,
        loop: bool = False,
        sensor_positions_mm: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        if not isinstance(script, Script):
            raise TypeError(f"script must be a Script (Script.parse(text)), got {script!r}")
        self.script = script
        self.seed = seed
        self.loop = loop
        self._rate = INTERNAL_RATE_HZ
        rng = np.random.default_rng(seed)
        self._pieces = self._plan(rng)
        self._n = max(2, round(script.duration_s * self._rate))
        positions = sensor_positions_mm or DEFAULT_SENSOR_POSITIONS_MM
        grid = self._render(rng, _shares_matrix(positions))
        self.grid_n: Array = grid
        """Precomputed forces (N) on the internal grid, shape (samples + 1, 3)."""
        self._rows: list[tuple[float, float, float]] = [
            (float(r[0]), float(r[1]), float(r[2])) for r in grid.tolist()
        ]
        gains = [0.0, 0.0, 0.0]
        offsets = [0.0, 0.0, 0.0]
        for drift in script.drifts:
            i = SENSORS.index(drift.point)
            gains[i] += drift.gain_pct_per_h / 100.0 / 3600.0
            offsets[i] += drift.offset_n_per_h / 3600.0
        self._gain_per_s = tuple(gains)
        self._offset_n_per_s = tuple(offsets)
        self._drifting = any(gains) or any(offsets)

    # -- public -----------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        """Length of the script (one loop) in seconds."""
        return self.script.duration_s

    @property
    def timeline(self) -> tuple[Span, ...]:
        """What the foot does when, with holds split around their wobbles."""
        spans = []
        start = 0.0
        for piece in self._pieces:
            spans.append(Span(piece.kind, start, start + piece.duration_s, piece.segment))
            start += piece.duration_s
        return tuple(spans)

    def forces_at(self, t_s: float) -> tuple[float, float, float]:
        """Forces (heel, little_toe, big_toe) in newtons at time ``t_s`` from the start."""
        x = t_s * self._rate
        n = self._n
        if self.loop:
            x %= n
        elif x <= 0.0:
            x = 0.0
        elif x >= n:
            x = float(n)
        i = int(x)
        if i >= n:
            i = n - 1
        frac = x - i
        a = self._rows[i]
        b = self._rows[i + 1]
        heel = a[0] + (b[0] - a[0]) * frac
        little = a[1] + (b[1] - a[1]) * frac
        big = a[2] + (b[2] - a[2]) * frac
        if self._drifting:
            g, o = self._gain_per_s, self._offset_n_per_s
            heel = max(0.0, heel * (1.0 + g[0] * t_s) + o[0] * t_s)
            little = max(0.0, little * (1.0 + g[1] * t_s) + o[1] * t_s)
            big = max(0.0, big * (1.0 + g[2] * t_s) + o[2] * t_s)
        return (heel, little, big)

    def frames(self, rate_hz: float) -> Iterator[Frame]:
        """Frames at ``rate_hz`` from t = 0: up to ``duration_s``, or endless if looping."""
        if not (math.isfinite(rate_hz) and 0.1 <= rate_hz <= 10_000.0):
            raise ValueError(f"rate_hz must be from 0.1 to 10000, got {rate_hz!r}")
        k = 0
        last = math.floor(self.duration_s * rate_hz + 1e-9)
        while self.loop or k <= last:
            t = k / rate_hz
            yield Frame(t, *self.forces_at(t))
            k += 1

    # -- construction -------------------------------------------------------------------

    def _plan(self, rng: np.random.Generator) -> list[_Piece]:
        """Target forces for each piece; holds are split around their wobbles."""
        pieces: list[_Piece] = []
        previous = _forces(HOLD_SHARES, HOLD_LOAD_N)
        for segment in self.script.segments:
            if isinstance(segment, Rest):
                drawn = _vary(rng, REST_LOAD_N)  # drawn always: later draws stay put
                load = 0.0 if segment.lifted else segment.load_n or drawn
                target = _forces(REST_SHARES, load)
                pieces.append(_Piece("rest", segment.duration_s, target, segment))
            elif isinstance(segment, Hold):
                target = _hold_forces(rng, segment.shares, segment.load_n)
                start = 0.0
                for wobble in sorted(segment.wobbles, key=lambda w: w.at_s or 0.0):
                    at = wobble.at_s or 0.0
                    pieces.append(_Piece("hold", at - start, target, segment))
                    dip = _drop(target, wobble.point, WOBBLE_SHARE, 1.0)
                    pieces.append(_Piece("wobble", wobble.duration_s, dip, segment))
                    start = at + wobble.duration_s
                pieces.append(_Piece("hold", segment.duration_s - start, target, segment))
            elif isinstance(segment, Stand):
                load = STAND_LOAD_N if segment.load_n is None else segment.load_n
                target = _hold_forces(rng, None, load)
                pieces.append(_Piece("stand", segment.duration_s, target, segment))
            elif isinstance(segment, Band):
                target = _hold_forces(rng, None, segment.load_n)
                pieces.append(_Piece("band", segment.duration_s, target, segment))
            elif isinstance(segment, Cycle):
                # The rep starts and ends at the level before it (its profile is added
                # on top in _ramped_targets).
                pieces.append(_Piece(segment.kind, segment.duration_s, previous, segment))
            elif isinstance(segment, Lift):
                base = _hold_forces(rng, None, segment.load_n)
                target = _drop(base, segment.point, LIFT_SHARE, LIFT_LOAD_FACTOR)
                pieces.append(_Piece("lift", segment.duration_s, target, segment))
            else:
                target = _drop(previous, segment.point, WOBBLE_SHARE, 1.0)
                pieces.append(_Piece("wobble", segment.duration_s, target, segment))
            previous = pieces[-1].forces_n if pieces[-1].kind != "wobble" else previous
        return pieces

    def _render(self, rng: np.random.Generator, to_shares: Array) -> Array:
        """Targets with ramps, sway, load fluctuation and sensor noise on the grid."""
        n, rate = self._n, self._rate
        target = self._ramped_targets()
        total = target.sum(axis=1)
        safe_total = np.where(total > 0.0, total, 1.0)
        shares = np.where(total[:, None] > 0.0, target / safe_total[:, None], 0.0)

        ap = SWAY_AP_RMS_MM * _coloured_noise(rng, n, rate, SWAY_CORNER_HZ, SWAY_ORDER)
        ml = SWAY_ML_RMS_MM * _coloured_noise(rng, n, rate, SWAY_CORNER_HZ, SWAY_ORDER)
        shift = np.vstack([ml, ap, np.zeros(n)])  # (dx towards big toe, dy forward, 0)
        d_shares = (to_shares @ shift).T
        d_shares = np.vstack([d_shares, d_shares[:1]])  # periodic: sample n equals sample 0
        fade = np.clip(shares / SWAY_FADE_SHARE, 0.0, 1.0)
        forces = target + total[:, None] * d_shares * fade

        load = LOAD_RMS_FRACTION * _coloured_noise(rng, n, rate, LOAD_CORNER_HZ, SWAY_ORDER)
        forces *= 1.0 + np.append(load, load[0])[:, None]

        noise = SENSOR_NOISE_N * rng.standard_normal((n, 3))
        noise = np.vstack([noise, noise[:1]])
        forces += noise * np.clip(forces / NOISE_FULL_AT_N, 0.0, 1.0)
        return np.asarray(np.maximum(forces, 0.0), dtype=np.float64)

    def _ramped_targets(self) -> Array:
        """Target forces on the grid with smooth ramps centred on each boundary."""
        n, rate = self._n, self._rate
        times = np.arange(n + 1) / rate
        ends = np.cumsum([p.duration_s for p in self._pieces])
        ends[-1] = n / rate  # absorb rounding of the grid length
        index = np.minimum(np.searchsorted(ends, times, side="right"), len(self._pieces) - 1)
        levels = np.array([p.forces_n for p in self._pieces], dtype=np.float64)
        target = levels[index]
        boundaries = [(float(ends[i]), i, i + 1) for i in range(len(self._pieces) - 1)]
        if self.loop:
            boundaries.append((0.0, len(self._pieces) - 1, 0))
        for at_s, before, after in boundaries:
            a, b = self._pieces[before], self._pieces[after]
            ramp = WOBBLE_RAMP_S if "wobble" in (a.kind, b.kind) else RAMP_S
            ramp = min(ramp, a.duration_s, b.duration_s)
            first = math.ceil((at_s - ramp / 2) * rate)
            last = math.floor((at_s + ramp / 2) * rate)
            ks = np.arange(first, last + 1)
            weight = _smoothstep((ks / rate - (at_s - ramp / 2)) / ramp)[:, None]
            blend = levels[before] * (1.0 - weight) + levels[after] * weight
            if self.loop:
                target[ks % n] = blend
            else:
                keep = (ks >= 0) & (ks <= n)
                target[ks[keep]] = blend[keep]
        start = 0.0
        for piece, end in zip(self._pieces, ends, strict=True):
            if isinstance(piece.segment, Cycle | Band):
                first = math.ceil(start * rate)
                last = min(n, math.floor(float(end) * rate))
                ks = np.arange(first, last + 1)
                u = (ks / rate - start) / (float(end) - start)
                delta = _profile_delta(piece, np.clip(u, 0.0, 1.0))
                target[ks] += delta
            start = float(end)
        if self.loop:
            target[n] = target[0]
        return np.asarray(np.maximum(target, 0.0), dtype=np.float64)


def _profile_delta(piece: _Piece, u: Array) -> Array:
    """Forces to add to a rep or band piece's level at positions ``u`` (0..1) in it.

    Zero at both ends, so the piece joins its neighbours without a jump.
    """
    base = np.array(piece.forces_n, dtype=np.float64)
    segment = piece.segment
    if isinstance(segment, Band):
        delta = np.zeros((len(u), 3))
        if segment.pulls:
            t = u * piece.duration_s
            spacing = piece.duration_s / segment.pulls
            for k in range(segment.pulls):
                x = (t - (k + 0.5) * spacing) / BAND_PULL_S + 0.5
                dip = np.where((x > 0) & (x < 1), np.sin(np.pi * np.clip(x, 0, 1)) ** 2, 0.0)
                delta[:, 0] -= BAND_PULL_FRACTION * base[0] * dip
                delta[:, 2] -= BAND_PULL_FRACTION * base[2] * dip
        return delta
    assert isinstance(segment, Cycle)
    base_total = float(base.sum())
    base_shares = base / base_total if base_total > 0 else np.array([1 / 3] * 3)
    peak = segment.peak_n
    if peak is None:
        peak = base_total * CYCLE_PEAK_FACTOR[segment.kind]
    # Linear ramps: a counter's thresholds (fractions of the excursion) then fall at
    # predictable places in the rep, so a scripted lift lands in the phase it names.
    bump = np.clip(np.minimum(u, 1.0 - u) / CYCLE_UP, 0.0, 1.0)
    total = base_total + bump * (peak - base_total)
    shares = np.tile(base_shares, (len(u), 1))
    shares[:, 1] -= 0.5 * segment.shift * bump
    shares[:, 2] += 0.5 * segment.shift * bump
    shares = np.clip(shares, 0.0, 1.0)
    shares /= shares.sum(axis=1)[:, None]
    if segment.lift is not None:
        i = SENSORS.index(segment.lift)
        lo, hi = LIFT_WINDOWS[segment.lift_phase]
        w = np.minimum(_smoothstep((u - lo) / LIFT_EDGE), _smoothstep((hi - u) / LIFT_EDGE))
        kept = shares[:, i] * (1.0 - w) + LIFT_SHARE * w
        others = 1.0 - shares[:, i]
        scale = np.where(others > 0, (1.0 - kept) / np.where(others > 0, others, 1.0), 0.0)
        shares = shares * scale[:, None]
        shares[:, i] = kept
    return np.asarray(shares * total[:, None] - base, dtype=np.float64)


def _forces(shares: Sequence[float], load_n: float) -> tuple[float, float, float]:
    return (shares[0] * load_n, shares[1] * load_n, shares[2] * load_n)


def _vary(rng: np.random.Generator, value: float) -> float:
    return float(value * rng.uniform(1.0 - HOLD_LOAD_SPREAD, 1.0 + HOLD_LOAD_SPREAD))


def _hold_forces(
    rng: np.random.Generator, shares: tuple[float, float, float] | None, load_n: float | None
) -> tuple[float, float, float]:
    """A hold's target: the given shares and load, or the defaults varied per hold."""
    # Draw both numbers every time so one explicit value does not shift later holds.
    jitter = rng.uniform(-HOLD_SHARE_JITTER, HOLD_SHARE_JITTER, 3)
    drawn_load = _vary(rng, HOLD_LOAD_N)
    if shares is None:
        raw = np.clip(np.array(HOLD_SHARES) + jitter, 0.0, 1.0)
        shares = (float(raw[0]), float(raw[1]), float(raw[2]))
        total = sum(shares)
        shares = (shares[0] / total, shares[1] / total, shares[2] / total)
    return _forces(shares, drawn_load if load_n is None else load_n)


def _drop(
    forces_n: tuple[float, float, float], point: str, share: float, load_factor: float
) -> tuple[float, float, float]:
    """``forces_n`` with ``point`` reduced to ``share``; the others keep their proportions."""
    total = sum(forces_n) * load_factor
    i = SENSORS.index(point)
    others = sum(f for j, f in enumerate(forces_n) if j != i)
    out = []
    for j, force in enumerate(forces_n):
        if j == i:
            out.append(share * total)
        else:
            part = force / others if others > 0 else 0.5
            out.append((1.0 - share) * total * part)
    return (out[0], out[1], out[2])


# -- example recordings ---------------------------------------------------------------------

EXAMPLES: dict[str, tuple[str, int]] = {
    "arch_hold_session.csv": (default_session().to_text(), 1),
    "hold_9s.csv": ("rest 3; hold 9; rest 3", 2),
    "hold_5s.csv": ("rest 3; hold 5; rest 3", 3),
    "big_toe_lift.csv": ("rest 3; hold 4; lift big_toe 2; hold 9; rest 3", 4),
}
"""Example recordings: file name -> (script, seed). Written at 100 Hz, 2 decimals."""
EXAMPLE_RATE_HZ = 100.0


def write_script_recording(
    path: Path, script: Script, seed: int, rate_hz: float = EXAMPLE_RATE_HZ, decimals: int = 2
) -> int:
    """Simulate ``script`` and write it as a recording CSV; returns the number of frames."""
    foot = SimulatedFoot(script, seed)
    return write_recording(path, foot.frames(rate_hz), decimals=decimals)


def write_examples(folder: Path) -> list[Path]:
    """Write the example recordings in ``EXAMPLES`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (text, seed) in EXAMPLES.items():
        write_script_recording(folder / name, Script.parse(text), seed)
        written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m insole.simulator``: write a simulated recording or the examples."""
    parser = argparse.ArgumentParser(
        prog="python -m insole.simulator",
        description="Write a simulated recording CSV (time_s,heel_n,little_toe_n,big_toe_n).",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--script", help='e.g. "rest 3; hold 9; rest 4; lift big_toe 2"')
    what.add_argument("--default-session", action="store_true", help="10 holds with rests")
    what.add_argument("--examples", type=Path, metavar="DIR", help="write the example files")
    parser.add_argument("-o", "--output", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--rate", type=float, default=EXAMPLE_RATE_HZ, help="frames per second")
    parser.add_argument("--decimals", type=int, default=2, help="digits after the point")
    args = parser.parse_args(argv)
    if args.examples is not None:
        for path in write_examples(args.examples):
            print(path)
        return 0
    if args.output is None:
        parser.error("--output is needed with --script or --default-session")
    try:
        script = default_session() if args.default_session else Script.parse(args.script)
        count = write_script_recording(args.output, script, args.seed, args.rate, args.decimals)
    except (ScriptError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.output}: {count} frames, {script.duration_s:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
