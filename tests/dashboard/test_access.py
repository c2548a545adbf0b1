"""Pairing: 401 until paired, codes from the real `pair` command, tokens, revocation, limits."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access import get_state, start_button_pairing, still_allowed_checker
from dashboard.access import init_app as init_access
from dashboard.access.gate import is_public, safe_next
from dashboard.access.ratelimit import FailureLimiter
from dashboard.access.store import DB_FILENAME, AccessStore
from dashboard.access.testing import arm_csrf, csrf_cookie, pair_test_client
from firmware.commands import pair as pair_command
from tests.dashboard.access_support import (
    HTML,
    JSON,
    ORIGIN,
    SSE,
    SteppedClock,
    build_app,
    sample_url,
)

REPO = Path(__file__).resolve().parents[2]


def run_pair_command(*args: str, data_dir_env: str) -> subprocess.CompletedProcess[str]:
    """`insole-monitor pair ARGS` in its own process, with INSOLE_DATA_DIR set to ``data_dir_env``.

    The service and the command are separate processes sharing the data directory, so the
    command runs as a real subprocess; its exit status is for the test to check.
    """
    env = {**os.environ, "INSOLE_DATA_DIR": data_dir_env, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "firmware.cli", "pair", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def app(tmp_path: Path, clock: SteppedClock) -> Flask:
    return build_app(tmp_path, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def code_from_command(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `insole-monitor pair` in-process and read the code it prints."""
    parser = argparse.ArgumentParser()
    pair_command.add_arguments(parser)
    assert pair_command.run(parser.parse_args(["--data-dir", str(data_dir)])) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Pairing code:"))
    return line.split(":", 1)[1].strip()


def submit_code(client: FlaskClient, code: str, **extra: str) -> object:
    token = csrf_cookie(client)
    return client.post(
        "/pair",
        data={"code": code, "csrf_token": token, **extra},
        headers={"Origin": ORIGIN, **HTML},
    )


def guarded_urls(app: Flask) -> list[str]:
    """A sample URL for every GET route that is not public."""
    return sorted(
        {
            sample_url(rule)
            for rule in app.url_map.iter_rules()
            if not is_public(rule.endpoint, app.config) and "GET" in (rule.methods or ())
        }
    )


# ---------------------------------------------------------------- unpaired
def test_unpaired_html_gets_the_pairing_page_with_401(client: FlaskClient) -> None:
    response = client.get("/", headers=HTML)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert 'action="/pair"' in page
    assert 'name="code"' in page
    assert 'name="next" value="/"' in page


