"""Derive the simulator's sway, load and noise figures from real recordings.

Usage::

    python tools/analyse_recordings.py RECORDINGS_DIR [--json]

``RECORDINGS_DIR`` is the folder described by its own README (force plates from BMClab PDS
and BDS, a Kistler plate from biomdp, Moticon pressure insoles). The script prints the
tables quoted in ``docs/simulator.md``; ``--json`` prints the same figures as JSON.
Only numpy is needed. It is a development tool, not run by the tests.

What is measured, and why:

* centre-of-pressure (CoP) sway per foot (PDS: one foot per plate) and for both feet
  (BDS, Kistler): RMS about the mean in mm, antero-posterior (AP) and medio-lateral (ML);
* the CoP spectrum (Welch, Hann windows): share of power below 1 Hz, the frequencies
  below which 50 % and 95 % of the power lies, and the corner frequency of the best
  Butterworth-shaped model ``P(f) = P0 / (1 + (f / fc) ** (2 n))``, n = 1 or 2;
* total-load fluctuation (RMS about the mean, % of the mean) and its spectrum;
* the measurement-noise floor: white-noise level estimated from the spectrum above
  15 Hz (force plates) and above 10 Hz (insole sensors), where body sway has no power;
* the three-sensor shares (Moticon sensors 2 = outer heel, 13 = little-toe ball,
  9 = big-toe ball) for every labelled action of subject S04 (labels line up with the
  loads), central part of each label window only (1 s trimmed at each end).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

HEEL, LITTLE_TOE, BIG_TOE = 2, 13, 9  # Moticon sensor numbers (1-based) of our three points
TRIM_S = 1.0  # seconds cut from each end of a labelled window (transitions)
STEADY_S = 1.5  # length of the steadiest sub-window reported per labelled action
SWAY_BAND_HZ = (0.1, 10.0)  # band fitted: slower drifts do not matter within an 8-10 s hold
WINDOW_S = 10.0  # sway RMS is also taken within windows as long as one hold


def welch_psd(x: Array, fs_hz: float, segment_s: float = 20.0) -> tuple[Array, Array]:
    """One-sided power spectral density (unit**2/Hz) by Welch's method, 50 % overlap."""
    n = min(len(x), int(segment_s * fs_hz))
    step = n // 2
    window = np.hanning(n)
    scale = 1.0 / (fs_hz * np.sum(window**2))
    spectra = []
    for start in range(0, len(x) - n + 1, step):
        seg = x[start : start + n]
        seg = seg - seg.mean()
        spec = np.abs(np.fft.rfft(seg * window)) ** 2 * scale
        spec[1:-1] *= 2.0  # one-sided
        spectra.append(spec)
    freq = np.asarray(np.fft.rfftfreq(n, 1.0 / fs_hz), dtype=np.float64)
    return freq, np.asarray(np.mean(spectra, axis=0), dtype=np.float64)


def fit_lowpass(freq_hz: Array, psd: Array) -> dict[str, float]:
    """Best ``P0 / (1 + (f/fc)**(2n))`` in log space over SWAY_BAND_HZ (grid search)."""
    band = (freq_hz >= SWAY_BAND_HZ[0]) & (freq_hz <= SWAY_BAND_HZ[1])
    f, log_p = freq_hz[band], np.log(psd[band])
    best: dict[str, float] = {}
    best_err = np.inf
    for order in (1, 2):
        for fc in np.geomspace(0.02, 5.0, 300):
            shape = -np.log1p((f / fc) ** (2 * order))
            log_p0 = float(np.mean(log_p - shape))
            err = float(np.sqrt(np.mean((log_p - shape - log_p0) ** 2)))
            if err < best_err:
                best_err = err
                best = {"order": order, "corner_hz": float(fc), "log_rms_error": err}
    return best


def spectrum_figures(x: Array, fs_hz: float) -> dict[str, float]:
    """Power below 1 Hz, 50 % / 95 % power frequencies and the low-pass model fit."""
    freq, psd = welch_psd(x, fs_hz)
    cumulative = np.cumsum(psd[1:])
    cumulative /= cumulative[-1]
    f = freq[1:]
    fit = fit_lowpass(freq, psd)
    return {
        "power_below_1hz": float(np.interp(1.0, f, cumulative)),
        "f50_hz": float(f[np.searchsorted(cumulative, 0.5)]),
        "f95_hz": float(f[np.searchsorted(cumulative, 0.95)]),
        "model_order": fit["order"],
        "model_corner_hz": fit["corner_hz"],
        "model_log_rms_error": fit["log_rms_error"],
    }


def noise_floor(x: Array, fs_hz: float, above_hz: float) -> float:
    """RMS of white noise whose level equals the mean PSD above ``above_hz`` (full band)."""
    freq, psd = welch_psd(x, fs_hz, segment_s=5.0)
    level = float(np.mean(psd[freq > above_hz]))
    return float(np.sqrt(level * fs_hz / 2.0))


