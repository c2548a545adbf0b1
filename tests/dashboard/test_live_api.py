"""Every live route through the Flask test client, over a real Monitor and session log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from firmware.monitor import Monitor
from insole.frames import SENSORS
from insole.store import SessionLog
from tests.dashboard.sse_text import parse_events
from tests.monitor_support import feed
from tests.scripted import BIG_TOE_UP, HOLD, REST


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    # A short keepalive so that a test reading an idle stream gets a chunk soon.
    return create_app(
        {"TESTING": True, **LOCAL_TEST_CONFIG, "LIVE_KEEPALIVE_S": 0.2}, monitor=monitor
    )


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json
    assert body["message"]
    return body


# -- the page -------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.main: dict[str, str | None] = {}
        self.assets: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "main":
            self.main = a
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.assets.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.assets.append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_live_page_has_every_part_and_only_own_assets(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = parse_page(response.get_data(as_text=True))
    for part in ("foot", "state", "hold-bar", "reps", "last-hold", "set-toggle", "tare"):
        assert part in page.ids
    for name in SENSORS:
        assert f"pt-{name}" in page.ids
        assert f"share-{name}" in page.ids
    assert page.inline_scripts == 0
    for url in page.assets:
        assert url.startswith("/static/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
    config = json.loads(str(page.main["data-config"]))
    assert config["hold_target_s"] == 8.0
    assert config["foot"] == "right"
    assert set(config["positions_mm"]) == set(SENSORS)
    texts = json.loads(str(page.main["data-texts"]))
    assert texts["cue.press_big_toe"] == "Press the big-toe ball down"


def test_live_page_follows_the_browser_language(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "fr;q=0.9, de;q=0.8, en;q=0.1"}).text
    assert '<html lang="de">' in html
    assert "Satz starten" in html
    texts = json.loads(str(parse_page(html).main["data-texts"]))
    assert texts["cue.press_big_toe"] == "Großzehenballen andrücken"


def test_language_cookie_beats_the_browser(client: FlaskClient) -> None:
    client.post("/lang", data={"lang": "en"})
    html = client.get("/", headers={"Accept-Language": "de"}).text
    assert '<html lang="en">' in html
    assert "Start set" in html


def test_device_language_setting_beats_the_browser(client: FlaskClient, monitor: Monitor) -> None:
    monitor.update_settings({"language": "de"})
    assert '<html lang="de">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_page_draws_the_configured_foot(client: FlaskClient, monitor: Monitor) -> None:
    monitor.update_settings({"foot": "left"})
    html = client.get("/").text
    assert 'class="foot-left"' in html
    assert json.loads(str(parse_page(html).main["data-config"]))["foot"] == "left"


def test_page_without_a_monitor_is_unavailable() -> None:
    response = local_test_client(create_app({"TESTING": True, **LOCAL_TEST_CONFIG})).get(
        "/api/status"
    )
    assert error_of(response, 503)["error"] == "unavailable"


# -- status and latest frame ----------------------------------------------------------


def test_status_reports_the_source_and_health(client: FlaskClient) -> None:
    body = client.get("/api/status").json
    assert body is not None
    assert body["source"] == {"kind": "emulated", "simulated": True, "description": "test insole"}
    assert body["health"]["ok"] is True
    assert set(body["health"]["sensors"]) == set(SENSORS)
    assert body["set"]["running"] is False
    assert [b["key"] for b in body["banners"]] == ["simulated"]


def test_status_shows_a_sensor_fault(client: FlaskClient, monitor: Monitor) -> None:
    monitor.on_health({"big_toe": {"state": "stuck_zero", "message": "reads 0 V"}})
    body = client.get("/api/status").json
    assert body is not None
    assert body["health"]["ok"] is False
    assert "sensor_fault.big_toe" in [b["key"] for b in body["banners"]]


def test_latest_frame_is_null_before_the_first_frame(client: FlaskClient) -> None:
    assert client.get("/api/live").json == {"frame": None}


def test_latest_frame_has_the_documented_shape(client: FlaskClient, monitor: Monitor) -> None:
    feed(monitor, [(2.0, HOLD)])
    frame = client.get("/api/live").json["frame"]
    assert set(frame) == {
        "t_s", "forces_n", "total_n", "shares", "cop_mm", "cop_tri", "balanced",
        "off_point", "cue_key", "cue", "hold", "set", "last_hold",
    }  # fmt: skip
    assert frame["balanced"] is True
    assert frame["cue_key"] == "hold"
    assert sum(frame["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert frame["hold"]["state"] == "holding"


# -- set control ----------------------------------------------------------------------


def test_start_and_stop_a_set(client: FlaskClient, monitor: Monitor) -> None:
    response = client.post("/api/set/start", json={"exercise": "arch_hold", "foot": "left"})
    assert response.status_code == 200
    session_id = response.json["session_id"]
    assert isinstance(session_id, int)
    status = client.get("/api/status").json
    assert status["set"] == {
        "running": True, "session_id": session_id, "exercise": "arch_hold", "foot": "left"
    }  # fmt: skip
    feed(monitor, [(1.0, REST), (9.0, HOLD), (1.0, REST)])
    response = client.post("/api/set/stop")
    assert response.status_code == 200
    assert response.json["stopped"] is True
    assert response.json["correct"] == 1
    assert response.json["attempted"] == 1
    logged = monitor.log.get_session(session_id)
    assert (logged.foot, logged.correct, logged.attempted) == ("left", 1, 1)
    assert [hold.outcome for hold in monitor.log.holds(session_id)] == ["correct"]


def test_start_with_an_empty_body_uses_the_settings(client: FlaskClient) -> None:
    assert client.post("/api/set/start").status_code == 200
    assert client.get("/api/status").json["set"]["foot"] == "right"


def test_second_start_conflicts_and_keeps_the_running_set(client: FlaskClient) -> None:
    first = client.post("/api/set/start").json["session_id"]
    body = error_of(client.post("/api/set/start"), 409)
    assert "already running" in body["message"]
    assert client.get("/api/status").json["set"]["session_id"] == first


def test_stop_without_a_set_conflicts(client: FlaskClient) -> None:
    assert "no set is running" in error_of(client.post("/api/set/stop"), 409)["message"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"foot": "middle"}, "foot", "foot must be one of left, right"),
        ({"exercise": "plank"}, "exercise", "exercise must be one of arch_hold"),
        ({"feet": "left"}, "feet", "unknown field 'feet'; allowed: exercise, foot"),
    ],
)
def test_start_rejects_bad_fields(
    client: FlaskClient, body: dict[str, Any], field: str, message: str
) -> None:
    answer = error_of(client.post("/api/set/start", json=body), 400)
    assert answer["field"] == field
    assert message in answer["message"]
    assert client.get("/api/status").json["set"]["running"] is False


@pytest.mark.parametrize(
    "url", ["/api/set/start", "/api/set/stop", "/api/tare", "/api/target/capture"]
)
def test_post_bodies_must_be_json_objects(client: FlaskClient, url: str) -> None:
    for data, ctype in (("[1]", "application/json"), ("{", "application/json"), ("x=1", None)):
        response = client.post(url, data=data, content_type=ctype)
        assert "JSON object" in error_of(response, 400)["message"]


def test_wrong_method_and_unknown_api_path_answer_json(client: FlaskClient) -> None:
    assert error_of(client.get("/api/set/start"), 405)["error"] == "method_not_allowed"
    assert error_of(client.get("/api/nothing"), 404)["error"] == "not_found"


# -- tare and target ------------------------------------------------------------------


def test_tare_before_any_reading_conflicts(client: FlaskClient) -> None:
    assert "no readings yet" in error_of(client.post("/api/tare"), 409)["message"]


def test_tare_zeroes_the_current_load(client: FlaskClient, monitor: Monitor) -> None:
    feed(monitor, [(1.0, (3.0, 2.0, 1.0))])
    response = client.post("/api/tare")
    assert response.status_code == 200
    body = response.json
    assert set(body["tare_n"]) == set(SENSORS)
    assert body["tare_n"]["heel"] == pytest.approx(3.0, rel=0.05)
    assert isinstance(body["calibration_id"], int)


def test_target_capture_is_accepted_and_reported_by_event(
    client: FlaskClient, monitor: Monitor
) -> None:
    sub = monitor.subscribe()
    try:
        response = client.post("/api/target/capture", json={"duration_s": 2})
        assert response.status_code == 202
        assert response.json == {"capturing": True, "duration_s": 2.0}
        feed(monitor, [(3.0, HOLD)])
        captured = None
        while (event := sub.get(5.0)) is not None:
            if event[0] == "target_captured":
                captured = event[1]
                break
    finally:
        sub.close()
    assert captured is not None
    assert captured["personal_target"]["heel"] == pytest.approx(0.45, abs=0.02)


@pytest.mark.parametrize("duration", ["0.5", "11", '"3"', "true", "null", "1e999", "NaN"])
def test_target_capture_rejects_bad_durations(client: FlaskClient, duration: str) -> None:
    response = client.post(
        "/api/target/capture",
        data=f'{{"duration_s": {duration}}}',
        content_type="application/json",
    )
    answer = error_of(response, 400)
    assert answer["field"] == "duration_s"
    assert "from 1 to 10" in answer["message"]


# -- the event stream -----------------------------------------------------------------


class Stream:
    """Reads an SSE response chunk by chunk."""

    def __init__(self, client: FlaskClient) -> None:
        self.response = client.get("/api/stream", buffered=False)
        self.chunks = iter(self.response.response)

    def next_events(self) -> list[tuple[str, Any]]:
        return parse_events(next(self.chunks).decode("utf-8"))

    def until(self, kind: str, limit: int = 200) -> tuple[list[str], Any]:
        seen = []
        for _ in range(limit):
            for got, data in self.next_events():
                seen.append(got)
                if got == kind:
                    return seen, data
        raise AssertionError(f"no {kind} event among {seen}")

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def stream(client: FlaskClient) -> Iterator[Stream]:
    s = Stream(client)
    yield s
    s.close()


def test_stream_headers(stream: Stream) -> None:
    assert stream.response.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    # no-cache for proxies and the browser; the access layer adds no-store (personal data).
    assert {"no-cache", "no-store"} <= {
        v.strip() for v in stream.response.headers["Cache-Control"].split(",")
    }
    assert stream.response.headers["X-Accel-Buffering"] == "no"


def test_stream_opens_with_a_comment_then_the_status(stream: Stream, monitor: Monitor) -> None:
    first = stream.next_events()
    assert first[0] == ("comment", "insole live stream")
    assert monitor.subscriber_count == 1
    kind, status = stream.next_events()[0]
    assert kind == "status"
    assert status["source"]["simulated"] is True


def test_stream_carries_frames_pushed_through_the_monitor(stream: Stream, monitor: Monitor) -> None:
    stream.until("status")
    feed(monitor, [(0.5, BIG_TOE_UP)])
    _, frame = stream.until("frame")
    assert frame["balanced"] is False
    assert frame["off_point"] == "big_toe"
    assert frame["cue_key"] == "press_big_toe"
    assert frame["t_s"] == pytest.approx(0.49)  # the newest frame, not the first one


def test_stream_replays_the_latest_frame_on_connect(client: FlaskClient, monitor: Monitor) -> None:
    feed(monitor, [(0.3, HOLD)])
    late = Stream(client)
    try:
        _, frame = late.until("frame", limit=3)
    finally:
        late.close()
    assert frame["t_s"] == pytest.approx(0.29)


def test_stream_carries_hold_and_set_events(
    stream: Stream, client: FlaskClient, monitor: Monitor
) -> None:
    stream.until("status")
    client.post("/api/set/start")
    stream.until("set_started")
    feed(monitor, [(1.0, REST), (5.0, HOLD), (1.0, REST)])
    seen, ended = stream.until("hold_ended")
    assert "hold_started" in seen
    assert ended["outcome"] == "short"
    assert ended["duration_s"] == pytest.approx(5.0, abs=0.5)
    assert ended["attempted"] == 1


def test_device_errors_do_not_look_like_a_broken_connection(
    stream: Stream, monitor: Monitor
) -> None:
    stream.until("status")
    monitor.on_error(RuntimeError("bus stuck"))
    _, data = stream.until("device_error")
    assert data == {"message": "bus stuck"}


def test_idle_stream_sends_keepalives(stream: Stream) -> None:
    stream.until("status")
    assert stream.next_events() == [("comment", "")]


def test_closing_the_stream_frees_the_subscription(client: FlaskClient, monitor: Monitor) -> None:
    s = Stream(client)
    s.next_events()
    assert monitor.subscriber_count == 1
    s.close()
    assert monitor.subscriber_count == 0


def test_head_request_takes_no_subscription(client: FlaskClient, monitor: Monitor) -> None:
    response = client.head("/api/stream")
    assert response.status_code == 200
    assert monitor.subscriber_count == 0


def test_stream_frames_are_throttled_per_client(
    client: FlaskClient, app: Flask, monitor: Monitor
) -> None:
    app.config["LIVE_MAX_RATE_HZ"] = 1000.0
    s = Stream(client)
    try:
        s.until("status")
        feed(monitor, [(1.0, HOLD)])  # 100 frames published before the client reads
        _, frame = s.until("frame")
    finally:
        s.close()
    # Only the newest frame is waiting: the stale ones were dropped, none queued.
    assert frame["t_s"] == pytest.approx(0.99)
    assert re.fullmatch(r"[\d.]+", str(frame["t_s"]))


# -- banners on every page ------------------------------------------------------------


def banner_divs(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<div class="banner banner-\w+" data-banner="([\w.]+)">([^<]*)</div>', html)
    )


def test_every_page_shows_the_device_banners_faults_first(
    client: FlaskClient, monitor: Monitor
) -> None:
    monitor.on_health({"big_toe": {"state": "stuck_zero", "message": "reads 0 V"}})
    for url in ("/", "/review/", "/settings/"):
        html = client.get(url).text
        shown = banner_divs(html)
        assert shown == {
            "sensor_fault.big_toe": "Sensor fault: big-toe ball not responding",
            "simulated": "Simulated insole — these are not real measurements",
        }, url
        assert html.index("sensor_fault.big_toe") < html.index('data-banner="simulated"')


def test_banners_are_translated_and_state_specific(client: FlaskClient, monitor: Monitor) -> None:
    monitor.on_health({"heel": {"state": "saturated", "message": "full scale"}})
    html = client.get("/", headers={"Accept-Language": "de"}).text
    assert banner_divs(html)["sensor_fault.heel"] == (
        "Sensorfehler: Außenferse zeigt Vollausschlag (Kurzschluss?)"
    )


def test_pages_without_a_device_have_no_banners(tmp_path: Path) -> None:
    with SessionLog(tmp_path / "log.sqlite3") as log:
        html = (
            create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, log=log)
            .test_client()
            .get("/review/")
            .text
        )
    assert '<div id="banners" class="banners" role="alert" aria-live="assertive"></div>' in html


def test_tare_with_the_foot_on_the_insole_is_a_conflict_not_a_bad_request(
    client: FlaskClient, monitor: Monitor
) -> None:
    """The request is fine; the device's state (a loaded insole) refuses it: 409."""
    feed(monitor, [(1.0, HOLD)])
    body = error_of(client.post("/api/tare"), 409)
    assert "lift the foot" in body["message"]