@pytest.mark.parametrize("headers", [JSON, SSE, {}], ids=["json", "sse", "no-accept"])
@pytest.mark.parametrize("path", ["/api/live", "/stream", "/review/1/export.csv", "/access"])
def test_unpaired_scripts_get_401_json(
    client: FlaskClient, path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["pair_url"] == "/pair"
    assert "not paired" in body["error"]


def test_every_guarded_route_answers_401_unpaired(app: Flask, client: FlaskClient) -> None:
    urls = guarded_urls(app)
    assert "/access" in urls  # the list covers at least our own page
    for url in urls:
        for headers in (HTML, JSON, SSE):
            assert client.get(url, headers=headers).status_code == 401, (url, headers)


def test_public_things_answer_unpaired(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/pair", headers=HTML).status_code == 200
    for asset in ("/static/app.css", "/static/access.css"):
        with client.get(asset) as response:  # a file response: close it
            assert response.status_code == 200


def test_unpaired_post_to_a_guarded_route_is_401_not_handled(client: FlaskClient) -> None:
    token = csrf_cookie(client)
    response = client.post(
        "/access/1/revoke", data={"csrf_token": token}, headers={"Origin": ORIGIN, **JSON}
    )
    assert response.status_code == 401


# ---------------------------------------------------------------- pairing with codes
def test_code_from_the_pair_command_subprocess_pairs(tmp_path: Path) -> None:
    # The service and the command are separate processes sharing the data dir: this app runs
    # on the real clocks here, as the command does.
    live_app = build_app(tmp_path)
    client = live_app.test_client()
    result = run_pair_command(data_dir_env=str(tmp_path))
    assert result.returncode == 0, result.stderr
    code = result.stdout.split("Pairing code:", 1)[1].split()[0]
    assert len(code) == 6
    assert code.isdigit()

    response = submit_code(client, code, next="/access")
    assert response.status_code == 303
    assert response.headers["Location"] == "/access"
    set_cookie = next(
        v for v in response.headers.getlist("Set-Cookie") if v.startswith("insole_token=")
    )
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain http on the LAN: a Secure cookie would be lost
    assert "Max-Age=31536000" in set_cookie
    assert client.get("/access", headers=HTML).status_code == 200
    for url in guarded_urls(live_app):
        assert client.get(url, headers=JSON).status_code != 401, url


def test_code_from_the_pair_command_in_process_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = build_app(tmp_path).test_client()  # real clocks, as the command uses
    code = code_from_command(tmp_path, capsys)
    response = submit_code(client, code)
    assert response.status_code == 303
    assert client.get("/access", headers=JSON).status_code == 200


def test_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    client.get("/healthz", base_url="https://localhost")
    token = csrf_cookie(client)
    code = get_state(app).store.new_code().code
    response = client.post(
        "/pair",
        base_url="https://localhost",
        data={"code": code, "csrf_token": token},
        headers={"Origin": "https://localhost", **JSON},
    )
    assert response.status_code == 200
    set_cookie = next(
        v for v in response.headers.getlist("Set-Cookie") if v.startswith("insole_token=")
    )
    assert "Secure" in set_cookie


def test_json_pairing_answers_with_the_device(client: FlaskClient, app: Flask) -> None:
    code = get_state(app).store.new_code().code
    response = client.post(
        "/pair",
        json={"code": code},
        headers={"Origin": ORIGIN, "X-CSRF-Token": csrf_cookie(client)},
    )
    assert response.status_code == 200
    assert response.get_json()["paired"] is True
    assert response.get_json()["device"]["method"] == "code"


def test_wrong_code_is_refused(
    client: FlaskClient, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    real = get_state(app).store.new_code().code
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    with caplog.at_level("WARNING"):
        response = submit_code(client, wrong)
    assert response.status_code == 403
    assert "pairing: failed code attempt from 127.0.0.1" in caplog.text
    assert wrong not in caplog.text
    assert "wrong, already used or expired" in response.get_data(as_text=True)
    assert client.get_cookie("insole_token") is None
    assert client.get("/access", headers=JSON).status_code == 401


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_code_says_what_is_allowed(client: FlaskClient, bad: str) -> None:
    response = client.post(
        "/pair",
        data={"code": bad, "csrf_token": csrf_cookie(client)},
        headers={"Origin": ORIGIN, **JSON},
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "the pairing code is six digits (0-9)"


def test_code_works_once(app: Flask) -> None:
    code = get_state(app).store.new_code().code
    first, second = app.test_client(), app.test_client()
    assert submit_code(first, code).status_code == 303
    assert submit_code(second, code).status_code == 403
    assert second.get("/access", headers=JSON).status_code == 401


def test_code_expires_after_five_minutes(app: Flask, clock: SteppedClock) -> None:
    store = get_state(app).store
    code = store.new_code().code
    clock.advance(300.5)
    assert submit_code(app.test_client(), code).status_code == 403
    fresh = store.new_code().code
    clock.advance(299.0)
    assert submit_code(app.test_client(), fresh).status_code == 303


def test_code_dies_when_either_clock_says_so(tmp_path: Path, clock: SteppedClock) -> None:
    store = AccessStore.in_data_dir(tmp_path, clock=clock)
    code = store.new_code().code
    clock.wall -= 3600.0  # the wall clock is set back (NTP after boot): the code must not live on
    assert store.redeem_code(code) is False
    code = store.new_code().code
    clock.mono = 1.0  # a reboot: the monotonic clock restarted
    assert store.redeem_code(code) is False


def test_a_new_code_replaces_the_old_one(app: Flask) -> None:
    store = get_state(app).store
    old = store.new_code().code
    new = store.new_code().code
    if old != new:
        assert submit_code(app.test_client(), old).status_code == 403
    assert submit_code(app.test_client(), new).status_code == 303


# ---------------------------------------------------------------- pairing by button
def test_button_pairs_exactly_one_browser(app: Flask, clock: SteppedClock) -> None:
    first, second = app.test_client(), app.test_client()
    page = first.get("/pair", headers=HTML).get_data(as_text=True)
    assert "The button was pressed" not in page
    assert start_button_pairing(app) == 60.0
    assert "The button was pressed" in first.get("/pair", headers=HTML).get_data(as_text=True)
    clock.advance(59.0)
    response = first.post(
        "/pair",
        data={"method": "button", "csrf_token": csrf_cookie(first)},
        headers={"Origin": ORIGIN, **JSON},
    )
    assert response.status_code == 200
    assert response.get_json()["device"]["method"] == "button"
    late = second.post(
        "/pair",
        data={"method": "button", "csrf_token": csrf_cookie(second)},
        headers={"Origin": ORIGIN, **JSON},
    )
    assert late.status_code == 403
    assert "no button press is waiting" in late.get_json()["error"]
    assert first.get("/access", headers=JSON).status_code == 200
    assert second.get("/access", headers=JSON).status_code == 401


def test_button_window_closes(app: Flask, clock: SteppedClock) -> None:
    start_button_pairing(get_state(app).store, window_s=30.0)
    clock.advance(31.0)
    client = app.test_client()
    response = client.post(
        "/pair",
        data={"method": "button", "csrf_token": csrf_cookie(client)},
        headers={"Origin": ORIGIN, **JSON},
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- tokens and revocation
def test_only_a_hash_of_the_token_is_stored(client: FlaskClient, tmp_path: Path) -> None:
    pair_test_client(client)
    cookie = client.get_cookie("insole_token")
    assert cookie is not None
    assert len(cookie.value) >= 43
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(f"{DB_FILENAME}*"))
    assert cookie.value.encode() not in raw
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        (stored,) = conn.execute("SELECT token_sha256 FROM devices").fetchone()
    conn.close()
    assert len(stored) == 64
    assert stored != cookie.value


def test_a_forged_token_is_401(client: FlaskClient) -> None:
    client.set_cookie("insole_token", "A" * 43)
    assert client.get("/access", headers=JSON).status_code == 401


def test_revoke_from_the_page_locks_the_device_out(app: Flask) -> None:
    tablet, laptop = app.test_client(), app.test_client()
    tablet_device = pair_test_client(tablet)
    laptop_device = pair_test_client(laptop)
    listed = laptop.get("/access", headers=JSON).get_json()
    assert [d["id"] for d in listed["devices"]] == [tablet_device.id, laptop_device.id]
    assert listed["current_id"] == laptop_device.id
    page = laptop.get("/access", headers=HTML).get_data(as_text=True)
    assert f'action="/access/{tablet_device.id}/revoke"' in page

    response = laptop.post(f"/access/{tablet_device.id}/revoke", headers=HTML)
    assert response.status_code == 303
    assert tablet.get("/access", headers=JSON).status_code == 401
    assert laptop.get("/access", headers=JSON).status_code == 200


def test_revoking_itself_clears_the_cookie(app: Flask) -> None:
    client = app.test_client()
    device = pair_test_client(client)
    response = client.post(f"/access/{device.id}/revoke", headers=JSON)
    assert response.get_json() == {"revoked": device.id}
    assert client.get_cookie("insole_token") is None
    assert client.get("/access", headers=JSON).status_code == 401


def test_revoking_an_unknown_device_is_404(app: Flask) -> None:
    client = app.test_client()
    pair_test_client(client)
    response = client.post("/access/999/revoke", headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"] == "no paired device has that number"


def test_list_and_revoke_from_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = build_app(tmp_path).test_client()  # real clocks, as the command uses
    device = pair_test_client(client)
    parser = argparse.ArgumentParser()
    pair_command.add_arguments(parser)
    capsys.readouterr()
    assert pair_command.run(parser.parse_args(["--data-dir", str(tmp_path), "--list"])) == 0
    listing = capsys.readouterr().out
    assert f"   {device.id}  code" in listing
    args = parser.parse_args(["--data-dir", str(tmp_path), "--revoke", str(device.id)])
    assert pair_command.run(args) == 0
    assert client.get("/access", headers=JSON).status_code == 401


def test_revoke_unknown_from_the_command_line_says_so(tmp_path: Path) -> None:
    result = run_pair_command("--revoke", "42", data_dir_env=str(tmp_path))
    assert result.returncode == 2
    assert "no paired device has number 42" in result.stderr


def test_an_expired_token_is_401(app: Flask, clock: SteppedClock) -> None:
    client = app.test_client()
    pair_test_client(client)
    clock.advance(366 * 24 * 3600.0)
    assert client.get("/access", headers=JSON).status_code == 401


# ---------------------------------------------------------------- rate limiting
def test_failed_attempts_are_rate_limited(app: Flask) -> None:
    store = get_state(app).store
    client = app.test_client()
    for _ in range(5):
        assert submit_code(client, "abcdef").status_code == 403
    code = store.new_code().code
    limited = submit_code(client, code)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "Too many failed attempts" in limited.get_data(as_text=True)
    # Another address is not held up by this one's failures.
    other = app.test_client()
    response = other.post(
        "/pair",
        data={"code": code, "csrf_token": csrf_cookie(other)},
        headers={"Origin": ORIGIN, **HTML},
        environ_overrides={"REMOTE_ADDR": "192.168.1.77"},
    )
    assert response.status_code == 303


def test_the_overall_limit_holds_across_addresses(tmp_path: Path) -> None:
    app = build_app(tmp_path, INSOLE_PAIR_FAILURES_OVERALL=8)
    client = app.test_client()
    token = csrf_cookie(client)
    for i in range(8):
        response = client.post(
            "/pair",
            data={"code": "abcdef", "csrf_token": token},
            headers={"Origin": ORIGIN, **JSON},
            environ_overrides={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
        )
        assert response.status_code == 403
    response = client.post(
        "/pair",
        data={"code": "abcdef", "csrf_token": token},
        headers={"Origin": ORIGIN, **JSON},
        environ_overrides={"REMOTE_ADDR": "10.0.0.200"},
    )
    assert response.status_code == 429
    assert "too many failed attempts" in response.get_json()["error"]


def test_limiter_window_slides() -> None:
    now = [100.0]
    limiter = FailureLimiter(per_client=2, overall=10, window_s=60.0, now_s=lambda: now[0])
    limiter.record_failure("a")
    now[0] += 10.0
    limiter.record_failure("a")
    assert limiter.retry_after_s("a") == 50
    assert limiter.retry_after_s("b") is None
    now[0] += 50.0
    assert limiter.retry_after_s("a") is None


def test_limiter_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FailureLimiter(per_client=0)


# ---------------------------------------------------------------- after pairing
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/review/3?x=1", "/review/3?x=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\t/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/pair", "/"),
        (None, "/"),
    ],
)
def test_next_stays_on_this_dashboard(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


# ---------------------------------------------------------------- localhost development
LOCAL = {"INSOLE_BIND_HOST": "127.0.0.1", "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": True}


@pytest.mark.parametrize(
    ("config", "remote", "host", "skipped"),
    [
        (LOCAL, "127.0.0.1", "localhost", True),
        (LOCAL, "127.0.0.1", "127.0.0.1:5000", True),
        ({**LOCAL, "INSOLE_BIND_HOST": "::1"}, "::1", "[::1]:5000", True),
        (LOCAL, "::ffff:127.0.0.1", "localhost", True),
        (LOCAL, "192.168.1.20", "localhost", False),  # not from this machine
        (LOCAL, "127.0.0.1", "evil.example", False),  # DNS rebinding
        ({**LOCAL, "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": False}, "127.0.0.1", "localhost", False),
        ({**LOCAL, "INSOLE_BIND_HOST": "0.0.0.0"}, "127.0.0.1", "localhost", False),
        ({"INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": True}, "127.0.0.1", "localhost", False),
    ],
)
def test_local_development_skips_pairing_only_when_really_local(
    tmp_path: Path, config: dict[str, object], remote: str, host: str, skipped: bool
) -> None:
    app = build_app(tmp_path, **config)
    client = app.test_client()
    response = client.get(
        "/access", headers={**JSON, "Host": host}, environ_overrides={"REMOTE_ADDR": remote}
    )
    assert response.status_code == (200 if skipped else 401)
    with app.test_request_context(
        "/access", headers={"Host": host}, environ_overrides={"REMOTE_ADDR": remote}
    ):
        app.preprocess_request()
        banner = render_template_string("{{ access_banner or '' }}")
    assert ("Pairing off: local development" in banner) is skipped


def test_local_development_still_needs_csrf(tmp_path: Path) -> None:
    app = build_app(tmp_path, **LOCAL)
    client = app.test_client()
    store = get_state(app).store
    device = store.issue_token("other tablet", "code").device
    assert client.post(f"/access/{device.id}/revoke", headers=JSON).status_code == 403
    arm_csrf(client)
    assert client.post(f"/access/{device.id}/revoke", headers=JSON).status_code == 200


def test_pairing_page_in_german(client: FlaskClient) -> None:
    page = client.get("/", headers={**HTML, "Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 401
    assert "Diesen Browser koppeln" in page.get_data(as_text=True)


def test_an_open_stream_can_tell_it_was_revoked(app: Flask) -> None:
    client = app.test_client()
    device = pair_test_client(client)
    cookie = client.get_cookie("insole_token")
    assert cookie is not None
    with app.test_request_context(
        "/api/stream", headers={"Cookie": f"insole_token={cookie.value}"}
    ):
        app.preprocess_request()
        still_allowed = still_allowed_checker()
    assert still_allowed() is True
    get_state(app).store.revoke(device.id)
    assert still_allowed() is False


def test_the_requested_address_is_escaped_on_the_pairing_page(client: FlaskClient) -> None:
    response = client.get('/x"><script>alert(1)</script>', headers=HTML)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "%3Cscript%3E" in page


def test_the_app_may_open_a_harmless_endpoint(tmp_path: Path) -> None:
    app = build_app(tmp_path, INSOLE_PUBLIC_ENDPOINTS=("access.devices",))
    assert app.test_client().get("/access", headers=JSON).status_code == 200
    assert app.test_client().post("/access/1/revoke", headers=JSON).status_code == 401


def test_a_test_app_without_a_data_dir_refuses_to_touch_the_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INSOLE_DATA_DIR", raising=False)
    app = create_app({"TESTING": True})
    init_access(app)
    client = app.test_client()
    # A stranger's 401 needs no database at all...
    assert client.get("/review/", headers=HTML).status_code == 401
    # ...and anything that does says what to configure instead of writing to the home dir.
    with pytest.raises(RuntimeError, match="INSOLE_DATA_DIR"):
        client.get("/pair", headers=HTML)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own files as others"
)
def test_pair_as_root_writes_as_the_owner_of_the_data_dir() -> None:
    """`sudo insole-monitor pair` must not leave a root-owned file the service cannot use."""
    nobody_uid, nobody_gid = 65534, 65534
    outer = Path(tempfile.mkdtemp(prefix="insole-pair-root-"))
    try:
        outer.chmod(0o711)  # the service user must be able to reach its directory
        data_dir = outer / "data"
        data_dir.mkdir()
        os.chown(data_dir, nobody_uid, nobody_gid)
        result = run_pair_command("--data-dir", str(data_dir), data_dir_env="")
        assert result.returncode == 0, result.stderr
        assert f"(data directory: {data_dir})" in result.stdout
        owners = {p.name: p.stat().st_uid for p in data_dir.iterdir()}
        assert owners
        assert set(owners.values()) == {nobody_uid}, owners
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def test_data_dir_for_pair_follows_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSOLE_DATA_DIR", str(tmp_path))
    assert pair_command.resolve_data_dir(None) == tmp_path
    assert pair_command.resolve_data_dir(tmp_path / "other") == tmp_path / "other"


def test_openapi_access_operations_are_exactly_our_routes(app: Flask) -> None:
    """The operations tagged ``access`` in dashboard/openapi.json are this blueprint's routes."""
    spec = json.loads((resources.files("dashboard") / "openapi.json").read_text(encoding="utf-8"))
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "access" in operation.get("tags", ())
    }
    routed = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("access.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert documented == routed
    assert spec["components"]["securitySchemes"]["pairedDevice"]["name"] == "insole_token"


def test_json_refusals_carry_a_message_like_every_other_json_error(app: Flask) -> None:
    stranger = app.test_client()
    refused = stranger.get("/api/status", headers={"Accept": "application/json"})
    assert refused.status_code == 401
    body = refused.get_json()
    assert body["message"] == body["error"]
    assert "pair" in body["message"]


def test_pair_without_write_access_says_to_use_sudo(tmp_path: Path) -> None:
    outer = Path(tempfile.mkdtemp(prefix="insole-pair-ro-"))
    try:
        outer.chmod(0o755)
        data_dir = outer / "data"
        data_dir.mkdir(mode=0o755)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Root may write anywhere: give the directory to "nobody", whom `pair` becomes.
            os.chown(data_dir, 65534, 65534)
        data_dir.chmod(0o555)
        result = run_pair_command("--data-dir", str(data_dir), data_dir_env="")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "sudo insole-monitor pair" in result.stderr
        assert not (data_dir / "access.sqlite3").exists()
    finally:
        (outer / "data").chmod(0o755)
        shutil.rmtree(outer, ignore_errors=True)
