"""Security headers on every response, and templates that a strict CSP can serve."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from flask import Flask, Response
from werkzeug.test import TestResponse

from dashboard.access.headers import CONTENT_SECURITY_POLICY, add_security_headers
from dashboard.access.testing import pair_test_client
from tests.dashboard.access_support import HTML, JSON, SSE, build_app, sample_url

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(tmp_path)


def check_headers(response: TestResponse, where: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (where, name, response.headers.get(name))
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, (where, permissions)


def assert_not_stored(response: TestResponse, where: str) -> None:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, (where, directives)
    assert not directives & {"public", "immutable"}, (where, directives)
    assert not any(d.startswith(("max-age", "s-maxage")) for d in directives), where


def test_a_views_own_cache_directives_give_way_to_no_store(app: Flask) -> None:
    """A view may add no-cache (the stream does); anything that lets a cache keep it goes."""
    for given, expected in [
        (None, "no-store"),
        ("no-cache", "no-cache, no-store"),
        ("public, max-age=3600, immutable", "no-store"),
    ]:
        with app.test_request_context("/api/stream"):
            response = Response("x")
            if given is not None:
                response.headers["Cache-Control"] = given
            add_security_headers(response)
        assert response.headers["Cache-Control"] == expected, given


def test_policy_is_the_documented_one() -> None:
    assert EXPECTED["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_headers_on_every_route_paired_and_not(app: Flask) -> None:
    paired = app.test_client()
    pair_test_client(paired)
    stranger = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        url = sample_url(rule) if rule.endpoint != "static" else "/static/app.css"
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            for who, client in (("paired", paired), ("stranger", stranger)):
                for accept in (HTML, JSON, SSE):
                    with client.open(url, method=method, headers=accept) as response:
                        where = f"{who} {method} {url} {accept['Accept']} -> {response.status}"
                        check_headers(response, where)
                        if rule.endpoint != "static":
                            assert_not_stored(response, where)
                    seen += 1
    assert seen >= 30


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/no/such/page", 401),  # strangers learn nothing, not even what exists
        ("GET", "/healthz", 200),
        ("GET", "/pair", 200),
        ("DELETE", "/pair", 401),  # no such method: unmatched, so not public
        ("POST", "/pair", 403),
        ("GET", "/static/no-such-file.css", 404),
    ],
)
def test_headers_on_refusals_and_errors(app: Flask, method: str, url: str, status: int) -> None:
    with app.test_client().open(url, method=method, headers=JSON) as response:
        assert response.status_code == status
        check_headers(response, url)


@pytest.mark.parametrize(("method", "status"), [("GET", 404), ("DELETE", 405)])
def test_headers_on_paired_errors(app: Flask, method: str, status: int) -> None:
    client = app.test_client()
    pair_test_client(client)
    url = "/no/such/page" if status == 404 else "/access"
    response = client.open(url, method=method, headers=HTML)
    assert response.status_code == status
    check_headers(response, f"paired {status}")
    assert_not_stored(response, f"paired {status}")


def test_headers_on_a_rate_limited_answer(tmp_path: Path) -> None:
    app = build_app(tmp_path, INSOLE_PAIR_FAILURES_PER_CLIENT=1)
    client = app.test_client()
    client.get("/healthz")
    token = client.get_cookie("csrf_token")
    assert token is not None
    form = {"code": "xx", "csrf_token": token.value}
    headers = {**JSON, "Origin": "http://localhost"}
    assert client.post("/pair", data=form, headers=headers).status_code == 403
    response = client.post("/pair", data=form, headers=headers)
    assert response.status_code == 429
    check_headers(response, "429")


# ---------------------------------------------------------------- templates vs. the CSP
INLINE_PATTERNS = {
    "inline <script> (no src)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    'style="" attribute': re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "inline event handler (onclick=...)": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def template_files() -> list[Path]:
    folder = Path(str(resources.files("dashboard") / "templates"))
    return sorted(folder.rglob("*.html"))


@pytest.mark.parametrize("template", template_files(), ids=lambda p: p.name)
def test_templates_need_nothing_the_policy_blocks(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    found = [name for name, pattern in INLINE_PATTERNS.items() if pattern.search(text)]
    assert not found, f"{template.name}: {found} is blocked by the content security policy"


def test_headers_and_closed_door_on_a_server_error(tmp_path: Path) -> None:
    """A broken access database fails closed (500, no page) and still sends the headers."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    app = build_app(blocker / "data", PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    client.set_cookie("insole_token", "A" * 43)
    response = client.get("/access", headers=HTML)
    assert response.status_code == 500
    check_headers(response, "500")
    assert "Paired devices" not in response.get_data(as_text=True)
