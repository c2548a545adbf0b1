"""Static assets of the live page: self-hosted, generated icons in sync, valid manifest."""

from __future__ import annotations

import json
import re
import zlib
from importlib import resources
from pathlib import Path

import pytest

from dashboard import icons

DASHBOARD = Path(str(resources.files("dashboard")))
LIVE_FILES = [
    "templates/base.html",
    "templates/live.html",
    "static/app.css",
    "static/live.css",
    "static/live.js",
    "static/manifest.webmanifest",
    "static/icons/icon.svg",
]


@pytest.mark.parametrize("name", LIVE_FILES)
def test_nothing_is_loaded_from_another_host(name: str) -> None:
    text = (DASHBOARD / name).read_text(encoding="utf-8")
    # The SVG namespace is an identifier, not a download.
    text = text.replace("http://www.w3.org/2000/svg", "")
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text) == []
    assert "@import" not in text


@pytest.mark.parametrize("name", ["templates/base.html", "templates/live.html"])
def test_templates_have_no_inline_script_or_handler(name: str) -> None:
    # A content security policy without 'unsafe-inline' must not break the page.
    text = (DASHBOARD / name).read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag, tag
    assert re.findall(r"<script\b[^>]*>\s*[^<\s]", text) == []
    assert re.findall(r"\son[a-z]+\s*=", text) == []
    assert "javascript:" not in text
    assert " style=" not in text


def png_pixels(data: bytes) -> bytes:
    """The decompressed image data of a PNG (compression may differ between zlib builds)."""
    pos, idat = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


def test_committed_icons_are_what_the_generator_draws() -> None:
    folder = DASHBOARD / "static" / "icons"
    for name, drawn in icons.icon_files().items():
        committed = (folder / name).read_bytes()
        expected = drawn
        if name.endswith(".png"):
            committed, expected = png_pixels(committed), png_pixels(drawn)
        assert committed == expected, f"{name}: regenerate with python -m dashboard.icons"


def test_png_icons_are_valid_images_of_their_size() -> None:
    for name, (size, _radius) in icons.ICON_FILES.items():
        data = (DASHBOARD / "static" / "icons" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert (width, height) == (size, size)


def test_maskable_icon_is_full_bleed_and_others_have_round_corners() -> None:
    rounded = icons.icon_rgba(64)
    full = icons.icon_rgba(64, corner_radius=0.0)
    assert rounded[0, 0, 3] == 0
    assert rounded[32, 32, 3] == 255
    assert full[0, 0, 3] == 255


def test_manifest_is_installable() -> None:
    manifest = json.loads((DASHBOARD / "static" / "manifest.webmanifest").read_text("utf-8"))
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert (DASHBOARD / "static" / icon["src"]).is_file(), icon["src"]