def windowed_rms(x: Array, fs_hz: float, window_s: float = WINDOW_S) -> float:
    """RMS about each window's own mean, pooled over consecutive windows of ``window_s``."""
    n = int(window_s * fs_hz)
    windows = x[: len(x) // n * n].reshape(-1, n)
    return float(np.sqrt(np.mean((windows - windows.mean(axis=1, keepdims=True)) ** 2)))


def sway_figures(ap_mm: Array, ml_mm: Array, load_n: Array, fs_hz: float) -> dict[str, Any]:
    """All force-plate figures of one trial."""
    ap = ap_mm - ap_mm.mean()
    ml = ml_mm - ml_mm.mean()
    load_rel = load_n / load_n.mean() - 1.0
    return {
        "duration_s": len(ap) / fs_hz,
        "cop_rms_ap_mm": float(np.sqrt(np.mean(ap**2))),
        "cop_rms_ml_mm": float(np.sqrt(np.mean(ml**2))),
        "cop_rms_mm": float(np.sqrt(np.mean(ap**2 + ml**2))),
        "cop_rms_10s_ap_mm": windowed_rms(ap, fs_hz),
        "cop_rms_10s_ml_mm": windowed_rms(ml, fs_hz),
        "cop_ap_spectrum": spectrum_figures(ap, fs_hz),
        "cop_ml_spectrum": spectrum_figures(ml, fs_hz),
        "load_mean_n": float(load_n.mean()),
        "load_rms_pct": float(100.0 * np.sqrt(np.mean(load_rel**2))),
        "load_rms_10s_pct": 100.0 * windowed_rms(load_rel, fs_hz),
        "load_spectrum": spectrum_figures(load_rel, fs_hz),
        "load_noise_floor_n": noise_floor(load_n, fs_hz, 15.0),
        "cop_noise_floor_mm": noise_floor(ap, fs_hz, 15.0),
    }


def read_table(path: Path, skip: int, delimiter: str | None = None) -> Array:
    """Numeric table after ``skip`` header lines."""
    return np.loadtxt(path, skiprows=skip, delimiter=delimiter, dtype=np.float64)


def analyse_pds(root: Path) -> dict[str, Any]:
    """PDS: right and left foot each on its own plate (X = AP, Z = ML, metres)."""
    out = {}
    for trial in ("PDS13OR1grf", "PDS13CF1grf"):
        d = read_table(root / "bmclab_pds" / f"{trial}.txt", 1)
        for side, (fy, cx, cz) in {"right": (2, 10, 12), "left": (5, 13, 15)}.items():
            out[f"{trial}/{side}"] = sway_figures(d[:, cx] * 1e3, d[:, cz] * 1e3, d[:, fy], 100.0)
    return out


def analyse_bds(root: Path) -> dict[str, Any]:
    """BDS: both feet on one plate, COPx = AP, COPy = ML, centimetres."""
    out = {}
    for trial in ("BDS00001", "BDS00004", "BDS00007", "BDS00160", "BDS00163"):
        d = read_table(root / "bmclab_bds" / f"{trial}.txt", 1)
        out[trial] = sway_figures(d[:, 7] * 10.0, d[:, 8] * 10.0, d[:, 3], 100.0)
    return out


def analyse_kistler(root: Path) -> dict[str, Any]:
    """Kistler: both feet, 50 Hz, Ax/Ay in metres (axes not documented: reported as is)."""
    d = read_table(root / "biomdp_kistler" / "kistler_COP.txt", 19)
    return {"kistler_COP": sway_figures(d[:, 16] * 1e3, d[:, 17] * 1e3, d[:, 3], 50.0)}


def _moticon(root: Path, subject: str) -> tuple[list[str], Array, list[dict[str, str]]]:
    folder = root / "plantar_activity_moticon"
    with (folder / f"{subject}_Sequence_01_insoles.csv").open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(";")
    data = read_table(folder / f"{subject}_Sequence_01_insoles.csv", 1, ";")
    with (folder / f"{subject}_Sequence_01_classif.csv").open(encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh, delimiter=";"))
    return header, data, labels


def _steadiest(total_n: Array, n: int) -> slice:
    """The ``n``-sample window with the least total-force variation (settled posture)."""
    if len(total_n) <= n:
        return slice(0, len(total_n))
    windows = np.lib.stride_tricks.sliding_window_view(total_n, n)
    start = int(np.argmin(windows.std(axis=1)))
    return slice(start, start + n)


