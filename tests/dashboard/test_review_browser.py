"""Review, settings and calibration pages in a real headless Chromium.

Debian's chromium and chromium-driver are used by explicit path (no browser download);
the tests skip with the reason when they are not installed. The app runs on a local
werkzeug server over a real monitor and session log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SIZES = [(768, 1024), (1024, 768), (390, 844)]
PAGES = [
    "/review/",
    "/review/trend",
    "/review/1",
    "/review/1/report",
    "/review/1/delete",
    "/settings/",
    "/settings/calibrate",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver in /usr/bin",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served on a free local port over a real monitor and log."""
    from werkzeug.serving import make_server

    path = tmp_path_factory.mktemp("browser") / "sessions.sqlite3"
    with SessionLog(path) as log, Monitor(log, SourceInfo("emulated", True, "test")) as monitor:
        for day in (2, 5, 12):
            holds = [make_hold(5.0 + 20 * k, 9.0 if k % 2 else 6.0, 55.0 + 5 * k) for k in range(5)]
            record_session(
                log,
                started_at=datetime(2026, 11, day, 9, tzinfo=UTC),
                frames=synthetic_frames(120.0, seed=day),
                holds=holds,
            )
        monitor.process(VoltsFrame(0.1, 0.5, 1.0, 1.5))
        server = make_server(
            "127.0.0.1", 0, create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)
        )
        thread = threading.Thread(target=server.serve_forever, name="test-http")
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: object) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")  # type: ignore[attr-defined]
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pages_fit_the_screen_without_errors_or_outside_requests(
    site: str, browser: object, size: tuple[int, int]
) -> None:
    driver = browser
    driver.set_window_size(*size)  # type: ignore[attr-defined]
    for page in PAGES:
        driver.get(site + page)  # type: ignore[attr-defined]
        width = driver.execute_script(  # type: ignore[attr-defined]
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], f"{page} overflows at {size}: {width}"
        resources = driver.execute_script(  # type: ignore[attr-defined]
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert all(url.startswith(site) for url in resources), (page, resources)
        assert console_errors(driver) == [], page


def test_the_wizard_shows_the_live_reading(site: str, browser: object) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(site + "/settings/calibrate")  # type: ignore[attr-defined]
    line = WebDriverWait(driver, 10).until(  # type: ignore[arg-type]
        lambda d: d.find_element("id", "live-reading").text or None  # type: ignore[attr-defined]
    )
    assert line == "Now: Heel: 0.500 V · Little toe: 1.000 V · Big toe: 1.500 V"


def test_the_delete_confirmation_posts_and_returns_to_the_list(site: str, browser: object) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(site + "/review/3/delete")  # type: ignore[attr-defined]
    confirm = 'main form[action$="/delete"] button[type=submit]'
    driver.find_element("css selector", confirm).click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 10).until(  # type: ignore[arg-type]
        lambda d: d.current_url.endswith("/review/?deleted=3")  # type: ignore[attr-defined]
    )
    assert "Session 3 was deleted." in driver.page_source  # type: ignore[attr-defined]
    listed = json.loads(
        driver.execute_script(  # type: ignore[attr-defined]
            "return fetch('/api/sessions').then(r => r.text())"
        )
    )
    assert [s["id"] for s in listed["sessions"]] == [1, 2]
