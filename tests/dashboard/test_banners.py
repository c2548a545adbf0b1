"""Device banners in the page language: a lost ADC, and both insoles' own faults.

Server-rendered here (every page shows them); ``static/live_common.js`` renders the same
keys on the live page, checked in a real browser by ``tests/browser/test_feet_browser.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from firmware.errors import AdcReadError
from firmware.feet_adc import FootAdcError
from firmware.feet_monitor import FeetMonitor
from firmware.monitor import Monitor, SourceInfo
from insole.store import SessionLog
from tests.monitor_support import feed
from tests.scripted import REST

GERMAN = {"Accept-Language": "de"}


def banner_divs(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<div class="banner banner-\w+" data-banner="([\w.]+)">([^<]*)</div>', html)
    )


def page_banners(monitor: Monitor, headers: dict[str, str] | None = None) -> dict[str, str]:
    app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)
    return banner_divs(local_test_client(app).get("/review/", headers=headers).text)


def until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 5.0
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert condition(), what  # type: ignore[operator]


@pytest.fixture
def feet(store: SessionLog) -> Iterator[FeetMonitor]:
    with FeetMonitor(store, SourceInfo("emulated", True, "two test insoles", feet="both")) as mon:
        yield mon


def test_a_lost_adc_has_a_translated_headline_and_keeps_the_drivers_words(
    monitor: Monitor,
) -> None:
    feed(monitor, [(0.5, REST)])
    monitor.on_error(AdcReadError(121, "I2C transfer to the ADC failed: no ACK"))
    until(lambda: monitor.status()["banners"][-1]["key"] == "adc_fault", "the ADC shown lost")
    english = page_banners(monitor)["adc_fault"]
    german = page_banners(monitor, GERMAN)["adc_fault"]
    assert english.startswith("No readings from the ADC: the ADC is not answering (")
    assert german.startswith("Keine Messwerte vom ADC: the ADC is not answering (")
    assert "no ACK" in german


def test_each_insoles_sensor_fault_is_named_in_the_page_language(feet: FeetMonitor) -> None:
    feet.on_foot_health("left", {"big_toe": {"state": "stuck_zero", "message": "0 V"}})
    feet.on_foot_health("right", {"heel": {"state": "noisy", "message": "jumps"}})
    english = page_banners(feet)
    german = page_banners(feet, GERMAN)
    assert english["foot_sensor_fault.left.big_toe"] == (
        "Left insole — Sensor fault: big-toe ball not responding"
    )
    assert german["foot_sensor_fault.left.big_toe"] == (
        "Linke Einlegesohle — Sensorfehler: Großzehenballen reagiert nicht"
    )
    assert german["foot_sensor_fault.right.heel"] == (
        "Rechte Einlegesohle — Sensorfehler: Außenferse liefert unruhige Werte (Wackelkontakt?)"
    )


def test_one_insole_without_readings_is_named(feet: FeetMonitor) -> None:
    feet.on_error(FootAdcError("right", "right insole (0x49): [Errno 121] no ACK"))
    until(lambda: not feet.status()["feet"]["right"]["ok"], "the right insole shown lost")
    german = page_banners(feet, GERMAN)
    assert set(german) >= {"adc_fault.right"}
    assert "adc_fault.left" not in german
    assert german["adc_fault.right"].startswith(
        "Rechte Einlegesohle — Keine Messwerte vom ADC: "
    )