def analyse_moticon(root: Path, subject: str = "S04") -> dict[str, Any]:
    """Three-sensor shares, total force and sensor noise per labelled action and foot."""
    header, d, labels = _moticon(root, subject)
    t = d[:, 0]
    out: dict[str, Any] = {}
    for side in ("left", "right"):
        cols = [header.index(f"{side} pressure {n}[N/cm²]") for n in (HEEL, LITTLE_TOE, BIG_TOE)]
        total_col = header.index(f"{side} total force[N]")
        all_cols = [header.index(f"{side} pressure {n}[N/cm²]") for n in range(1, 17)]
        # The insole reports total force = (sum of the 16 pressures) x an effective area
        # per sensor; fitting it turns a sensor's pressure into the force on its region.
        sums = d[:, all_cols].sum(axis=1)
        area_cm2 = float(np.sum(d[:, total_col] * sums) / np.sum(sums**2))
        out[f"{side}/effective_area_cm2"] = area_cm2
        for row in labels:
            start = float(row["Timestamp Start"]) + TRIM_S
            end = float(row["Timestamp End"]) - TRIM_S
            sel = (t >= start) & (t < end)
            if sel.sum() < 100:
                continue
            p = d[sel][:, cols]
            s = p.sum(axis=1)
            loaded = s > 0
            shares = p[loaded] / s[loaded, None]
            key = f"{side}/{row['Name'].strip()}"
            if key in out:  # actions repeated later in the sequence get a suffix
                key += " (2)"
            steady = _steadiest(d[sel, total_col], int(STEADY_S * 100))
            mean_steady = p[steady].mean(axis=0)
            out[key] = {
                "steady_total_force_n": float(d[sel, total_col][steady].mean()),
                "steady_three_point_force_n": float(mean_steady.sum() * area_cm2),
                "steady_shares": [float(v) for v in mean_steady / max(mean_steady.sum(), 1e-9)],
                "seconds": float(sel.sum() / 100.0),
                "total_force_n": float(d[sel, total_col].mean()),
                "pressure_n_cm2": [float(v) for v in p.mean(axis=0)],
                "three_point_force_n": float(s.mean() * area_cm2),
                "share_mean": [float(v) for v in shares.mean(axis=0)] if len(shares) else None,
                "share_sd": [float(v) for v in shares.std(axis=0)] if len(shares) else None,
                "noise_n_cm2": [noise_floor(p[:, i], 100.0, 10.0) for i in range(3)],
                "noise_n": [area_cm2 * noise_floor(p[:, i], 100.0, 10.0) for i in range(3)],
            }
    return out


def analyse(root: Path) -> dict[str, Any]:
    """Every figure, keyed by data set and trial."""
    return {
        "pds": analyse_pds(root),
        "bds": analyse_bds(root),
        "kistler": analyse_kistler(root),
        "moticon_S04": analyse_moticon(root, "S04"),
    }


def _print_tables(res: dict[str, Any]) -> None:
    print("## Force plates: CoP sway and load (RMS about the mean)\n")
    print(
        "| trial | AP mm | ML mm | AP/ML mm in 10 s | AP <1 Hz | AP f50/f95 Hz | AP model | "
        "ML model | load % | load % in 10 s | load f50 Hz | load noise N |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for group in ("pds", "bds", "kistler"):
        for name, r in res[group].items():
            ap, ml, ld = r["cop_ap_spectrum"], r["cop_ml_spectrum"], r["load_spectrum"]
            print(
                f"| {name} | {r['cop_rms_ap_mm']:.2f} | {r['cop_rms_ml_mm']:.2f} | "
                f"{r['cop_rms_10s_ap_mm']:.2f}/{r['cop_rms_10s_ml_mm']:.2f} | "
                f"{ap['power_below_1hz']:.2f} | "
                f"{ap['f50_hz']:.2f}/{ap['f95_hz']:.2f} | "
                f"n={ap['model_order']} fc={ap['model_corner_hz']:.2f} | "
                f"n={ml['model_order']} fc={ml['model_corner_hz']:.2f} | "
                f"{r['load_rms_pct']:.2f} | {r['load_rms_10s_pct']:.2f} | {ld['f50_hz']:.2f} | "
                f"{r['load_noise_floor_n']:.3f} |"
            )
    moticon = res["moticon_S04"]
    print("\n## Moticon S04: three-sensor shares (heel, little_toe, big_toe)\n")
    for side in ("left", "right"):
        print(
            f"- {side} effective area per sensor: {moticon[side + '/effective_area_cm2']:.1f} cm²"
        )
    print()
    print(
        "| foot/action | s | insole total N | three-point N | shares mean | shares SD | noise N "
        f"| steadiest {STEADY_S:g} s: total N, three-point N, shares |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in moticon.items():
        if not isinstance(r, dict) or r["share_mean"] is None:
            continue
        mean = ", ".join(f"{v:.2f}" for v in r["share_mean"])
        sd = ", ".join(f"{v:.2f}" for v in r["share_sd"])
        noise = ", ".join(f"{v:.1f}" for v in r["noise_n"])
        print(
            f"| {name} | {r['seconds']:.1f} | {r['total_force_n']:.0f} | "
            f"{r['three_point_force_n']:.0f} | {mean} | {sd} | {noise} | "
            f"{r['steady_total_force_n']:.0f}, {r['steady_three_point_force_n']:.0f}, "
            + ", ".join(f"{v:.2f}" for v in r["steady_shares"])
            + " |"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("recordings", type=Path, help="folder of real recordings")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not (args.recordings / "README.md").is_file():
        parser.error(f"{args.recordings} does not look like the recordings folder (no README.md)")
    try:
        res = analyse(args.recordings)
    except OSError as err:
        parser.error(f"cannot read a recording: {err}")
    if args.json:
        json.dump(res, sys.stdout, indent=1)
        print()
    else:
        _print_tables(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
