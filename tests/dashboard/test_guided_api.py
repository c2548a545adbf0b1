"""The guided session's page and API through the Flask test client, over a real Monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.programme import DEFAULT_PROGRAMME
from tests.dashboard.test_live_api import Stream, error_of, parse_page
from tests.scripted import HOLD, REST, scripted, to_volts

SIM = SourceInfo("emulated", True, "test insole")
WARM_UP = len(DEFAULT_PROGRAMME.warm_up)
POSTS = ("/api/guided/start", "/api/guided/advance", "/api/guided/set/start", "/api/guided/end")


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    return create_app(
        {"TESTING": True, **LOCAL_TEST_CONFIG, "LIVE_KEEPALIVE_S": 0.2}, monitor=monitor
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.json
    return body


def to_first_set(client: FlaskClient) -> dict[str, Any]:
    ok(client.post("/api/guided/start", json={}))
    for stage in range(WARM_UP):
        state = ok(client.post("/api/guided/advance", json={"stage": stage}))
    return state


def test_guided_page_has_its_parts_and_only_own_assets(client: FlaskClient) -> None:
    response = client.get("/guided")
    assert response.status_code == 200
    page = parse_page(response.get_data(as_text=True))
    for part in ("g-card", "g-primary", "g-outline", "g-countdown", "rep-view", "rep-phases",
                 "ml-mark", "band-line", "reps", "last-hold", "voice-toggle"):
        assert part in page.ids
    assert page.inline_scripts == 0
    assert "/static/guided.js" in page.assets
    assert "/static/live_common.js" in page.assets
    for url in page.assets:
        assert url.startswith("/static/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
    config = json.loads(str(page.main["data-config"]))
    assert config["modes"]["squat"]["phases"] == ["descent", "depth", "ascent"]
    assert config["default_items"]["roll_sole"] == DEFAULT_PROGRAMME.cool_down[1].text
    texts = json.loads(str(page.main["data-texts"]))
    assert texts["guided.tick"] == "Done"
    assert texts["phase.depth"] == "Depth"
    assert texts["exercise.sit_to_stand"] == "Sit-to-stand"


def test_guided_page_in_german_and_linked_from_every_page(client: FlaskClient) -> None:
    html = client.get("/guided", headers={"Accept-Language": "de"}).text
    texts = json.loads(str(parse_page(html).main["data-texts"]))
    assert texts["guided.say.rest"].startswith("Pause")
    assert texts["phase.rise"] == "Aufstehen"
    assert '<a href="/guided"' in client.get("/").text
    assert '<a href="/guided" aria-current="page">' in html


def test_live_page_has_the_rep_view(client: FlaskClient) -> None:
    page = parse_page(client.get("/").get_data(as_text=True))
    assert {"rep-view", "rep-now", "ml-bar", "band-line", "last-label"} <= page.ids
    config = json.loads(str(page.main["data-config"]))
    assert config["ml_shift_limit"] == 0.2
    assert config["modes"]["sit_to_stand"]["kind"] == "rep"


def test_state_before_a_session_shows_the_programme(client: FlaskClient) -> None:
    state = ok(client.get("/api/guided"))
    assert state["active"] is False
    assert state["stage"] is None
    assert state["programme"] == DEFAULT_PROGRAMME.to_dict()
    assert state["stages"][0] == {
        "kind": "warm_up", "step_index": None, "set_number": None, "item_key": "roll_front_thigh",
    }


def test_a_session_through_the_api(client: FlaskClient, monitor: Monitor) -> None:
    state = to_first_set(client)
    assert state["stage"]["kind"] == "set"
    assert ok(client.get("/api/guided"))["revision"] == state["revision"]
    started = ok(client.post("/api/guided/set/start", json={"stage": WARM_UP, "foot": "left"}))
    assert started["set"]["running"] is True
    status = monitor.status()["set"]
    assert (status["exercise"], status["foot"]) == ("arch_hold", "left")
    for frame in to_volts(scripted([(1, REST), (9, HOLD), (2, REST)])):
        monitor.process(VoltsFrame(*frame))
    stopped = ok(client.post("/api/set/stop", json={}))
    state = ok(client.get("/api/guided"))
    assert state["stage"]["kind"] == "rest"
    assert state["results"][-1]["correct"] == stopped["correct"] == 1
    assert state["rest"]["left_s"] == 60.0
    state = ok(client.post("/api/guided/advance", json={"stage": state["position"]}))
    assert state["stage"]["step"]["mode"] == "sit_to_stand"
    ended = ok(client.post("/api/guided/end", json={}))
    assert ended["active"] is False


def test_a_stale_tablet_gets_409_and_changes_nothing(client: FlaskClient) -> None:
    ok(client.post("/api/guided/start", json={}))
    ok(client.post("/api/guided/advance", json={"stage": 0}))
    answer = error_of(client.post("/api/guided/advance", json={"stage": 0}), 409)
    assert "moved on to stage 1" in answer["message"]
    assert ok(client.get("/api/guided"))["position"] == 1
    answer = error_of(client.post("/api/guided/set/start", json={"stage": 1}), 409)
    assert "not a set" in answer["message"]
    assert "already running" in error_of(client.post("/api/guided/start", json={}), 409)["message"]


def test_actions_without_a_session_conflict(client: FlaskClient) -> None:
    assert "no guided session" in error_of(client.post("/api/guided/end", json={}), 409)["message"]
    answer = error_of(client.post("/api/guided/advance", json={"stage": 0}), 409)
    assert "start one first" in answer["message"]


@pytest.mark.parametrize(
    ("url", "body", "field", "message"),
    [
        ("/api/guided/advance", {}, "stage", "stage must be the whole number"),
        ("/api/guided/advance", {"stage": "1"}, "stage", "got '1'"),
        ("/api/guided/advance", {"stage": True}, "stage", "got True"),
        ("/api/guided/advance", {"stage": -1}, "stage", "got -1"),
        ("/api/guided/advance", {"stage": 0, "skip": 1}, "skip", "allowed: stage"),
        ("/api/guided/set/start", {"stage": 3, "foot": "middle"}, "foot", "left, right"),
        ("/api/guided/start", {"programme": {}}, "programme", "allowed: none"),
        ("/api/guided/end", {"now": True}, "now", "allowed: none"),
    ],
)
def test_bad_bodies_are_refused_with_the_field(
    client: FlaskClient, url: str, body: dict[str, Any], field: str, message: str
) -> None:
    if url != "/api/guided/start":
        ok(client.post("/api/guided/start", json={}))
    answer = error_of(client.post(url, json=body), 400)
    assert answer["field"] == field
    assert message in answer["message"]


@pytest.mark.parametrize("url", POSTS)
def test_every_guided_action_needs_the_csrf_token(app: Flask, url: str) -> None:
    client = local_test_client(app)
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    response = client.post(url, json={"stage": 0})
    assert response.status_code == 403
    refusal = response.json
    assert refusal is not None
    assert "no CSRF token was sent" in refusal["error"]
    assert ok(client.get("/api/guided"))["active"] is False


def test_changes_reach_the_stream_as_guided_events(client: FlaskClient) -> None:
    stream = Stream(client)
    try:
        stream.until("status")
        other = local_test_client(client.application)  # a second tablet acts
        ok(other.post("/api/guided/start", json={}))
        _seen, data = stream.until("guided")
        assert data["active"] is True
        assert data["position"] == 0
        ok(other.post("/api/guided/advance", json={"stage": 0}))
        _seen, data = stream.until("guided")
        assert data["position"] == 1
    finally:
        stream.close()
