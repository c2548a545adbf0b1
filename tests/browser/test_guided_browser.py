"""A guided session in a real headless Chromium against the real service on the emulated insole.

The simulated foot loops sit-to-stands (two clean ones, then one with the big-toe ball
lifted while standing), so a sit-to-stand set started at any moment sees its phases and
counts reps within a loop. The test walks the default programme: the warm-up checklist,
the arch hold skipped, its rest skipped, the first sit-to-stand set run on the insole and
stopped, the rest counting down, the next set. One test, because the stages follow each
other on the one device.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import live_page
from tests.browser.conftest import require_browser
from tests.browser.live_page import text, wait_for
from tests.browser.service import Service, running_service

pytestmark = pytest.mark.browser

SCRIPT = "hold 3; rise 4; hold 2; rise 4; hold 2; rise 4 lift big_toe@top; hold 2"
LOOP_S = 23.0
SERVE_ARGS = ["--source", "emulated", "--no-gpio", "--script", SCRIPT]


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    require_browser()
    with running_service(SERVE_ARGS) as svc:
        yield svc


def status(service: Service) -> dict[str, Any]:
    with urllib.request.urlopen(service.url + "/api/status", timeout=5) as reply:
        data: dict[str, Any] = json.load(reply)
        return data


def click(page: Any, element_id: str) -> None:
    page.find_element("id", element_id).click()


def checklist_marks(page: Any) -> list[str]:
    marks: list[str] = page.execute_script(
        "return Array.prototype.map.call("
        "document.querySelectorAll('#g-checklist li'), function (li) { return li.className; });"
    )
    return marks


def current_phase(page: Any) -> str | None:
    phase: str | None = page.execute_script(
        "var li = document.querySelector('#rep-phases li.now');"
        " return li ? li.dataset.phase : null;"
    )
    return phase


def clipped(page: Any) -> list[str]:
    """Visible elements of the stage card cut off by its bottom edge (empty when all fit)."""
    found: list[str] = page.execute_script(
        """
        var card = document.getElementById('g-card').getBoundingClientRect(), bad = [];
        document.querySelectorAll('#g-card *').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) { return; }
          if (r.bottom > card.bottom + 0.5) { bad.push((e.id || e.tagName) + ' ' + r.bottom); }
        });
        return bad;
        """
    )
    return found


def seconds(countdown: str) -> int:
    match = re.fullmatch(r"(\d+):(\d\d)", countdown)
    assert match, countdown
    return int(match[1]) * 60 + int(match[2])


def test_a_guided_session_on_the_simulated_insole(
    browser: Any, service: Service, shot_dir: Path
) -> None:
    page = browser
    live_page.set_viewport(page, 768, 1024)
    page.get(service.url + "/guided")
    wait_for("the programme", lambda: "Sit-to-stand" in text(page, "g-outline"))
    assert text(page, "g-primary") == "Start the programme"

    # Warm-up: three items ticked one by one.
    click(page, "g-primary")
    wait_for("the first warm-up item", lambda: text(page, "g-title") == "Warm-up 1 of 3")
    assert checklist_marks(page) == ["now", "later", "later"]
    page.save_screenshot(str(shot_dir / "guided-768x1024-warm-up.png"))
    assert live_page.overflowing(page) == []
    assert clipped(page) == []
    for n in (2, 3):
        click(page, "g-primary")
        wait_for(f"warm-up item {n}", lambda n=n: text(page, "g-title") == f"Warm-up {n} of 3")
    assert checklist_marks(page) == ["done", "done", "now"]
    click(page, "g-primary")
    wait_for("the arch hold set", lambda: text(page, "g-title") == "Arch hold — set 1 of 1")
    assert text(page, "g-kind") == "Set · 10 holds of 8 s"

    # The arch hold and its rest are skipped (a physiotherapist's choice for this runner).
    click(page, "g-secondary")
    wait_for("the rest", lambda: text(page, "g-title") == "Rest · 60 s")
    click(page, "g-primary")
    wait_for("the sit-to-stand set", lambda: text(page, "g-title") == "Sit-to-stand — set 1 of 2")
    assert text(page, "g-primary") == "Start set"

    # The set starts on the device with the step's exercise and rep target.
    click(page, "g-primary")
    wait_for("the set to run", lambda: text(page, "g-primary") == "Stop set")
    device_set = status(service)["set"]
    assert device_set["running"] is True
    assert device_set["exercise"] == "sit_to_stand"
    wait_for("the rep view", lambda: page.find_element("id", "rep-view").is_displayed())
    assert [li.text for li in page.find_elements("css selector", "#rep-phases li")] == [
        "Rise", "Stand", "Descent",
    ]
    phases: set[str] = set()
    counts: set[str] = set()

    def reps_counted() -> bool:
        phase = current_phase(page)
        if phase:
            phases.add(phase)
        counts.add(text(page, "reps"))
        return {"rise", "stand", "descent"} <= phases and any(
            re.fullmatch(r"[2-8] of 8 correct", c) for c in counts
        )

    wait_for("phases and two correct reps", reps_counted, timeout_s=2 * LOOP_S, poll_s=0.05)
    assert "0 of 8 correct" in counts or "1 of 8 correct" in counts
    verdict = text(page, "last-hold")
    assert re.match(r"(correct|faulty) · [\d.]+ s · ", verdict), verdict
    page.save_screenshot(str(shot_dir / "guided-768x1024-set.png"))
    assert live_page.overflowing(page) == []
    assert clipped(page) == []

    # Stopping the set ends the stage: the rest counts down on the device's clock.
    click(page, "g-primary")
    wait_for("the rest after the set", lambda: text(page, "g-title") == "Rest · 60 s")
    assert status(service)["set"]["running"] is False
    assert text(page, "g-next") == "Next: Sit-to-stand — set 2 of 2"
    assert re.fullmatch(r"Sit-to-stand 1: stopped · [2-8] of [2-9] correct", text(page, "g-result"))
    first = seconds(text(page, "g-countdown"))
    assert 55 <= first <= 60
    wait_for("the countdown to run", lambda: seconds(text(page, "g-countdown")) <= first - 2)
    page.save_screenshot(str(shot_dir / "guided-768x1024-rest.png"))
    assert live_page.overflowing(page) == []
    assert clipped(page) == []

    # A reload (or a second tablet) shows the same stage: the state is on the device.
    page.refresh()
    wait_for("the rest after a reload", lambda: text(page, "g-title") == "Rest · 60 s")
    assert seconds(text(page, "g-countdown")) <= first - 2
    assert "Sit-to-stand" in text(page, "g-outline")

    # Ending the rest early brings the next set.
    click(page, "g-primary")
    wait_for("the next set", lambda: text(page, "g-title") == "Sit-to-stand — set 2 of 2")
    click(page, "g-end")
    wait_for("the session to end", lambda: text(page, "g-primary") == "Start the programme")
