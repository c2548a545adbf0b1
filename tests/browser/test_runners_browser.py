"""Two runners on one device in a real headless Chromium: add, edit, switch, record, trends.

The dashboard runs on a local werkzeug server over a real monitor and a real SQLite log;
sets are fed to the monitor the way the sampler feeds it (``Monitor.process``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.runners import Runners
from insole.store import SessionLog
from tests.scripted import HOLD, REST, scripted, to_volts

pytestmark = pytest.mark.browser


class Site:
    """The served dashboard and the monitor behind it."""

    def __init__(self, url: str, monitor: Monitor, log: SessionLog) -> None:
        self.url = url
        self.monitor = monitor
        self.log = log
        self.t_s = 0.0

    def feed(self, segments: list[tuple[float, tuple[float, float, float]]]) -> None:
        """Frames as the sampler would deliver them, continuing the device clock."""
        frames = to_volts(scripted(segments))
        for f in frames:
            self.monitor.process(VoltsFrame(f.t_s + self.t_s, *f[1:]))
        self.t_s += frames[-1].t_s + 0.01


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from werkzeug.serving import make_server

    path = tmp_path_factory.mktemp("runners") / "sessions.sqlite3"
    with SessionLog(path) as log, Monitor(log, SourceInfo("emulated", True, "test")) as monitor:
        app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="test-http")
        thread.start()
        try:
            yield Site(f"http://127.0.0.1:{server.server_port}", monitor, log)
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()


def submit_and_wait(browser: Any, button_css: str) -> None:
    """Click a form's button and wait until the answer page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button = browser.find_element(By.CSS_SELECTOR, button_css)
    button.click()
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(button))
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )


def add_runner(browser: Any, site: Site, name: str, foot: str) -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(site.url + "/runners/")
    browser.find_element(By.ID, "f-name").send_keys(name)
    Select(browser.find_element(By.ID, "f-foot")).select_by_value(foot)
    submit_and_wait(browser, "form.settings-form button[type=submit]")
    match = re.search(r"/runners/(\d+)\?notice=added$", browser.current_url)
    assert match, browser.current_url
    return int(match.group(1))


def pick(browser: Any, site: Site, runner_id: int) -> None:
    """Choose the current runner with the picker in the page header."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(site.url + "/settings/")
    Select(browser.find_element(By.ID, "runner-pick")).select_by_value(str(runner_id))
    submit_and_wait(browser, "form.runner-picker button")
    assert browser.current_url == site.url + "/settings/"


def week_cells(browser: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        cell.text
        for cell in browser.find_elements(
            By.CSS_SELECTOR, "section[data-exercise=arch_hold] table.weeks td.num"
        )
    ]


def test_two_runners_with_their_own_targets_and_trends(browser: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    ana = add_runner(browser, site, "Ana", "left")
    ben = add_runner(browser, site, "Ben", "right")

    # The physiotherapist gives Ana five-second holds in the programme editor.
    browser.get(f"{site.url}/runners/{ana}")
    hold = browser.find_element(By.NAME, "targets.arch_hold.hold_s")
    hold.clear()
    hold.send_keys("5")
    submit_and_wait(browser, "form.programme-form button[type=submit]")
    assert "Programme saved." in browser.page_source
    assert Runners(site.log).get(ana).targets == {"arch_hold": {"hold_s": 5.0}}

    # Ana's set: two six-second holds, correct against her five seconds.
    pick(browser, site, ana)
    site.feed([(0.5, REST)])
    ana_set = site.monitor.start_set()
    browser.get(site.url + "/settings/")
    assert browser.find_element(By.ID, "runner-pick").get_attribute("disabled") is not None
    site.feed([(6, HOLD), (1, REST), (6, HOLD), (1, REST)])
    site.monitor.stop_set()

    # Ben's set: the same holds are short against the default eight seconds.
    pick(browser, site, ben)
    ben_set = site.monitor.start_set()
    site.feed([(6, HOLD), (1, REST), (6, HOLD), (1, REST)])
    site.monitor.stop_set()
    assert site.log.get_session(ana_set).runner_id == ana
    assert site.log.get_session(ben_set).runner_id == ben

    browser.get(f"{site.url}/review/runners/{ana}/trend")
    assert "Ana: progress over weeks" in browser.find_element(By.TAG_NAME, "h1").text
    assert week_cells(browser)[:2] == ["1", "2 / 2"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.trend rect.bar:not(.swatch)")) == 1
    browser.get(f"{site.url}/review/runners/{ben}/trend")
    assert week_cells(browser)[:2] == ["1", "0 / 2"]

    # Another tablet switches back to Ana: this page's picker follows when it is touched.
    browser.get(site.url + "/review/")
    site.monitor.select_runner(ana)
    browser.execute_script("window.dispatchEvent(new Event('focus'))")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.ID, "runner-pick").get_attribute("value") == str(ana)
    )
    locked_set = site.monitor.start_set()
    browser.execute_script("window.dispatchEvent(new Event('focus'))")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.ID, "runner-pick").get_attribute("disabled") is not None
    )
    site.monitor.stop_set()
    site.monitor.select_runner(ben)

    # The session list filtered to Ana shows her sets only, newest first.
    browser.get(f"{site.url}/review/?runner={ana}")
    links = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "table.sessions a")
    ]
    assert links == [f"{site.url}/review/{locked_set}", f"{site.url}/review/{ana_set}"]

    # Deleting Ben asks first and keeps his session.
    browser.get(f"{site.url}/runners/{ben}/delete")
    assert "1 recorded session(s) are kept" in browser.find_element(By.ID, "delete-sessions").text
    submit_and_wait(browser, "button.danger")
    assert "Ben was deleted" in browser.page_source
    assert site.monitor.runner is None
    assert site.log.get_session(ben_set).runner_id is None
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_pages_fit_a_phone(browser: Any, site: Site, shot_dir: Path) -> None:
    browser.set_window_size(390, 844)
    try:
        for page in ("/", "/runners/", "/runners/1", "/review/runners/1/trend", "/settings/"):
            browser.get(site.url + page)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            name = page.strip("/").replace("/", "_") or "live"
            browser.save_screenshot(str(shot_dir / f"runners-{name}-390.png"))
            assert width <= 390, page
    finally:
        browser.set_window_size(1024, 768)
