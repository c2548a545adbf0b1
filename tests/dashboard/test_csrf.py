"""CSRF: every state-changing request needs our own Origin (or Referer) and the token."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access import get_state
from dashboard.access import init_app as init_access
from dashboard.access.testing import (
    LOCAL_TEST_CONFIG,
    csrf_cookie,
    local_test_client,
    pair_test_client,
)
from tests.dashboard.access_support import HTML, JSON, ORIGIN, build_app, csrf_from_page, sample_url

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(tmp_path)


@pytest.fixture
def paired(app: Flask) -> FlaskClient:
    """A paired client that sends no Origin or CSRF header unless a test adds them."""
    client = app.test_client()
    pair_test_client(client)
    client.environ_base.pop("HTTP_ORIGIN")
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    return client


@pytest.fixture
def victim(app: Flask) -> int:
    """A second paired device whose revocation is the state change under attack."""
    return get_state(app).store.issue_token("victim tablet", "code").device.id


def still_paired(app: Flask, device_id: int) -> bool:
    return any(d.id == device_id for d in get_state(app).store.devices())


@pytest.mark.parametrize(
    ("headers", "data", "reason"),
    [
        ({}, {}, "names no Origin or Referer"),
        ({"Origin": "http://evil.example"}, {"csrf_token": "GOOD"}, "Origin header does not"),
        ({"Origin": "null"}, {"csrf_token": "GOOD"}, "Origin header does not"),
        ({"Origin": "http://localhost:8080"}, {"csrf_token": "GOOD"}, "Origin header does not"),
        ({"Origin": "https://localhost"}, {"csrf_token": "GOOD"}, "Origin header does not"),
        ({"Referer": "http://evil.example/x"}, {"csrf_token": "GOOD"}, "Referer header does"),
        ({"Origin": ORIGIN}, {}, "no CSRF token was sent"),
        ({"Origin": ORIGIN}, {"csrf_token": "A" * 43}, "does not match"),
        ({"Origin": ORIGIN, "X-CSRF-Token": "wrong"}, {"csrf_token": "GOOD"}, "does not match"),
    ],
    ids=[
        "nothing",
        "foreign-origin",
        "null-origin",
        "other-port",
        "other-scheme",
        "foreign-referer",
        "no-token",
        "wrong-token",
        "wrong-header-wins",
    ],
)
def test_forgeries_are_refused_with_403(
    app: Flask,
    paired: FlaskClient,
    victim: int,
    headers: dict[str, str],
    data: dict[str, str],
    reason: str,
) -> None:
    good = csrf_cookie(paired)
    form = {k: (good if v == "GOOD" else v) for k, v in data.items()}
    response = paired.post(f"/access/{victim}/revoke", data=form, headers={**JSON, **headers})
    assert response.status_code == 403
    assert reason in response.get_json()["error"]
    assert still_paired(app, victim)


def test_forgery_page_explains_in_html(app: Flask, paired: FlaskClient, victim: int) -> None:
    response = paired.post(f"/access/{victim}/revoke", headers={**HTML, "Origin": ORIGIN})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Refused as a possible cross-site forgery" in page
    assert "no CSRF token was sent" in page


def test_missing_cookie_is_refused(app: Flask, paired: FlaskClient, victim: int) -> None:
    good = csrf_cookie(paired)
    paired.delete_cookie("csrf_token")
    response = paired.post(
        f"/access/{victim}/revoke", headers={**JSON, "Origin": ORIGIN, "X-CSRF-Token": good}
    )
    assert response.status_code == 403
    assert "cookie is missing" in response.get_json()["error"]


def test_form_field_from_the_page_passes(app: Flask, paired: FlaskClient, victim: int) -> None:
    page = paired.get("/access", headers=HTML).get_data(as_text=True)
    response = paired.post(
        f"/access/{victim}/revoke",
        data={"csrf_token": csrf_from_page(page)},
        headers={**HTML, "Origin": ORIGIN},
    )
    assert response.status_code == 303
    assert not still_paired(app, victim)


def test_header_with_json_body_passes(app: Flask, paired: FlaskClient, victim: int) -> None:
    response = paired.post(
        f"/access/{victim}/revoke",
        json={},
        headers={"Origin": ORIGIN, "X-CSRF-Token": csrf_cookie(paired)},
    )
    assert response.status_code == 200
    assert not still_paired(app, victim)


def test_same_origin_referer_stands_in_for_a_missing_origin(
    app: Flask, paired: FlaskClient, victim: int
) -> None:
    response = paired.post(
        f"/access/{victim}/revoke",
        data={"csrf_token": csrf_cookie(paired)},
        headers={**JSON, "Referer": f"{ORIGIN}/access"},
    )
    assert response.status_code == 200


def test_multipart_form_field_passes(app: Flask, paired: FlaskClient, victim: int) -> None:
    response = paired.post(
        f"/access/{victim}/revoke",
        data={"csrf_token": csrf_cookie(paired)},
        content_type="multipart/form-data",
        headers={**JSON, "Origin": ORIGIN},
    )
    assert response.status_code == 200


def test_pairing_itself_needs_the_token(app: Flask) -> None:
    """Login CSRF: another site must not pair the user's browser with a code of its own."""
    client = app.test_client()
    code = get_state(app).store.new_code().code
    response = client.post("/pair", data={"code": code}, headers={**JSON, "Origin": ORIGIN})
    assert response.status_code == 403
    response = client.post(
        "/pair",
        data={"code": code, "csrf_token": csrf_cookie(client)},
        headers={**JSON, "Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert client.get_cookie("insole_token") is None


def test_every_state_changing_route_checks(app: Flask, paired: FlaskClient) -> None:
    """Each POST/PUT/PATCH/DELETE route of the whole app refuses a request without a token."""
    checked = []
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) & set(STATE_CHANGING)):
            url = sample_url(rule)
            response = paired.open(url, method=method, headers={**JSON, "Origin": ORIGIN})
            assert response.status_code == 403, (method, url, response.status_code)
            checked.append((method, url))
    assert ("POST", "/pair") in checked
    assert ("POST", "/access/1/revoke") in checked


