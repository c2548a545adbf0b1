"""Review pages and the review API over a real session log on disk."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames

# Midday UTC: the same calendar day in any time zone the test machine may be in.
MONDAY = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def session_id(log: SessionLog) -> int:
    """A 60 s session with two correct holds and a short one."""
    holds = [make_hold(5.0, 9.0, 82.0), make_hold(20.0, 5.0, 40.0), make_hold(35.0, 8.5, 77.0)]
    return record_session(log, started_at=MONDAY, frames=synthetic_frames(60.0), holds=holds)


def local(moment: datetime, fmt: str) -> str:
    return moment.astimezone().strftime(fmt)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def assert_no_inline_code(html: str) -> None:
    """A strict CSP forbids inline scripts and styles: the pages must not need them."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert "style=" not in html
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"


def test_empty_log_says_there_are_no_sessions(client: FlaskClient) -> None:
    response = client.get("/review/")
    assert response.status_code == 200
    assert "No sessions recorded yet" in response.text


def test_sessions_list_shows_counts_score_and_interrupted_status(
    client: FlaskClient, log: SessionLog, session_id: int
) -> None:
    record_session(
        log,
        started_at=datetime(2026, 11, 9, 11, 5, tzinfo=UTC),
        frames=synthetic_frames(20.0),
        holds=[make_hold(2.0, 9.0, 70.0)],
        status="interrupted",
        foot="left",
    )
    page = client.get("/review/").text
    assert local(MONDAY, "%Y-%m-%d %H:%M") in page  # the device's clock, not UTC
    assert local(datetime(2026, 11, 9, 11, 5, tzinfo=UTC), "%Y-%m-%d %H:%M") in page
    assert "2 / 3" in page  # correct / attempted of the first session
    assert "66" in page  # mean score (82 + 40 + 77) / 3
    assert "interrupted" in page
    assert f'href="/review/{session_id}"' in page
    german = client.get("/review/", headers={"Accept-Language": "de"}).text
    assert local(MONDAY, "%d.%m.%Y %H:%M") in german
    assert "unterbrochen" in german
    assert "<td>Links</td>" in german


def test_session_detail_plots_the_shares_with_every_hold_shaded(
    client: FlaskClient, session_id: int
) -> None:
    response = client.get(f"/review/{session_id}")
    assert response.status_code == 200
    page = response.text
    plots = svgs(page)
    timeline = next(s for s in plots if "timeline" in s.get("class", ""))
    spans = [g for g in timeline.iter(f"{SVG}g") if "span" in g.get("class", "").split()]
    assert [g.get("class") for g in spans] == [
        "span outcome-correct",
        "span outcome-short",
        "span outcome-correct",
    ]
    lines = [p for p in timeline.iter(f"{SVG}path") if p.get("class", "").startswith("line")]
    assert len(lines) == 3
    cops = [s for s in plots if "cop" in s.get("class", "").split()]
    assert len(cops) == 3
    clip_ids = [c.find(f"{SVG}clipPath").get("id") for c in cops]
    assert len(set(clip_ids)) == 3  # ids are unique in the page
    assert all(any(p.get("class") == "cop-path" for p in c.iter(f"{SVG}path")) for c in cops)
    # holds table: durations, outcomes, scores and the quality figures
    assert "9.0 s" in page
    assert "simulated insole" in page  # the source, in words
    assert "5.0 s" in page
    assert page.count('class="outcome-short"') == 1
    assert "12.2 mm/s" in page or "12.3 mm/s" in page
    assert_no_inline_code(page)


def test_a_session_without_frames_still_has_a_page(client: FlaskClient, log: SessionLog) -> None:
    empty = record_session(log, started_at=MONDAY, frames=np.empty((0, 4)), holds=[])
    page = client.get(f"/review/{empty}").text
    assert "no frames recorded" in page
    assert "No holds in this session." in page


def test_session_detail_in_german(client: FlaskClient, session_id: int) -> None:
    page = client.get(f"/review/{session_id}", headers={"Accept-Language": "de-DE"}).text
    assert "Einheit" in page
    assert "zu kurz" in page
    assert ">Großzeh</text>" in page  # the plot legend


