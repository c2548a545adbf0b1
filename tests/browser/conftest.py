"""A real headless Chromium (Debian's chromium + chromium-driver) and the real service.

The browser is found at fixed system paths and driven through an explicit chromedriver so
that selenium never tries to download one. Without them the browser tests skip, saying
why, unless ``INSOLE_REQUIRE_BROWSER=1`` (CI), where a missing browser is a failure.

The service runs as ``python -m firmware.cli serve`` in a subprocess (``service.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--mute-audio",
)


def require_browser() -> None:
    """Skip (or fail in CI) when Debian's chromium or chromedriver is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return
    reason = (
        f"headless Chromium not installed ({', '.join(missing)} missing); "
        "install Debian's chromium and chromium-driver packages"
    )
    if os.environ.get("INSOLE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (INSOLE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def make_driver(profile: Path) -> Any:
    """A headless Chromium with the fresh profile ``profile``, logging console and network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=DriverService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for every test of a module (starting one costs seconds)."""
    require_browser()
    profile = Path(tempfile.mkdtemp(prefix="insole-chromium-"))
    driver = make_driver(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def shot_dir() -> Path:
    """Where screenshots go (kept after the run so that they can be looked at)."""
    folder = Path(os.environ.get("INSOLE_SCREENSHOT_DIR") or tempfile.gettempdir())
    folder = folder / "insole-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