def test_csrf_token_global_matches_the_cookie(app: Flask, paired: FlaskClient) -> None:
    cookie = csrf_cookie(paired)
    page = paired.get("/access", headers=HTML).get_data(as_text=True)
    assert csrf_from_page(page) == cookie
    with app.test_request_context("/"):
        fresh = render_template_string("{{ csrf_token() }}")
        again = render_template_string("{{ csrf_token() }}")
    assert fresh == again
    assert len(fresh) == 43


def test_first_visit_gets_a_readable_cookie_matching_its_form(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/pair", headers=HTML)
    set_cookie = next(
        v for v in response.headers.getlist("Set-Cookie") if v.startswith("csrf_token=")
    )
    assert "HttpOnly" not in set_cookie  # scripts read it to send X-CSRF-Token
    assert "SameSite=Strict" in set_cookie
    assert csrf_from_page(response.get_data(as_text=True)) == csrf_cookie(client)
    # Once set, the cookie is not reissued (an open page's forms keep working).
    again = client.get("/pair", headers=HTML)
    assert not any(v.startswith("csrf_token=") for v in again.headers.getlist("Set-Cookie"))


def test_safe_methods_need_no_token(paired: FlaskClient) -> None:
    assert paired.get("/access", headers=JSON).status_code == 200
    assert paired.head("/access", headers=JSON).status_code == 200


def test_csrf_field_global_is_a_hidden_input(app: Flask) -> None:
    with app.test_request_context("/"):
        field = render_template_string("{{ csrf_field() }}")
        token = render_template_string("{{ csrf_token() }}")
    assert field == f'<input type="hidden" name="csrf_token" value="{token}">'


def test_local_test_client_passes_both_checks(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSOLE_DATA_DIR": str(tmp_path), **LOCAL_TEST_CONFIG})
    init_access(app)  # until the app factory calls it (a second call changes nothing)
    client = local_test_client(app)
    assert client.get("/access", headers=JSON).status_code == 200
    # Revoking an unknown device reaches the view (404), so both checks passed.
    assert client.post("/access/9/revoke", headers=JSON).status_code == 404
    assert app.test_client().post("/access/9/revoke", headers=JSON).status_code == 403
