"""Every exercise mode live in a real headless Chromium on the emulated insole.

For each of the follow-up modes a service of its own runs a simulated foot that loops that
mode's movement; the test picks the mode on the live page, starts a set, and waits for the
page to count a correct rep (or, for the band hold, a correct hold against the band).
The arch hold, the default, has its own tests in ``test_live_browser.py``.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from selenium.webdriver.support.ui import Select

from tests.browser import live_page
from tests.browser.conftest import require_browser
from tests.browser.live_page import text, wait_for
from tests.browser.service import Service, running_service

pytestmark = pytest.mark.browser

# One clean repetition of each movement per loop (simulator script language,
# docs/simulator.md), with the loop's length in seconds.
MODES: dict[str, tuple[str, float]] = {
    "sit_to_stand": ("hold 2; rise 4", 6.0),
    "squat": ("stand 3; squat 5", 8.0),
    "band_hold": ("rest 2; band 10 pulls 2", 12.0),
    "lunge": ("stand 3 load 200; lunge 2; lunge 2; lunge 2; stand 2 load 200", 11.0),
}


def device_set(service: Service) -> dict[str, Any]:
    with urllib.request.urlopen(service.url + "/api/status", timeout=5) as reply:
        data: dict[str, Any] = json.load(reply)
    return dict(data["set"])


@pytest.mark.parametrize("mode", list(MODES))
def test_the_mode_counts_live(browser: Any, mode: str) -> None:
    require_browser()
    script, loop_s = MODES[mode]
    with running_service(["--source", "emulated", "--no-gpio", "--script", script]) as service:
        live_page.set_viewport(browser, 1024, 768)
        browser.get(service.url + "/")
        wait_for("the first frame", lambda: text(browser, "share-value-heel") != "–")
        Select(browser.find_element("id", "exercise")).select_by_value(mode)
        browser.find_element("id", "set-toggle").click()
        wait_for("the set to start", lambda: text(browser, "set-toggle") == "Stop set")
        assert device_set(service)["exercise"] == mode
        try:
            counted = wait_for(
                f"a correct {mode} rep",
                lambda: re.fullmatch(r"[1-9]\d* of \d+ correct", text(browser, "reps")),
                timeout_s=2 * loop_s + 10,
            )
        finally:
            browser.find_element("id", "set-toggle").click()
        assert counted
        wait_for("the set to stop", lambda: text(browser, "set-toggle") == "Start set")
        assert device_set(service)["running"] is False
