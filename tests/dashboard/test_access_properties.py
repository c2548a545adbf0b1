"""Property tests of the access parsers and a race on one code."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import request
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dashboard.access.csrf import same_origin_problem
from dashboard.access.gate import (
    LOOPBACK_NAMES,
    is_loopback_address,
    local_skip_applies,
    safe_next,
)
from dashboard.access.store import AccessStore
from dashboard.access.testing import csrf_cookie
from tests.dashboard.access_support import JSON, ORIGIN, build_app

URLISH = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\A[/\\]{0,3}[a-z:.@%0-9\t\n/\\-]{0,30}\Z"),
    st.sampled_from(["//evil", "/\\evil", "/%2f%2fevil", "/\t/evil", "http:/evil", "/ok?a=1"]),
)


@given(URLISH)
def test_next_is_always_a_local_path(target: str) -> None:
    result = safe_next(target)
    parts = urlsplit(result)
    assert result.startswith("/")
    assert not result.startswith(("//", "/\\"))
    assert not parts.scheme
    assert not parts.netloc
    assert all(ord(c) > 0x20 and ord(c) != 0x7F for c in result)


@given(st.text(max_size=50))
def test_loopback_check_never_raises(address: str) -> None:
    assert is_loopback_address(address) in (True, False)


# No deadlines here: each example builds a whole app, whose time depends on the load.
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)
@given(origin=st.text(max_size=60), referer=st.text(max_size=60), host=st.text(max_size=30))
@example(origin="http://localhost", referer="", host="localhost")
@example(origin="HTTP://LocalHost:80", referer="", host="127.0.0.1:5000")
@example(origin="http://localhost.evil.example", referer="", host="localhost.evil.example")
def test_origin_and_host_checks_never_raise_and_accept_only_ours(
    tmp_path: Path, origin: str, referer: str, host: str
) -> None:
    app = build_app(tmp_path, INSOLE_BIND_HOST="127.0.0.1", INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING=True)
    try:
        context = app.test_request_context(
            "/x", method="POST", headers={"Origin": origin, "Referer": referer, "Host": host}
        )
    except ValueError:
        return  # werkzeug refuses header values it cannot send: nothing to check
    with context:
        own = f"http://{request.host}".lower()
        if same_origin_problem(request) is None:
            assert origin.lower().rstrip("/") in (own, own + ":80", own.removesuffix(":80"))
        if local_skip_applies(app.config, request):
            assert (urlsplit(f"//{host}").hostname or "") in LOOPBACK_NAMES


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None
)
@given(code=st.text(max_size=20))
def test_any_code_gets_a_clear_answer_never_a_crash(tmp_path: Path, code: str) -> None:
    app = build_app(
        tmp_path, INSOLE_PAIR_FAILURES_PER_CLIENT=1000, INSOLE_PAIR_FAILURES_OVERALL=1000
    )
    client = app.test_client()
    response = client.post(
        "/pair",
        json={"code": code},
        headers={"Origin": ORIGIN, "X-CSRF-Token": csrf_cookie(client), **JSON},
    )
    assert response.status_code == 403
    assert response.get_json()["error"] in (
        "the pairing code is six digits (0-9)",
        "that code is wrong, used or expired: run `insole-monitor pair` for a new one",
    )


def test_one_code_pairs_one_browser_even_when_raced(tmp_path: Path) -> None:
    store = AccessStore.in_data_dir(tmp_path)
    code = store.new_code().code
    start = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def redeem() -> None:
        # Each thread its own store object, as separate processes would have.
        mine = AccessStore.in_data_dir(tmp_path)
        start.wait(timeout=10)
        won = mine.redeem_code(code)
        with lock:
            results.append(won)

    threads = [threading.Thread(target=redeem, name=f"redeem-{i}") for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * 7 + [True]
