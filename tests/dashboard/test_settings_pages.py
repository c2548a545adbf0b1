"""Settings form, personal target and settings API against a real monitor and log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from dashboard.settings_views import NUMBER_FIELDS
from firmware.monitor import Monitor
from insole.frames import VoltsFrame
from insole.settings import Settings
from insole.store import SessionLog
from tests.scripted import HOLD, scripted, to_volts


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)


def form_of(settings: Settings, **changes: str) -> dict[str, str]:
    """What a browser submits for ``settings`` with some fields typed over."""
    data = {name: f"{getattr(settings, name):g}" for name in NUMBER_FIELDS}
    data.update(foot=settings.foot, language=settings.language)
    for sensor, (x_mm, y_mm) in settings.sensor_positions_mm.items():
        data[f"pos_{sensor}_x"] = f"{x_mm:g}"
        data[f"pos_{sensor}_y"] = f"{y_mm:g}"
    data.update(changes)
    return data


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="err-{name}" role="alert">([^<]*)</p>', html)
    assert match, f"no message next to {name}"
    return match.group(1)


def test_the_form_shows_the_settings_in_force(client: FlaskClient, monitor: Monitor) -> None:
    monitor.update_settings({"hold_target_s": 9.5, "foot": "left"})
    page = client.get("/settings/").text
    assert 'name="hold_target_s" type="text" inputmode="decimal" value="9.5"' in page
    assert '<option value="left" selected>' in page
    assert "allowed: 1 to 120" in page
    german = client.get("/settings/", headers={"Accept-Language": "de"}).text
    assert "Haltezeit-Ziel (s)" in german
    assert "erlaubt: 1 bis 120" in german


def test_a_valid_form_is_saved_whole(
    client: FlaskClient, monitor: Monitor, log: SessionLog
) -> None:
    data = form_of(
        monitor.settings,
        hold_target_s="10",
        grace_s="0,8",
        rep_target="6",
        set_done_at="4",
        foot="left",
        r_fixed_ohm="10000",
        pos_heel_x="-10",
        language="de",
    )
    response = client.post("/settings/", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/?saved=1")
    assert "lang=de" in response.headers["Set-Cookie"]
    s = monitor.settings
    assert (s.hold_target_s, s.grace_s, s.rep_target, s.set_done_at) == (10.0, 0.8, 6, 4)
    assert (s.foot, s.r_fixed_ohm, s.language) == ("left", 10_000.0, "de")
    assert s.sensor_positions_mm["heel"][0] == -10.0
    stored = log.load_settings()
    assert stored is not None
    assert Settings.from_dict(stored) == s
    assert monitor.calibration.divider.r_fixed_ohm == 10_000.0
    saved_page = client.get("/settings/?saved=1", headers={"Cookie": "lang=de"}).text
    assert "Einstellungen gespeichert." in saved_page


def test_choosing_the_browser_language_clears_the_cookie(
    client: FlaskClient, monitor: Monitor
) -> None:
    response = client.post("/settings/", data=form_of(monitor.settings, language="auto"))
    assert response.status_code == 303
    assert re.search(r"lang=; Expires=Thu, 01 Jan 1970", response.headers["Set-Cookie"])


def test_bad_values_get_messages_next_to_their_fields_and_nothing_is_saved(
    client: FlaskClient, monitor: Monitor, log: SessionLog
) -> None:
    before = monitor.settings
    data = form_of(before, hold_target_s="0,5", grace_s="soon", rep_target="12", foot="middle")
    response = client.post("/settings/", data=data)
    assert response.status_code == 400
    page = response.text
    assert "Nothing was saved" in page
    assert field_error(page, "hold_target_s") == "Must be a number from 1 to 120."
    assert field_error(page, "grace_s") == "&#39;soon&#39; is not a number."
    assert "left, right" in field_error(page, "foot")
    assert 'value="0,5"' in page  # what was typed stays in the field to be corrected
    assert monitor.settings == before
    assert log.load_settings() is None


def test_a_cross_field_rule_is_reported_with_the_other_errors(
    client: FlaskClient, monitor: Monitor
) -> None:
    data = form_of(monitor.settings, rep_target="4", set_done_at="5", grace_s="x")
    page = client.post("/settings/", data=data).text
    assert "rep_target (4)" in field_error(page, "set_done_at")
    assert field_error(page, "grace_s")
    assert monitor.settings.rep_target == 10


def test_sensor_positions_must_form_a_triangle(client: FlaskClient, monitor: Monitor) -> None:
    flat = {f"pos_{s}_{a}": "0" for s in ("heel", "little_toe", "big_toe") for a in "xy"}
    response = client.post("/settings/", data=form_of(monitor.settings, **flat))
    assert response.status_code == 400
    assert "must form a triangle" in field_error(response.text, "sensor_positions_mm")
    german = client.post(
        "/settings/",
        data=form_of(monitor.settings, pos_heel_y="500"),
        headers={"Accept-Language": "de"},
    )
    assert field_error(german.text, "pos_heel_y") == "Muss eine Zahl von -400 bis 400 sein."


def feed(monitor: Monitor, forces: tuple[float, float, float], seconds: float, t0: float) -> float:
    frames = to_volts(scripted([(seconds, forces)]))
    for f in frames:
        monitor.process(VoltsFrame(f.t_s + t0, *f[1:]))
    return t0 + seconds


def test_show_a_correct_hold_stores_the_personal_target(
    client: FlaskClient, monitor: Monitor
) -> None:
    assert "No personal target" in client.get("/settings/").text
    t = feed(monitor, HOLD, 1.0, 0.0)
    with monitor.subscribe() as sub:
        response = client.post("/settings/target", data={"duration_s": "2"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/settings/?capturing=2")
        assert 'data-capturing="2"' in client.get(response.headers["Location"]).text
        feed(monitor, HOLD, 3.0, t)
        while (event := sub.get(5.0)) is not None and event[0] != "target_captured":
            pass
    assert event is not None, "the monitor never reported the captured target"
    page = client.get("/settings/").text
    shares = re.findall(r'<td class="num">(\d+) %</td>', page)
    assert shares == ["45", "20", "35"]
    assert "± 8 %" in page
    cleared = client.post("/settings/target/clear")
    assert cleared.status_code == 303
    assert monitor.settings.personal_target is None


@pytest.mark.parametrize("duration", ["", "0.5", "11", "abc"])
def test_a_bad_capture_duration_is_refused(
    client: FlaskClient, monitor: Monitor, duration: str
) -> None:
    response = client.post("/settings/target", data={"duration_s": duration})
    assert response.status_code == 400
    assert field_error(response.text, "duration_s")


def test_api_settings_lists_values_ranges_and_choices(client: FlaskClient) -> None:
    body = client.get("/api/settings").json
    assert body is not None
    assert body["settings"]["hold_target_s"] == 8.0
    assert body["ranges"]["hold_target_s"] == {"low": 1.0, "high": 120.0, "integer": False}
    assert body["choices"]["foot"] == ["left", "right"]


def test_api_put_changes_settings_all_or_nothing(client: FlaskClient, monitor: Monitor) -> None:
    ok = client.put("/api/settings", json={"grace_s": 1.0, "rep_target": 8})
    assert ok.status_code == 200
    assert ok.json is not None
    assert ok.json["settings"]["grace_s"] == 1.0
    assert monitor.settings.rep_target == 8
    bad = client.put("/api/settings", json={"grace_s": 2.0, "hold_target_s": -1})
    assert bad.status_code == 400
    assert bad.json is not None
    assert bad.json["field"] == "hold_target_s"
    assert "from 1 to 120" in bad.json["message"]
    assert monitor.settings.grace_s == 1.0  # the good half was not applied either


@pytest.mark.parametrize("body", [[1, 2], "grace_s=1", {"colour": "red"}])
def test_api_put_rejects_what_is_not_a_settings_object(client: FlaskClient, body: Any) -> None:
    response = client.put("/api/settings", json=body)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "bad_request"
    assert response.json["message"]


def test_settings_need_a_monitor() -> None:
    client = local_test_client(create_app({"TESTING": True, **LOCAL_TEST_CONFIG}))
    assert client.get("/settings/").status_code == 503
    response = client.get("/api/settings")
    assert response.status_code == 503
    assert "no insole monitor" in response.json["message"]


@pytest.mark.parametrize("forged", ["soon+please", "nan", "99", "-2"])
def test_the_capturing_notice_ignores_anything_but_a_capture_length(
    client: FlaskClient, forged: str
) -> None:
    """A hand-edited link is not echoed into the notice or handed to the page script."""
    page = client.get(f"/settings/?capturing={forged}")
    assert page.status_code == 200
    assert "data-capturing" not in page.text
    assert 'data-capturing="2.5"' in client.get("/settings/?capturing=2.5").text


def test_the_calibration_saved_notice_shows_only_a_number(client: FlaskClient) -> None:
    assert "Calibration 7 saved." in client.get("/settings/calibrate?saved=7").text
    forged = client.get("/settings/calibrate?saved=call+0800+now")
    assert forged.status_code == 200
    assert "call 0800 now" not in forged.text  # (the language form keeps the URL, encoded)
