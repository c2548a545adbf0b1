"""A real headless Chromium (Debian's chromium + chromium-driver) and the real service.

The browser is found at fixed system paths and driven through an explicit chromedriver so
that selenium never tries to download one. Without them the browser tests skip, saying
why, unless ``INSOLE_REQUIRE_BROWSER=1`` (CI), where a missing browser is a failure.

The service runs as ``python -m firmware.cli serve`` in a subprocess on a free loopback
port, exactly as a user starts it, on the emulated insole; it can be killed and started
again on the same port to test reconnection.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0

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


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """``insole-monitor serve`` in a subprocess; start, kill and start again."""

    def __init__(self, data_dir: Path, args: Sequence[str], port: int | None = None) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "service.log"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "firmware.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]

    def start(self) -> None:
        assert self.proc is None, "already running"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"service exited at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"service did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop(signal.SIGKILL)
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def running_service(args: Sequence[str]) -> Iterator[Service]:
    """A started service over a fresh data directory; stopped and removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="insole-browser-"))
    service = Service(data_dir, args)
    service.start()
    try:
        yield service
    finally:
        service.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def make_driver() -> Any:
    """A fresh headless Chromium with its own profile, logging console and network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="insole-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=DriverService(str(CHROMEDRIVER)))
    driver.insole_profile = profile
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for every test of a module (starting one costs seconds)."""
    require_browser()
    driver = make_driver()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(driver.insole_profile, ignore_errors=True)


@pytest.fixture(scope="session")
def shot_dir() -> Path:
    """Where screenshots go (kept after the run so that they can be looked at)."""
    folder = Path(os.environ.get("INSOLE_SCREENSHOT_DIR") or tempfile.gettempdir())
    folder = folder / "insole-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
