"""Every operation of ``dashboard/openapi.json``, fuzzed through the app's WSGI interface.

schemathesis turns the OpenAPI description into requests: valid ones and ones that break
it (wrong types, missing or unknown fields, out-of-range numbers, odd strings, huge ids).
They go to the real app (``create_app``) over a real ``Monitor`` fed by scripted frames and
a real SQLite session log in ``tmp_path`` that already holds three logged sessions.

- As a paired browser (a local development run, the CSRF cookie, header and Origin sent
  like the dashboard's own scripts, so state-changing requests reach their handlers):
  no 5xx, no exception escaping the app, no traceback or Python exception name in any
  body, every 4xx says what was wrong (JSON errors carry a ``message``, never werkzeug's
  stock text), answers match the description (status codes, content types, JSON
  schemas), and requests that break the description are refused. Afterwards the log
  passes ``PRAGMA integrity_check``, every session logged before is still there and
  unchanged unless an operation marked ``x-deletes`` removed it, and a new ``Monitor``
  starts on the stored settings and calibration (nothing half-written).
- As a stranger (not paired): every operation but the public ones is refused with 401 or
  403, and the log is left exactly as it was.

Operations come from the file, so new endpoints are fuzzed as soon as they are described.
``INSOLE_FUZZ_EXAMPLES`` sets the examples per operation (default 25, derandomised so a
failure reproduces; with the variable set each run draws new random inputs)::

    INSOLE_FUZZ_EXAMPLES=500 python -m pytest tests/reliability/test_openapi_fuzz.py -q
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation as AnyOperation
from schemathesis import Case as AnyCase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug import exceptions as http_errors

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, arm_csrf, local_test_client
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames
from tests.scripted import HOLD, REST, scripted, to_volts

Case: TypeAlias = AnyCase[Any]
Operation: TypeAlias = AnyOperation[Any, Any, Any, Any]
EXAMPLES_ENV = "INSOLE_FUZZ_EXAMPLES"
EXAMPLES = int(os.environ.get(EXAMPLES_ENV) or 25)
STRANGER_EXAMPLES = max(5, EXAMPLES // 5)
STREAM_EXAMPLES = 3  # each holds the stream open for STREAM_READ_S
STREAM_READ_S = 0.3
SIM = SourceInfo("emulated", True, "test insole")
EVERYTHING = -1  # in a set of deleted session ids: an ``x-deletes: all`` operation ran

SPEC: dict[str, Any] = json.loads(
    (resources.files("dashboard") / "openapi.json").read_text(encoding="utf-8")
)
# The config is explicit so that no schemathesis.toml lying around changes the run.
# Security parameters are left to the stranger's test (a local run needs no token).
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"mode": "all", "with-security-parameters": False}}
)
SCHEMA = schemathesis.openapi.from_dict(copy.deepcopy(SPEC), config=CONFIG)


def _operations() -> list[Operation]:
    """Every operation of the file; one schemathesis cannot read fails collection."""
    found = []
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


OPERATIONS = _operations()

PYTHON_LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+"
    r"|\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b"  # ValueError, OverflowError, KeyError...
)
# Werkzeug's stock descriptions ("The browser (or proxy) sent a request that this server
# could not understand."): an answer that says nothing about what was wrong.
STOCK_TEXTS = tuple(
    cls.description
    for cls in vars(http_errors).values()
    if isinstance(cls, type)
    and issubclass(cls, http_errors.HTTPException)
    and isinstance(cls.description, str)
)


def spec_operation(case: Case) -> dict[str, Any]:
    """The operation's own entry in openapi.json (for its ``x-`` extensions)."""
    operation: dict[str, Any] = SPEC["paths"][case.operation.path][case.operation.method.lower()]
    return operation


def is_public(operation: Operation) -> bool:
    entry = SPEC["paths"][operation.path][operation.method.lower()]
    return bool(entry.get("security", SPEC.get("security")) == [])


def is_stream(operation: Operation) -> bool:
    responses = SPEC["paths"][operation.path][operation.method.lower()]["responses"]
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


