"""The app icon: a tripod of three load points around a centre of pressure.

One geometry, two outputs: ``icon_svg()`` (the favicon, crisp at every size) and
``icon_png()`` (the home-screen icons the web app manifest names; launchers want PNG).
The PNGs are generated rather than drawn by hand so that they always match the SVG;
``python -m dashboard.icons`` rewrites the files in ``static/icons`` and a test checks that
the committed files are what this module produces. Standard library and numpy only.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

BACKGROUND = (0x14, 0x53, 0x2D)
TRIANGLE = (0x2E, 0x8B, 0x57)
POINT = (0xFF, 0xFF, 0xFF)
CENTRE = (0xFF, 0xC1, 0x07)

# Geometry on a 0..1 square (y down). The points sit inside the central 80 % so the
# maskable variant survives any launcher's mask.
CORNERS = ((0.30, 0.30), (0.72, 0.26), (0.50, 0.76))  # little toe, big toe, heel
POINT_R = 0.085
CENTRE_XY = (0.51, 0.44)
CENTRE_R = 0.06
CORNER_RADIUS = 0.19  # rounded square; 0 for the maskable (full-bleed) icon

ICON_FILES: dict[str, tuple[int, float]] = {
    "icon-192.png": (192, CORNER_RADIUS),
    "icon-512.png": (512, CORNER_RADIUS),
    "icon-maskable-512.png": (512, 0.0),
}
SUPERSAMPLE = 4  # samples per pixel side, for smooth edges


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def icon_svg() -> str:
    """The icon as SVG text."""
    size = 512

    def s(v: float) -> str:
        return f"{v * size:g}"

    corners = " ".join(f"{s(x)},{s(y)}" for x, y in CORNERS)
    points = "".join(
        f'<circle cx="{s(x)}" cy="{s(y)}" r="{s(POINT_R)}" fill="{_hex(POINT)}"/>'
        for x, y in CORNERS
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" rx="{s(CORNER_RADIUS)}" fill="{_hex(BACKGROUND)}"/>'
        f'<polygon points="{corners}" fill="{_hex(TRIANGLE)}"/>'
        f"{points}"
        f'<circle cx="{s(CENTRE_XY[0])}" cy="{s(CENTRE_XY[1])}" r="{s(CENTRE_R)}" '
        f'fill="{_hex(CENTRE)}"/>'
        "</svg>\n"
    )


def _coverage(size: int, corner_radius: float) -> dict[str, NDArray[np.float64]]:
    """Per-pixel coverage (0..1) of each shape, by supersampling."""
    n = size * SUPERSAMPLE
    centres = (np.arange(n, dtype=np.float64) + 0.5) / n
    x, y = np.meshgrid(centres, centres)

    def rounded_square() -> NDArray[np.bool_]:
        if corner_radius <= 0:
            return np.ones_like(x, dtype=bool)
        r = corner_radius
        dx = np.maximum(np.abs(x - 0.5) - (0.5 - r), 0.0)
        dy = np.maximum(np.abs(y - 0.5) - (0.5 - r), 0.0)
        inside: NDArray[np.bool_] = dx * dx + dy * dy <= r * r
        return inside

    def triangle() -> NDArray[np.bool_]:
        (ax, ay), (bx, by), (cx, cy) = CORNERS
        signs = [
            (bx - ax) * (y - ay) - (by - ay) * (x - ax),
            (cx - bx) * (y - by) - (cy - by) * (x - bx),
            (ax - cx) * (y - cy) - (ay - cy) * (x - cx),
        ]
        inside: NDArray[np.bool_] = ((signs[0] >= 0) & (signs[1] >= 0) & (signs[2] >= 0)) | (
            (signs[0] <= 0) & (signs[1] <= 0) & (signs[2] <= 0)
        )
        return inside

    def discs(centres_xy: tuple[tuple[float, float], ...], r: float) -> NDArray[np.bool_]:
        inside = np.zeros_like(x, dtype=bool)
        for cx, cy in centres_xy:
            inside |= (x - cx) ** 2 + (y - cy) ** 2 <= r * r
        return inside

    masks = {
        "background": rounded_square(),
        "triangle": triangle(),
        "points": discs(CORNERS, POINT_R),
        "centre": discs((CENTRE_XY,), CENTRE_R),
    }
    return {
        name: mask.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3))
        for name, mask in masks.items()
    }


def icon_rgba(size: int, corner_radius: float = CORNER_RADIUS) -> NDArray[np.uint8]:
    """The icon as a ``size`` x ``size`` x 4 array of 8-bit RGBA."""
    cover = _coverage(size, corner_radius)
    rgb = np.zeros((size, size, 3), dtype=np.float64)
    rgb[:] = BACKGROUND
    # Paint back to front; each layer blends by its coverage.
    for name, colour in (("triangle", TRIANGLE), ("points", POINT), ("centre", CENTRE)):
        alpha = cover[name][..., None]
        rgb = rgb * (1.0 - alpha) + np.asarray(colour, dtype=np.float64) * alpha
    out = np.empty((size, size, 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(np.rint(cover["background"] * 255), 0, 255).astype(np.uint8)
    return out


def encode_png(rgba: NDArray[np.uint8]) -> bytes:
    """A minimal PNG (8-bit RGBA, no interlace) of ``rgba``."""
    height, width, _ = rgba.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rgba.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def icon_png(size: int, corner_radius: float = CORNER_RADIUS) -> bytes:
    """The icon as PNG bytes."""
    return encode_png(icon_rgba(size, corner_radius))


def icon_files() -> dict[str, bytes]:
    """Every icon file under ``static/icons``: name -> content."""
    files = {name: icon_png(size, radius) for name, (size, radius) in ICON_FILES.items()}
    files["icon.svg"] = icon_svg().encode("utf-8")
    return files


def write_icons(folder: Path) -> list[Path]:
    """Write every icon into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in icon_files().items():
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(__file__).with_name("static") / "icons"
    for path in write_icons(target):
        sys.stdout.write(f"wrote {path}\n")
