"""Helpers for tests of pages behind pairing.

Two ways for a page's tests to get in, both through the real checks:

- ``create_app({"TESTING": True, **LOCAL_TEST_CONFIG})`` and ``local_test_client(app)``:
  the app believes it is a local development run (the test client talks from 127.0.0.1 to
  ``localhost``), so pairing is skipped as it is for ``serve`` on localhost; the client
  sends ``Origin`` and ``X-CSRF-Token`` like the dashboard's own scripts. No data dir needed.
- ``pair_test_client(client)`` (app config needs ``INSOLE_DATA_DIR``): issues a code in
  the app's access store, submits it on ``/pair`` exactly as a browser form would, then
  arms the client the same way.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from dashboard.access import csrf
from dashboard.access.state import get_state
from dashboard.access.store import Device

# What `serve` sets for a simulated run bound to localhost.
LOCAL_TEST_CONFIG: dict[str, object] = {
    "INSOLE_BIND_HOST": "127.0.0.1",
    "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": True,
}


def local_test_client(app: Flask) -> FlaskClient:
    """A test client of an app built with ``LOCAL_TEST_CONFIG``, armed for CSRF."""
    client = app.test_client()
    arm_csrf(client)
    return client


def client_origin(app: Flask, *, https: bool = False) -> str:
    """The origin the Flask test client uses by default (``http://localhost``)."""
    scheme = "https" if https else str(app.config.get("PREFERRED_URL_SCHEME") or "http")
    return f"{scheme}://{app.config.get('SERVER_NAME') or 'localhost'}"


def csrf_cookie(client: FlaskClient) -> str:
    """The client's ``csrf_token`` cookie, fetched from a harmless page if it has none."""
    cookie = client.get_cookie(csrf.COOKIE)
    if cookie is None:
        client.get("/healthz")
        cookie = client.get_cookie(csrf.COOKIE)
    if cookie is None:
        raise AssertionError("the app set no csrf_token cookie: is access.init_app(app) called?")
    return cookie.value


def arm_csrf(client: FlaskClient) -> str:
    """Make every later request of ``client`` carry our Origin and the CSRF header."""
    token = csrf_cookie(client)
    client.environ_base["HTTP_ORIGIN"] = client_origin(client.application)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    return token


def pair_test_client(client: FlaskClient) -> Device:
    """Pair ``client`` through ``/pair`` with a fresh code; returns the new device."""
    app = client.application
    token = csrf_cookie(client)
    code = get_state(app).store.new_code().code
    response = client.post(
        "/pair",
        data={"code": code, "csrf_token": token},
        headers={"Origin": client_origin(app), "Accept": "application/json"},
    )
    if response.status_code != 200:
        raise AssertionError(f"pairing failed: {response.status_code} {response.get_data()!r}")
    arm_csrf(client)
    payload = response.get_json()
    return Device(**payload["device"])