# -- the device under test --------------------------------------------------------------------


@dataclass
class Device:
    """A running dashboard over a monitor and a session log, and a client to talk to it."""

    app: Flask
    client: FlaskClient
    monitor: Monitor
    log: SessionLog
    path: Path


def logged_sessions(log: SessionLog) -> dict[int, tuple[Any, ...]]:
    """Everything logged per session: summary, holds and frames."""
    return {
        s.id: (s.to_dict(), log.holds(s.id), log.frames_array(s.id).tolist())
        for s in log.list_sessions()
    }


def stored_state(log: SessionLog) -> tuple[Any, ...]:
    """Sessions, settings and calibration: all a stranger must not be able to change."""
    return logged_sessions(log), log.load_settings(), log.latest_calibration()


def build_device(tmp_path: Path, config: dict[str, Any]) -> Iterator[Device]:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog(path) as log:
        for day in (5, 6, 7):
            record_session(
                log,
                started_at=datetime(2026, 1, day, 9, 0, tzinfo=UTC),
                frames=synthetic_frames(30.0, seed=day),
                holds=[make_hold(2.0, 9.0, 80.0), make_hold(15.0, 4.0, 40.0)],
            )
        with Monitor(log, SIM) as monitor:
            # A hold, then the foot lifted: live answers have a frame and tare can work.
            for frame in to_volts(scripted([(2.0, HOLD), (1.0, REST)])):
                monitor.process(VoltsFrame(*frame))
            app = create_app(
                {
                    "TESTING": True,
                    "INSOLE_DATA_DIR": str(tmp_path),
                    "LIVE_KEEPALIVE_S": 0.1,
                    **config,
                },
                monitor=monitor,
            )
            client = app.test_client()
            arm_csrf(client)
            yield Device(app, client, monitor, log, path)


@pytest.fixture
def paired(tmp_path: Path) -> Iterator[Device]:
    """A local development run (pairing skipped, CSRF armed): every handler is reachable."""
    for device in build_device(tmp_path, dict(LOCAL_TEST_CONFIG)):
        device.client = local_test_client(device.app)
        yield device


@pytest.fixture
def stranger(tmp_path: Path) -> Iterator[Device]:
    """A served device that needs pairing, and a browser that never paired (CSRF cookie)."""
    yield from build_device(tmp_path, {})


# -- sending and judging --------------------------------------------------------------------