@pytest.mark.parametrize(
    "url",
    [
        "/review/999",
        "/review/999/report",
        "/review/999/delete",
        "/review/999/frames.csv",
        "/review/999/holds.csv",
        "/review/999/session.json",
    ],
)
def test_unknown_session_pages_answer_404_with_a_clear_message(
    client: FlaskClient, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Session 999 does not exist" in response.text


def test_unknown_session_message_in_german(client: FlaskClient) -> None:
    response = client.get("/review/77", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert "Einheit 77 gibt es nicht" in response.text


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/sessions/999"),
        ("get", "/api/sessions/999/frames"),
        ("delete", "/api/sessions/999"),
    ],
)
def test_unknown_session_api_answers_404_json(client: FlaskClient, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert response.json == {
        "error": "not_found",
        "message": "Session 999 does not exist (it may have been deleted).",
    }


def test_api_lists_sessions_with_the_documented_fields(
    client: FlaskClient, session_id: int
) -> None:
    body = client.get("/api/sessions").json
    assert body is not None
    (summary,) = body["sessions"]
    assert summary["id"] == session_id
    assert summary["started_at"].startswith("2026-11-02T12:30")  # the API speaks UTC
    assert (summary["correct"], summary["attempted"]) == (2, 3)
    assert summary["status"] == "completed"
    assert summary["mean_score"] == pytest.approx((82 + 40 + 77) / 3)


def test_api_session_has_holds_but_no_frames(client: FlaskClient, session_id: int) -> None:
    body = client.get(f"/api/sessions/{session_id}").json
    assert body is not None
    assert "frames" not in body
    assert [h["outcome"] for h in body["holds"]] == ["correct", "short", "correct"]
    assert body["holds"][1]["duration_s"] == 5.0


def test_trend_groups_sessions_by_week(client: FlaskClient, log: SessionLog) -> None:
    days = [0, 2, 8, 21]
    for n, day in enumerate(days):
        record_session(
            log,
            started_at=MONDAY.replace(day=MONDAY.day + day),
            frames=synthetic_frames(10.0, seed=n),
            holds=[make_hold(1.0, 9.0, 60.0 + 10 * n)] * (n + 1),
        )
    page = client.get("/review/trend").text
    (plot,) = svgs(page)
    bars = [r for r in plot.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 4
    weeks = client.get("/api/sessions/weekly").json
    assert weeks is not None
    assert [(w["week_start"], w["sessions"], w["correct"]) for w in weeks["weeks"]] == [
        ("2026-11-02", 2, 3),
        ("2026-11-09", 1, 3),
        ("2026-11-23", 1, 4),
    ]
    # first week: sessions of 1 and 2 holds scoring 60 and 70, weighted by holds
    assert weeks["weeks"][0]["mean_score"] == pytest.approx((60 + 2 * 70) / 3)
    assert "week of 2026-11-09" in page
    german = client.get("/review/trend", headers={"Accept-Language": "de"}).text
    assert "Woche ab 09.11.2026" in german


def test_trend_without_sessions(client: FlaskClient) -> None:
    response = client.get("/review/trend")
    assert response.status_code == 200
    assert "No sessions recorded yet" in response.text


def test_report_is_print_friendly(client: FlaskClient, session_id: int) -> None:
    page = client.get(f"/review/{session_id}/report").text
    assert "Session report" in page
    assert 'id="print-report"' in page
    assert "review.js" in page
    assert "review.css" in page
    assert len(svgs(page)) == 1 + 3  # the timeline and one path per hold
    assert_no_inline_code(page)


def test_delete_asks_first_and_a_get_never_deletes(
    client: FlaskClient, log: SessionLog, session_id: int
) -> None:
    confirm = client.get(f"/review/{session_id}/delete")
    assert confirm.status_code == 200
    assert re.search(r'<form method="post" action="/review/\d+/delete"', confirm.text)
    assert log.get_session(session_id).id == session_id  # still there
    done = client.post(f"/review/{session_id}/delete")
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/review/?deleted={session_id}")
    assert f"Session {session_id} was deleted" in client.get(done.headers["Location"]).text
    assert client.get(f"/review/{session_id}").status_code == 404
    assert log.list_sessions() == []


def test_api_delete(client: FlaskClient, log: SessionLog, session_id: int) -> None:
    assert client.delete(f"/api/sessions/{session_id}").status_code == 204
    assert client.get(f"/api/sessions/{session_id}").status_code == 404
    assert log.list_sessions() == []


def test_a_session_still_recording_cannot_be_deleted(client: FlaskClient, log: SessionLog) -> None:
    open_id = record_session(
        log, started_at=MONDAY, frames=synthetic_frames(5.0), holds=[], status=None
    )
    response = client.delete(f"/api/sessions/{open_id}")
    assert response.status_code == 409
    assert response.json["error"] == "conflict"
    assert "still recording" in response.json["message"]
    refused = client.post(f"/review/{open_id}/delete")
    assert refused.status_code == 409
    assert "stop the set before deleting it" in refused.text
    assert [s.id for s in log.list_sessions()] == [open_id]
    assert "recording" in client.get("/review/").text


def test_pages_without_a_session_log_answer_503(tmp_path: Path) -> None:
    client = local_test_client(create_app({"TESTING": True, **LOCAL_TEST_CONFIG}))
    assert client.get("/review/").status_code == 503
    response = client.get("/api/sessions")
    assert response.status_code == 503
    assert response.json["error"] == "unavailable"
    assert "no session log" in response.json["message"]


@pytest.mark.parametrize(
    "url",
    ["/review/99999999999999999999", "/review/9223372036854775808/report",
     "/review/-1/session.json", "/review/abc"],
)
def test_session_numbers_no_session_can_have_answer_404_with_what_is_allowed(
    client: FlaskClient, url: str
) -> None:
    """Beyond SQLite's 64-bit integers the log raised OverflowError (a 500) before."""
    response = client.get(url)
    assert response.status_code == 404
    assert "whole numbers from 1" in response.text
    assert "The requested URL was not found" not in response.text


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/sessions/99999999999999999999"),
        ("delete", "/api/sessions/9223372036854775808"),
        ("get", "/api/sessions/-3/frames"),
    ],
)
def test_session_numbers_no_session_can_have_answer_404_json(
    client: FlaskClient, method: str, url: str
) -> None:
    """A DELETE with a number beyond 64 bits answered 405 (werkzeug's stock text) before."""
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert "whole numbers from 1" in response.json["message"]


def test_a_method_the_address_lacks_names_the_allowed_ones(client: FlaskClient) -> None:
    response = client.put("/api/sessions/weekly")
    assert response.status_code == 405
    assert response.json["message"] == "PUT is not allowed at /api/sessions/weekly; allowed: GET"


def test_the_deleted_notice_shows_only_a_session_number(client: FlaskClient) -> None:
    """A forged link must not put its own words in the notice."""
    assert "Session 12 was deleted." in client.get("/review/?deleted=12").text
    forged = client.get("/review/?deleted=call+0800+now")
    assert forged.status_code == 200
    assert "call 0800 now" not in forged.text  # (the language form keeps the URL, encoded)
