"""Quality figures of one hold, accumulated frame by frame.

Figures are time-weighted (each frame counts for the time since the previous one), so an
uneven frame rate does not bias them. Reference shares are the personal target when one
is set, otherwise the hold's own mean shares (so the deviation then measures steadiness).

The 0-100 score::

    score = 100 * (0.40 * min(1, duration_s / hold_target_s)
                 + 0.25 * in_band_share
                 + 0.20 * max(0, 1 - mean_share_dev / 0.10)
                 + 0.15 * max(0, 1 - cop_rms_mm / 10))
            - 5 * wobbles,                      clamped to 0..100

Weights: lasting the hold is what the exercise asks for first; staying inside the band
and steady shares come next; centre-of-pressure sway of 10 mm RMS (about the quiet-standing
sway of a whole body on a force plate) scores nothing for steadiness of the tripod; every
brief loss costs five points.
"""

from __future__ import annotations

import math

from insole.records import Hold

SHARE_DEV_SCALE = 0.10
COP_RMS_SCALE_MM = 10.0
WOBBLE_PENALTY = 5.0


def hold_score(
    duration_s: float,
    hold_target_s: float,
    *,
    in_band_share: float,
    mean_share_dev: float,
    cop_rms_mm: float,
    wobbles: int,
) -> float:
    """The documented 0-100 score (see the module docstring)."""
    raw = 100.0 * (
        0.40 * min(1.0, duration_s / hold_target_s)
        + 0.25 * in_band_share
        + 0.20 * max(0.0, 1.0 - mean_share_dev / SHARE_DEV_SCALE)
        + 0.15 * max(0.0, 1.0 - cop_rms_mm / COP_RMS_SCALE_MM)
    ) - WOBBLE_PENALTY * wobbles
    return round(min(100.0, max(0.0, raw)), 1)


class QualityAccumulator:
    """Running sums for one hold; ``finish`` turns them into a ``Hold``."""

    __slots__ = (
        "_cop0",
        "_last_cop",
        "_last_t",
        "band_s",
        "min_shares",
        "path_mm",
        "s_sq",
        "s_sum",
        "start_s",
        "sx",
        "sxx",
        "sy",
        "syy",
        "time_s",
        "wobbles",
    )

    def __init__(self, start_s: float) -> None:
        self.start_s = start_s
        self._last_t = start_s
        self._last_cop: tuple[float, float] | None = None
        self._cop0 = (0.0, 0.0)
        self.time_s = 0.0
        self.band_s = 0.0
        self.s_sum = [0.0, 0.0, 0.0]
        self.s_sq = [0.0, 0.0, 0.0]
        self.sx = self.sy = self.sxx = self.syy = 0.0
        self.path_mm = 0.0
        self.min_shares = [1.0, 1.0, 1.0]
        self.wobbles = 0

    def copy(self) -> QualityAccumulator:
        """A snapshot (taken when balance is lost, in case the loss ends the hold)."""
        twin = QualityAccumulator.__new__(QualityAccumulator)
        for name in self.__slots__:
            value = getattr(self, name)
            setattr(twin, name, list(value) if isinstance(value, list) else value)
        return twin

    def add(
        self,
        t_s: float,
        shares: tuple[float, float, float],
        cop_mm: tuple[float, float],
        in_band: bool,
    ) -> None:
        """Account one frame inside the hold."""
        dt = t_s - self._last_t
        self._last_t = t_s
        mins = self.min_shares
        for i in (0, 1, 2):
            s = shares[i]
            if s < mins[i]:
                mins[i] = s
        last = self._last_cop
        self._last_cop = cop_mm
        if last is None:
            # Positions are accumulated relative to the first point so that the variance
            # (E[x²] - E[x]²) of values around 100 mm keeps its precision.
            self._cop0 = cop_mm
        else:
            self.path_mm += math.hypot(cop_mm[0] - last[0], cop_mm[1] - last[1])
        if dt <= 0.0:
            return
        self.time_s += dt
        if in_band:
            self.band_s += dt
        for i in (0, 1, 2):
            s = shares[i]
            self.s_sum[i] += s * dt
            self.s_sq[i] += s * s * dt
        x = cop_mm[0] - self._cop0[0]
        y = cop_mm[1] - self._cop0[1]
        self.sx += x * dt
        self.sy += y * dt
        self.sxx += x * x * dt
        self.syy += y * y * dt

    def finish(
        self,
        end_s: float,
        hold_target_s: float,
        target: tuple[float, float, float] | None,
    ) -> Hold:
        """The finished hold with its figures and score."""
        duration = max(0.0, end_s - self.start_s)
        w = self.time_s
        if w > 0.0:
            in_band = self.band_s / w
            sq_dev = 0.0
            for i in (0, 1, 2):
                mean = self.s_sum[i] / w
                ref = mean if target is None else target[i]
                # E[(s - ref)²] = E[s²] - 2 ref E[s] + ref²
                sq_dev += max(0.0, self.s_sq[i] / w - 2.0 * ref * mean + ref * ref)
            share_dev = math.sqrt(sq_dev / 3.0)
            mx, my = self.sx / w, self.sy / w
            cop_rms = math.sqrt(max(0.0, self.sxx / w - mx * mx + self.syy / w - my * my))
            path_rate = self.path_mm / w
        else:
            in_band = share_dev = cop_rms = path_rate = 0.0
        outcome = "correct" if duration >= hold_target_s else "short"
        # Rounded to well below what the sensors resolve, so records read back identically.
        return Hold(
            start_s=round(self.start_s, 4),
            end_s=round(end_s, 4),
            duration_s=round(duration, 4),
            outcome=outcome,
            in_band_share=round(in_band, 4),
            mean_share_dev=round(share_dev, 4),
            cop_rms_mm=round(cop_rms, 2),
            cop_path_mm_s=round(path_rate, 2),
            min_share_heel=round(self.min_shares[0], 4),
            min_share_little_toe=round(self.min_shares[1], 4),
            min_share_big_toe=round(self.min_shares[2], 4),
            wobbles=self.wobbles,
            score=hold_score(
                duration,
                hold_target_s,
                in_band_share=in_band,
                mean_share_dev=share_dev,
                cop_rms_mm=cop_rms,
                wobbles=self.wobbles,
            ),
        )
