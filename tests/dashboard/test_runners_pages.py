"""Runner pages and API over a real monitor and a real SQLite session log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, pair_test_client
from firmware.monitor import Monitor
from insole.frames import VoltsFrame
from insole.runners import Runner, Runners
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold
from tests.dashboard.test_settings_calibration_wizard import Bench, run_wizard
from tests.scripted import REST, scripted, to_volts

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)


def add(log: SessionLog, name: str, foot: str = "right", **targets: Any) -> int:
    runner = Runners(log).add(Runner(name, foot, targets), MONDAY)
    assert runner.id is not None
    return runner.id


def session(
    log: SessionLog,
    runner_id: int | None,
    started_at: datetime,
    scores: list[float],
    exercise: str = "arch_hold",
) -> int:
    """A finished session: holds for hold modes, reps for rep modes (score < 50: wrong)."""
    sid = log.start_session(
        started_at=started_at,
        exercise=exercise,
        foot="right",
        source="emulated",
        settings={},
        runner_id=runner_id,
    )
    for i, score in enumerate(scores):
        if exercise in ("arch_hold", "band_hold"):
            log.add_hold(sid, make_hold(i * 12.0, 9.0 if score >= 50 else 4.0, score))
        else:
            log.add_rep(
                sid,
                {
                    "start_s": i * 4.0,
                    "end_s": i * 4.0 + 3.0,
                    "duration_s": 3.0,
                    "outcome": "correct" if score >= 50 else "faulty",
                    "score": score,
                },
            )
    log.end_session(sid, started_at + timedelta(minutes=5))
    return sid


def current_id(monitor: Monitor) -> int | None:
    runner = monitor.runner
    return None if runner is None else runner.id


def error_next_to(html: str, name: str) -> str:
    ident = "err-" + name.replace(".", "-")
    match = re.search(
        rf'<p class="field-error" id="{re.escape(ident)}" role="alert">([^<]*)</p>', html
    )
    assert match, f"no message next to {name}"
    return match.group(1)


def test_add_rename_and_list_runners(client: FlaskClient, log: SessionLog) -> None:
    assert "No runners yet" in client.get("/runners/").text
    added = client.post("/runners/", data={"name": "Ana", "foot": "left"})
    assert added.status_code == 303
    ana = Runners(log).all()[0]
    assert (ana.name, ana.foot) == ("Ana", "left")
    assert added.headers["Location"].endswith(f"/runners/{ana.id}?notice=added")
    taken = client.post("/runners/", data={"name": "Ana", "foot": "right"})
    assert taken.status_code == 400
    assert "exists already" in error_next_to(taken.text, "name")
    empty = client.post("/runners/", data={"name": "  ", "foot": "right"})
    assert empty.status_code == 400
    assert "1 to 60 characters" in error_next_to(empty.text, "name")
    renamed = client.post(f"/runners/{ana.id}", data={"name": "Ana Maria", "foot": "right"})
    assert renamed.status_code == 303
    assert Runners(log).get(ana.id or 0).name == "Ana Maria"
    page = client.get("/runners/").text
    assert "Ana Maria" in page
    assert "the device&#39;s calibration" in page or "the device's calibration" in page
    german = client.get("/runners/", headers={"Accept-Language": "de"}).text
    assert "Person hinzufügen" in german
    assert len(Runners(log).all()) == 1  # the refused forms saved nothing


def test_picker_switches_the_device_and_is_locked_during_a_set(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    ana = add(log, "Ana", "left")
    page = client.get("/settings/").text
    assert 'id="runner-pick"' in page
    assert f'<option value="{ana}">Ana</option>' in page
    switched = client.post("/runners/select", data={"runner_id": str(ana), "next": "/review/"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/review/"
    assert current_id(monitor) == ana
    assert f'<option value="{ana}" selected>Ana</option>' in client.get("/").text
    status = client.get("/api/status").get_json()
    assert status["runner"]["name"] == "Ana"
    note = client.get("/settings/").text
    assert "Ana is the current runner: the live counter takes the hold time" in note
    # An outside address in next is not followed.
    away = client.post("/runners/select", data={"runner_id": "", "next": "https://evil.example/"})
    assert away.headers["Location"] == "/"
    assert current_id(monitor) is None
    client.post("/runners/select", data={"runner_id": str(ana)})
    for f in to_volts(scripted([(0.3, REST)])):
        monitor.process(VoltsFrame(*f))
    monitor.start_set()
    picker = re.search(r'<select id="runner-pick"[^>]*>', client.get("/").text)
    assert picker is not None
    assert "disabled" in picker.group(0)
    refused = client.post("/runners/select", data={"runner_id": ""})
    assert refused.status_code == 409
    assert "stop the running set" in refused.text
    api = client.put("/api/runners/current", json={"runner_id": None})
    assert api.status_code == 409
    assert api.get_json()["error"] == "conflict"
    monitor.stop_set()
    assert client.put("/api/runners/current", json={"runner_id": None}).status_code == 200
    missing = client.post("/runners/select", data={"runner_id": "999"})
    assert missing.status_code == 404


def test_programme_editor_saves_differences_and_shows_errors_by_field(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    ana = add(log, "Ana")
    page = client.get(f"/runners/{ana}").text
    assert 'name="targets.arch_hold.hold_s"' in page
    assert 'name="targets.squat.hold_s"' not in page  # rep modes have no hold time
    form = dict(
        re.findall(
            r'name="(targets\.[^"]+)" type="text" inputmode="decimal" size="5" '
            r'value="([^"]*)"',
            page,
        )
    )
    assert form["targets.lunge.reps"] == "20"
    bad = {
        **form,
        "targets.lunge.reps": "0",
        "targets.arch_hold.hold_s": "abc",
        "targets.squat.sets": "2.5",
    }
    refused = client.post(f"/runners/{ana}/programme", data=bad)
    assert refused.status_code == 400
    assert "from 1 to 100" in error_next_to(refused.text, "targets.lunge.reps")
    assert "abc" in error_next_to(refused.text, "targets.arch_hold.hold_s")
    assert "whole number" in error_next_to(refused.text, "targets.squat.sets")
    assert Runners(log).get(ana).targets == {}
    good = {**form, "targets.lunge.reps": "25", "targets.arch_hold.hold_s": "9,5"}
    assert client.post(f"/runners/{ana}/programme", data=good).status_code == 303
    assert Runners(log).get(ana).targets == {"lunge": {"reps": 25}, "arch_hold": {"hold_s": 9.5}}
    monitor.select_runner(ana)
    step = monitor.programme().step_for("arch_hold")
    assert step is not None
    assert step.hold_s == 9.5
    shown = client.get(f"/runners/{ana}").text
    assert re.search(r'class=" changed">\s*<input name="targets.lunge.reps"[^>]*value="25"', shown)
    # An edit of the current runner reaches the device at once.
    again = {**good, "targets.arch_hold.hold_s": "10"}
    client.post(f"/runners/{ana}/programme", data=again)
    step = monitor.programme().step_for("arch_hold")
    assert step is not None
    assert step.hold_s == 10.0
    assert client.post(f"/runners/{ana}/programme/reset").status_code == 303
    assert Runners(log).get(ana).targets == {}
    assert monitor.programme().step_for("arch_hold").hold_s == 8.0  # type: ignore[union-attr]


def test_delete_asks_first_and_keeps_the_sessions(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    ana = add(log, "Ana")
    sid = session(log, ana, MONDAY, [80, 90])
    monitor.select_runner(ana)
    confirm = client.get(f"/runners/{ana}/delete")
    assert confirm.status_code == 200
    assert "1 recorded session(s) are kept in the review" in confirm.text
    assert "goes back to no runner" in confirm.text
    done = client.post(f"/runners/{ana}/delete")
    assert done.status_code == 303
    assert Runners(log).all() == []
    assert monitor.runner is None
    kept = log.get_session(sid)
    assert (kept.runner_id, kept.correct) == (None, 2)
    assert client.get(f"/runners/{ana}").status_code == 404


def test_delete_is_refused_during_the_runners_set(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    ana = add(log, "Ana")
    monitor.select_runner(ana)
    monitor.start_set()
    assert client.post(f"/runners/{ana}/delete").status_code == 409
    assert client.delete(f"/api/runners/{ana}").status_code == 409
    monitor.stop_set()
    assert client.delete(f"/api/runners/{ana}").status_code == 204


def test_session_list_filters_by_runner(client: FlaskClient, log: SessionLog) -> None:
    ana, ben = add(log, "Ana"), add(log, "Ben")
    a1 = session(log, ana, MONDAY, [80])
    b1 = session(log, ben, MONDAY + timedelta(hours=1), [70])
    nobody = session(log, None, MONDAY + timedelta(hours=2), [60])
    everything = client.get("/review/").text
    for sid in (a1, b1, nobody):
        assert f'href="/review/{sid}"' in everything
    only_ana = client.get(f"/review/?runner={ana}").text
    assert f'href="/review/{a1}"' in only_ana
    assert f'href="/review/{b1}"' not in only_ana
    assert f'href="/review/{nobody}"' not in only_ana
    assert f'href="/review/runners/{ana}/trend"' in only_ana
    assert f'href="/review/{b1}"' in client.get("/review/?runner=999").text  # stale: no filter
    api = client.get(f"/api/sessions?runner={ben}").get_json()["sessions"]
    assert [(s["id"], s["runner_id"]) for s in api] == [(b1, ben)]


def test_trend_per_runner_per_exercise_across_weeks(client: FlaskClient, log: SessionLog) -> None:
    ana, ben = add(log, "Ana"), add(log, "Ben")
    session(log, ana, MONDAY, [80, 90, 30])  # week 41: 2 of 3
    session(log, ana, MONDAY + timedelta(days=2), [70])  # week 41: 3 of 4 overall
    session(log, ana, MONDAY + timedelta(days=7), [95, 85])  # week 42
    session(log, ana, MONDAY + timedelta(days=8), [60, 20, 80], exercise="lunge")
    session(log, ben, MONDAY + timedelta(days=1), [40])
    data = client.get(f"/api/runners/{ana}/trend").get_json()
    by_mode = {e["exercise"]: e for e in data["exercises"]}
    assert list(by_mode) == ["arch_hold", "lunge"]
    weeks = by_mode["arch_hold"]["weeks"]
    assert [(w["week_start"], w["sessions"], w["correct"], w["attempted"]) for w in weeks] == [
        ("2026-10-05", 2, 3, 4),
        ("2026-10-12", 1, 2, 2),
    ]
    assert weeks[0]["mean_score"] == pytest.approx((80 + 90 + 30 + 70) / 4)
    assert by_mode["lunge"]["kind"] == "rep"
    assert (by_mode["lunge"]["weeks"][0]["correct"], by_mode["lunge"]["weeks"][0]["attempted"]) == (
        2,
        3,
    )
    ben_data = client.get(f"/api/runners/{ben}/trend").get_json()
    assert [w["correct"] for w in ben_data["exercises"][0]["weeks"]] == [0]
    page = client.get(f"/review/runners/{ana}/trend").text
    assert "Ana: progress over weeks" in page
    assert page.count('<svg class="plot trend"') == 2
    assert page.count('<rect class="bar"') == 3  # two arch-hold weeks, one lunge week
    assert "correct reps per week" in page
    assert "2 / 3" in page
    assert '<a href="/review/runners/' + str(ben) + '/trend">Ben</a>' in page
    german = client.get(f"/review/runners/{ana}/trend", headers={"Accept-Language": "de"}).text
    assert "Verlauf über Wochen" in german
    assert client.get("/review/runners/999/trend").status_code == 404


def test_runner_api_round_trip(client: FlaskClient, log: SessionLog, monitor: Monitor) -> None:
    created = client.post(
        "/api/runners", json={"name": "Cleo", "foot": "left", "targets": {"lunge": {"reps": 22}}}
    )
    assert created.status_code == 201
    cleo = created.get_json()
    assert cleo["programme"]["steps"][4]["reps"] == 22
    assert client.post("/api/runners", json={"name": "Cleo"}).status_code == 409
    bad = client.patch(f"/api/runners/{cleo['id']}", json={"targets": {"squat": {"hold_s": 3}}})
    assert bad.status_code == 400
    assert bad.get_json()["field"] == "targets.squat.hold_s"
    unknown = client.patch(f"/api/runners/{cleo['id']}", json={"age": 30})
    assert (unknown.status_code, unknown.get_json()["field"]) == (400, "age")
    renamed = client.patch(f"/api/runners/{cleo['id']}", json={"name": "Cleo B."})
    assert renamed.get_json()["name"] == "Cleo B."
    listed = client.get("/api/runners").get_json()
    assert listed == {"runners": [{**listed["runners"][0], "sessions": 0}], "current": None}
    chosen = client.put("/api/runners/current", json={"runner_id": cleo["id"]}).get_json()
    assert chosen["runner"]["name"] == "Cleo B."
    assert chosen["programme"]["steps"][4]["reps"] == 22
    assert client.get("/api/runners/current").get_json()["runner"]["current"] is True
    assert client.put("/api/runners/current", json={"runner_id": "x"}).status_code == 400
    assert client.get("/api/runners/999").status_code == 404
    # The double-submit token is required like everywhere else.
    naked = create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor).test_client()
    assert naked.post("/api/runners", json={"name": "Dan"}).status_code == 403
    assert naked.post("/runners/select", data={"runner_id": ""}).status_code == 403


def test_detail_and_report_name_the_runner_and_the_report_shows_their_weeks(
    client: FlaskClient, log: SessionLog
) -> None:
    ana = add(log, "Ana")
    session(log, ana, MONDAY, [80, 30])
    latest = session(log, ana, MONDAY + timedelta(days=7), [90, 85])
    session(log, ana, MONDAY + timedelta(days=8), [60], exercise="squat")
    detail = client.get(f"/review/{latest}").text
    assert '<dd class="runner-name">Ana</dd>' in detail
    report = client.get(f"/review/{latest}/report").text
    assert "Ana&#39;s progress in Arch hold, week by week" in report
    weeks = re.search(r'<section class="runner-weeks".*?</section>', report, re.S)
    assert weeks is not None
    assert re.findall(r'<td class="num">(\d+ / \d+)</td>', weeks.group(0)) == ["1 / 2", "2 / 2"]
    overall = client.get("/review/trend").text
    assert f'<a href="/review/runners/{ana}/trend">Ana</a>' in overall
    nobody = session(log, None, MONDAY, [50])
    assert "runner-name" not in client.get(f"/review/{nobody}").text


def test_the_calibration_wizard_saves_to_the_current_runner(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    ana, ben = add(log, "Ana"), add(log, "Ben")
    device = client.get("/settings/calibrate").text.replace("&#39;", "'")
    assert "No runner is chosen: this calibration is saved as the device's" in device
    client.post("/runners/select", data={"runner_id": str(ana)})
    page = client.get("/settings/calibrate").text.replace("&#39;", "'")
    assert "This calibration is saved as Ana's own" in page
    state = run_wizard(client, Bench(monitor), unloaded_v=0.05)
    saved = client.post("/settings/calibrate/save", data={"state": state, "label": "Ana"})
    assert saved.status_code == 303
    anas = Runners(log).get(ana).calibration_id
    assert anas is not None
    assert saved.headers["Location"].endswith(f"saved={anas}")
    ana_calibration = monitor.calibration
    client.post("/runners/select", data={"runner_id": str(ben)})
    assert monitor.calibration != ana_calibration
    assert Runners(log).get(ben).calibration_id is None
    client.post("/runners/select", data={"runner_id": str(ana)})
    assert monitor.calibration == ana_calibration
    assert client.get("/api/status").get_json()["calibration_id"] == anas
    listing = client.get("/runners/").text
    assert f"own calibration (no. {anas})" in listing


def test_an_unpaired_browser_sees_no_runner_names(
    tmp_path: Path, log: SessionLog, monitor: Monitor
) -> None:
    add(log, "Zoe Private")
    app = create_app({"TESTING": True, "INSOLE_DATA_DIR": str(tmp_path)}, monitor=monitor)
    stranger = app.test_client()
    html_page = {"Accept": "text/html"}
    pair_page = stranger.get("/pair", headers=html_page)
    assert pair_page.status_code == 200
    assert 'class="lang-switch"' in pair_page.text  # the header is there, without the picker
    assert "Zoe Private" not in pair_page.text
    assert 'id="runner-pick"' not in pair_page.text
    assert stranger.get("/api/runners").status_code == 401
    refused = stranger.get("/runners/", headers=html_page)
    assert refused.status_code == 401
    assert "Zoe Private" not in refused.text
    pair_test_client(stranger)
    assert "Zoe Private" in stranger.get("/", headers=html_page).text


@pytest.mark.parametrize("targets", [[None], "x", 3, [["arch_hold", 1]]])
def test_targets_that_are_not_an_object_get_a_message_not_a_500(
    client: FlaskClient, log: SessionLog, targets: object
) -> None:
    """``dict(targets)`` of a list raised TypeError before (found by the OpenAPI fuzzing)."""
    response = client.post("/api/runners", json={"name": "Ada", "targets": targets})
    assert response.status_code == 400
    assert response.json["field"] == "targets"
    assert "must be an object" in response.json["message"]
    assert log.list_runners() == []


def test_switching_runner_needs_runner_id_even_for_nobody(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    """An empty body switched the device to nobody before; null must be said."""
    runner_id = add(log, "Ada")
    assert client.put("/api/runners/current", json={"runner_id": runner_id}).status_code == 200
    response = client.put("/api/runners/current", json={})
    assert response.status_code == 400
    assert response.json["field"] == "runner_id"
    assert current_id(monitor) == runner_id
    assert client.put("/api/runners/current", json={"runner_id": None}).status_code == 200
    assert current_id(monitor) is None


@pytest.mark.parametrize("runner_id", [2**63, 10**30, 0, -4])
def test_a_runner_id_no_runner_can_have_is_refused_with_a_message(
    client: FlaskClient, runner_id: int
) -> None:
    """Beyond SQLite's 64-bit integers this was an OverflowError (a 500) before."""
    response = client.put("/api/runners/current", json={"runner_id": runner_id})
    assert response.status_code == 400
    assert "whole number from 1" in response.json["message"]
    page = client.post("/runners/select", data={"runner_id": str(runner_id)})
    assert page.status_code == 400


@pytest.mark.parametrize("runner", ["abc", "", "0", "-1", "9223372036854775808", "1" * 5000, "١"])
def test_a_runner_filter_that_is_no_id_is_refused_by_the_api_and_ignored_by_the_page(
    client: FlaskClient, log: SessionLog, runner: str
) -> None:
    """The API quietly listed everyone's sessions; 5000 digits were a ValueError (500)."""
    response = client.get("/api/sessions", query_string={"runner": runner})
    assert response.status_code == 400
    assert response.json["field"] == "runner"
    assert "whole number from 1" in response.json["message"]
    assert client.get("/review/", query_string={"runner": runner}).status_code == 200
