"""No path taken from a request reaches the filesystem unchecked.

Every route of the real app is probed with traversal attempts in its path arguments and in
filename-like query parameters, as a stranger and as a paired browser; the answer must be
a refusal (400/401/404, or 405 for a method the route lacks) and must never contain the
bytes of a file outside the static folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from dashboard.access.testing import pair_test_client
from tests.dashboard.access_support import ARGUMENT, JSON, build_app, sample_url

SENTINEL = "sentinel-7f3a9c-not-for-browsers"
REPO = Path(__file__).resolve().parents[2]
# Markers of files a traversal would reach: our secret, the app's source, the system.
LEAK_MARKERS = (SENTINEL, "def create_app", "[project]", "root:x:0:0", "SQLite format 3")

TRAVERSALS = (
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "%2e%2e%2f%2e%2e%2fapp.py",
    "..\\..\\app.py",
    "....//....//app.py",
    "%252e%252e%252fapp.py",
    "..%c0%af..%c0%afapp.py",
    "%00../app.py",
)

FILENAME_PARAMS = ("file", "filename", "path", "name", "template", "lang", "format", "next")


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the static folder that no request may ever read."""
    path = tmp_path / "secret.txt"
    path.write_text(SENTINEL, encoding="utf-8")
    return path


@pytest.fixture
def app(tmp_path: Path, secret: Path) -> Flask:
    return build_app(tmp_path / "data")


@pytest.fixture
def paired(app: Flask) -> FlaskClient:
    client = app.test_client()
    pair_test_client(client)
    return client


def assert_no_leak(client: FlaskClient, url: str, allowed: set[int]) -> None:
    with client.get(url, headers=JSON, follow_redirects=True) as response:
        body = response.get_data(as_text=True)
        status = response.status_code
    for marker in LEAK_MARKERS:
        assert marker not in body, f"{url} leaked {marker!r}"
    assert status in allowed, (url, status)


def probes_for(rule: Rule, secret: Path) -> list[str]:
    """URLs for a rule with each argument replaced by a traversal attempt."""
    if not rule.arguments:
        return []
    values = [*TRAVERSALS, str(secret), secret.as_posix().lstrip("/"), "%2F" + str(secret)[1:]]
    return [ARGUMENT.sub(value.replace("\\", "\\\\"), rule.rule) for value in values]


@pytest.mark.parametrize("who", ["stranger", "paired"])
def test_static_folder_cannot_be_left(app: Flask, paired: FlaskClient, who: str) -> None:
    client = paired if who == "paired" else app.test_client()
    for attempt in TRAVERSALS:
        # The static route is public, so strangers must get the same refusal as paired users.
        assert_no_leak(client, f"/static/{attempt}", {400, 404})
    for attempt in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        assert_no_leak(client, attempt, {400, 401, 404})


def test_absolute_paths_in_static_are_refused(
    app: Flask, paired: FlaskClient, secret: Path
) -> None:
    # A doubled slash is first redirected; for a stranger that redirect is itself refused.
    for client, allowed in ((paired, {400, 404}), (app.test_client(), {400, 401, 404})):
        assert_no_leak(client, f"/static/{secret}", allowed)
        assert_no_leak(client, f"/static//{secret}", allowed)
        assert_no_leak(client, "/static/%2F" + str(secret)[1:], allowed)


def test_every_route_refuses_traversal_in_its_arguments(
    app: Flask, paired: FlaskClient, secret: Path
) -> None:
    stranger = app.test_client()
    probed = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        for url in probes_for(rule, secret):
            assert_no_leak(paired, url, {400, 404})
            assert_no_leak(stranger, url, {400, 401, 404})
            probed += 1
    assert probed >= len(TRAVERSALS)  # at least the static route was probed


def test_filename_like_parameters_never_read_files(
    app: Flask, paired: FlaskClient, secret: Path
) -> None:
    """Query parameters that look like file names change nothing but the page they ask for."""
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        base = sample_url(rule)
        for value in (str(secret), "../../../../etc/passwd", "%2e%2e%2fpyproject.toml"):
            query = "&".join(f"{name}={value}" for name in FILENAME_PARAMS)
            assert_no_leak(paired, f"{base}?{query}", {200, 303, 400, 404, 405, 503})