def cases(operation: Operation) -> st.SearchStrategy[Case]:
    """Valid requests and requests that break the description, mixed."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def fuzz(operation: Operation, examples: int, check: Callable[[Case], None]) -> None:
    """Run ``check`` on generated cases of one operation."""
    if is_stream(operation):
        examples = min(examples, STREAM_EXAMPLES)
    run = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=EXAMPLES_ENV not in os.environ,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )(given(case=cases(operation))(check))
    run()


def send(case: Case, device: Device) -> schemathesis.Response:
    """One request through WSGI; an exception escaping the app fails the test here."""
    # The WSGI transport takes a werkzeug client as its session (typed for requests only):
    # Flask's keeps the CSRF cookie, Origin and X-CSRF-Token armed on it.
    # ``buffered``: werkzeug reads the answer and closes it, as a WSGI server does (an open
    # backup file would otherwise stay open); a stream is read for STREAM_READ_S instead.
    return case.call(
        app=device.app,
        session=device.client,  # type: ignore[arg-type]
        timeout=STREAM_READ_S,
        buffered=not is_stream(case.operation),
    )


def body_text(response: schemathesis.Response) -> str:
    return response.content.decode("utf-8", errors="replace")


def check_no_leak(case: Case, response: schemathesis.Response) -> None:
    status = response.status_code
    assert status < 500, f"{case.as_curl_command()} -> {status}: {body_text(response)[:500]}"
    sent = case.as_curl_command()
    # A form page shows the values sent back (a label "KeyError" is the user's own text).
    found = (m.group(0) for m in PYTHON_LEAKS.finditer(body_text(response)))
    leaks = [text for text in found if text not in sent]
    assert not leaks, f"{sent} -> Python text {leaks[0]!r}"


def check_message(case: Case, response: schemathesis.Response) -> None:
    """A refusal says what was wrong: a JSON ``message`` or a page, never stock text."""
    status = response.status_code
    if not 400 <= status < 500:
        return
    text = body_text(response)
    where = f"{case.as_curl_command()} -> {status}"
    for stock in STOCK_TEXTS:
        assert stock not in text, f"{where}: werkzeug's stock text {stock!r}"
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json"):
        body = json.loads(text)
        assert isinstance(body, dict), f"{where}: {text[:300]}"
        message = body.get("message")
        assert isinstance(message, str), f"{where}: no message in {text[:300]}"
        assert len(message.strip()) >= 10, f"{where}: message too short: {message!r}"
    else:
        assert text.strip(), f"{where}: empty body"


def check_description(case: Case, response: schemathesis.Response) -> None:
    """The answer is what openapi.json says, and requests breaking it are refused.

    ``negative_data_rejection`` is left out for pages fetched with GET: their query
    parameters only choose a notice, and a malformed one is ignored by design (it is never
    echoed: see ``test_notice_parameters_are_not_echoed``). ``positive_data_acceptance`` is
    left out everywhere: rules across fields (``set_done_at <= rep_target``, shares adding up
    to 1) and the device's state make schema-valid requests fail rightly with 400 or 409.
    """
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    page_get = case.method == "GET" and not case.operation.path.startswith("/api/")
    if not page_get:
        checks.append(negative_data_rejection)
    case.validate_response(response, checks=checks)


def deleted_ids(case: Case, response: schemathesis.Response) -> set[int]:
    """Sessions an accepted request of an ``x-deletes`` operation removed."""
    target = spec_operation(case).get("x-deletes")
    if target is None or response.status_code >= 400:
        return set()
    if target == "all":
        return {EVERYTHING}
    value = (case.path_parameters or {}).get(target)
    return {value} if isinstance(value, int) else set()


# -- the tests --------------------------------------------------------------------------------


def test_the_description_has_operations_to_fuzz() -> None:
    methods = ("get", "put", "post", "delete", "patch")
    assert len(OPERATIONS) == sum(
        1 for item in SPEC["paths"].values() for method in item if method in methods
    )
    assert len(OPERATIONS) >= 40


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzzing_as_a_paired_browser_finds_no_fault(
    operation: Operation, paired: Device
) -> None:
    before = logged_sessions(paired.log)
    deleted: set[int] = set()

    def check(case: Case) -> None:
        response = send(case, paired)
        check_no_leak(case, response)
        check_message(case, response)
        check_description(case, response)
        deleted.update(deleted_ids(case, response))

    fuzz(operation, EXAMPLES, check)
    paired.monitor.close()  # ends a set the fuzzing left running, flushes the log
    assert paired.log.integrity_check() == ["ok"]
    after = logged_sessions(paired.log)
    if EVERYTHING not in deleted:
        for session_id, logged in before.items():
            if session_id in deleted:
                assert session_id not in after, f"session {session_id} deleted yet still there"
            else:
                assert after.get(session_id) == logged, f"session {session_id} changed"
    # What a restart does: a new monitor on the stored settings and calibration.
    with Monitor(paired.log, SIM) as restarted:
        assert restarted.settings is not None


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_a_stranger_is_refused_and_changes_nothing(
    operation: Operation, stranger: Device
) -> None:
    before = stored_state(stranger.log)
    public = is_public(operation)

    def check(case: Case) -> None:
        response = send(case, stranger)
        check_no_leak(case, response)
        check_message(case, response)
        if public:
            assert response.status_code != 401, case.as_curl_command()
        else:
            assert response.status_code in (401, 403), (
                f"{case.as_curl_command()} -> {response.status_code} for a stranger"
            )

    fuzz(operation, STRANGER_EXAMPLES, check)
    stranger.monitor.close()
    assert stranger.log.integrity_check() == ["ok"]
    assert stored_state(stranger.log) == before
