"""The live page in a real headless Chromium against the real service on the emulated insole.

One service and one browser for the whole module (each costs seconds to start). The
simulated foot loops "rest, 9 s hold, rest, 5 s hold", so within one loop after a set
starts there is always a correct hold and a short one. The tests run in file order; the
restart test comes last because it replaces the service process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import live_page
from tests.browser.conftest import require_browser
from tests.browser.live_page import banners, text, wait_for
from tests.browser.service import Service, running_service

pytestmark = pytest.mark.browser

# Rests with the foot lifted, so that every rest looks the same on all three points.
SCRIPT = "rest 3 lifted; hold 9; rest 3 lifted; hold 5"
LOOP_S = 20.0
SERVE_ARGS = ["--source", "emulated", "--no-gpio", "--script", SCRIPT]
SCREEN_SIZES = [(768, 1024), (1024, 768), (390, 844)]


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    require_browser()
    with running_service(SERVE_ARGS) as svc:
        yield svc


@pytest.fixture
def page(browser: Any, service: Service) -> Any:
    """The live page, loaded fresh, with its first frame drawn."""
    live_page.set_viewport(browser, 1024, 768)
    browser.get(service.url + "/")
    wait_for("the first frame", lambda: text(browser, "share-value-heel") != "–")
    return browser


def test_numbers_move(page: Any) -> None:
    seen: set[tuple[str, ...]] = set()

    def moved() -> bool:
        shares = tuple(text(page, f"share-value-{n}") for n in ("heel", "little_toe", "big_toe"))
        if all(re.fullmatch(r"\d+%", value) for value in shares):  # "–" while the foot is lifted
            seen.add(shares)
        return len(seen) >= 5

    wait_for("the shares to change", moved, timeout_s=LOOP_S)
    assert text(page, "state-word") in ("Balanced", "Off balance", "Not loaded")
    radius = page.execute_script("return document.getElementById('pt-heel').getAttribute('r')")
    assert float(radius) > 5.0
    zone = page.execute_script("return document.getElementById('zone').getAttribute('points')")
    assert len(zone.split()) >= 3


def test_nine_second_hold_is_correct_and_five_second_hold_is_short(page: Any) -> None:
    page.find_element("id", "set-toggle").click()
    wait_for("the set to start", lambda: text(page, "set-toggle") == "Stop set", timeout_s=5)
    wait_for("the screen wake lock", lambda: wake_lock(page) == "held", timeout_s=5)
    outcomes: set[str] = set()
    rep_lines: set[str] = set()

    def both_outcomes() -> bool:
        outcomes.add(text(page, "last-hold"))
        rep_lines.add(text(page, "reps"))
        # The count line may update a moment after the hold's line: wait for it as well.
        counted = any(re.fullmatch(r"[1-9]\d* of 10 correct", line) for line in rep_lines)
        return (
            counted
            and any(o.startswith("correct") for o in outcomes)
            and any(o.startswith("too short") for o in outcomes)
        )

    try:
        wait_for("a correct and a short hold", both_outcomes, timeout_s=2 * LOOP_S + 5)
    finally:
        page.find_element("id", "set-toggle").click()
    correct = [o for o in outcomes if o.startswith("correct")]
    short = [o for o in outcomes if o.startswith("too short")]
    durations = [float(re.search(r"· ([\d.]+) s", o)[1]) for o in correct]  # type: ignore[index]
    assert any(8.0 <= d <= 10.0 for d in durations), correct
    short_durations = [float(re.search(r"· ([\d.]+) s", o)[1]) for o in short]  # type: ignore[index]
    assert any(4.0 <= d < 8.0 for d in short_durations), short
    assert any(re.fullmatch(r"[1-9]\d* of 10 correct", line) for line in rep_lines), rep_lines
    wait_for("the set to stop", lambda: text(page, "set-toggle") == "Start set", timeout_s=5)
    wait_for("the wake lock to go", lambda: wake_lock(page) == "released", timeout_s=5)


def wake_lock(page: Any) -> str:
    state: str = page.execute_script("return document.body.dataset.wakeLock || ''")
    return state


def test_simulated_insole_is_announced(page: Any) -> None:
    shown = wait_for("the simulated banner", lambda: banners(page).get("simulated"))
    assert shown.startswith("Simulated insole")


def test_unplugged_sensor_shows_its_fault_banner(browser: Any) -> None:
    # A service of its own (it starts in a fraction of a second) whose big-toe sensor comes
    # loose 5 s after start, in the middle of the first hold, and stays loose. (Unplugged
    # while unloaded it would read like any unloaded point: 0 V, no fault to see.)
    with running_service([*SERVE_ARGS, "--unplug", "big_toe@5"]) as faulty:
        browser.get(faulty.url + "/")
        shown = wait_for(
            "the sensor fault banner", lambda: banners(browser).get("sensor_fault.big_toe")
        )
        assert shown == "Sensor fault: big-toe ball not responding"
        # Faults come before information, at the top of the page.
        order = browser.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('#banners .banner'),"
            " function (b) { return [b.dataset.banner, b.getBoundingClientRect().top]; });"
        )
        keys = [key for key, _top in order]
        assert keys.index("sensor_fault.big_toe") < keys.index("simulated")
        assert all(top < 400 for _key, top in order)


def test_foot_choice_mirrors_the_drawing(page: Any) -> None:
    def big_toe_right_of_little_toe() -> bool:
        return bool(
            page.execute_script(
                "var b = document.getElementById('pt-big_toe').getBoundingClientRect();"
                "var l = document.getElementById('pt-little_toe').getBoundingClientRect();"
                "return b.left > l.left;"
            )
        )

    # A right foot seen from above has its big toe on the left.
    assert not big_toe_right_of_little_toe()
    page.find_element("css selector", ".foot-choice[data-foot='left']").click()
    assert big_toe_right_of_little_toe()
    page.find_element("css selector", ".foot-choice[data-foot='right']").click()
    assert not big_toe_right_of_little_toe()


def test_sound_switch_is_remembered(page: Any, service: Service) -> None:
    toggle = page.find_element("id", "sound-toggle")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    page.get(service.url + "/")
    assert page.find_element("id", "sound-toggle").get_attribute("aria-pressed") == "false"
    page.find_element("id", "sound-toggle").click()
    assert page.find_element("id", "sound-toggle").get_attribute("aria-pressed") == "true"


def test_language_switch(page: Any) -> None:
    page.find_element("css selector", ".lang-switch button[value='de']").click()
    wait_for("the German page", lambda: text(page, "set-toggle") == "Satz starten")
    wait_for("German banners", lambda: banners(page).get("simulated", "").startswith("Simul"))
    assert page.find_element("tag name", "html").get_attribute("lang") == "de"
    page.find_element("css selector", ".lang-switch button[value='en']").click()
    wait_for("the English page", lambda: text(page, "set-toggle") == "Start set")


def test_page_is_installable(page: Any) -> None:
    manifest = page.execute_cdp_cmd("Page.getAppManifest", {})
    assert manifest["url"].endswith("/static/manifest.webmanifest")
    assert manifest["errors"] == []
    assert manifest["manifest"]["display"] == "kStandalone"
    # Chromium's own verdict on "Add to home screen" / "Install app".
    assert page.execute_cdp_cmd("Page.getInstallabilityErrors", {})["installabilityErrors"] == []


@pytest.mark.parametrize(("width", "height"), SCREEN_SIZES)
def test_layout_fits_the_screen(page: Any, shot_dir: Path, width: int, height: int) -> None:
    live_page.set_viewport(page, width, height)
    page.refresh()
    wait_for("the first frame", lambda: text(page, "share-value-heel") != "–")
    time.sleep(0.3)  # let the trail grow and fonts settle for the picture
    page.save_screenshot(str(shot_dir / f"live-{width}x{height}.png"))
    assert live_page.overflowing(page) == []
    assert live_page.widest_share_overflows(page) == []


def test_record_target_redraws_the_target_zone(page: Any) -> None:
    def zone() -> str:
        points: str = page.execute_script(
            "return document.getElementById('zone').getAttribute('points')"
        )
        return points

    before = zone()

    def hold_just_started() -> bool:
        elapsed = re.match(r"([\d.]+) /", text(page, "hold-time"))
        return (
            text(page, "state-word") == "Balanced"
            and elapsed is not None
            and (float(elapsed[1]) < 1.0)
        )

    # Capture during a hold (every hold of the script lasts at least 5 s).
    wait_for("a hold to start", hold_just_started, timeout_s=LOOP_S, poll_s=0.05)
    page.find_element("id", "capture").click()
    wait_for(
        "the target to be saved",
        lambda: text(page, "message") == "Personal target saved",
        timeout_s=10,
        poll_s=0.05,
    )
    after = zone()
    assert after != before
    assert len(after.split()) >= 3


def test_no_console_errors_and_no_request_leaves_the_host(page: Any) -> None:
    # Everything this module's tests did so far is in the logs.
    assert live_page.console_errors(page) == []
    urls = live_page.requested_urls(page)
    assert any(url.endswith("/api/stream") for url in urls)
    assert any(url.endswith("/static/live.js") for url in urls)
    assert live_page.foreign(urls) == []
    resources = page.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    assert live_page.foreign(resources) == []


def test_stream_recovers_after_the_server_restarts(page: Any, service: Service) -> None:
    wait_for("frames", lambda: text(page, "share-value-heel") != "–")
    service.stop(sig=9)
    wait_for("the connection-lost banner", lambda: "connection" in banners(page), timeout_s=10)
    assert banners(page)["connection"].startswith("Connection lost")
    service.start()
    wait_for("the banner to go", lambda: "connection" not in banners(page), timeout_s=20)
    before = text(page, "share-value-heel"), text(page, "hold-time")
    wait_for(
        "numbers moving again",
        lambda: (text(page, "share-value-heel"), text(page, "hold-time")) != before,
        timeout_s=10,
    )
