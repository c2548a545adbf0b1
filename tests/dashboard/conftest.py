"""Fixtures shared by the dashboard's page tests: an app over a temporary session log.

A test module whose pages need a monitor too overrides ``app`` with one built over the
``monitor`` fixture (module fixtures win).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from firmware.monitor import Monitor
from insole.store import SessionLog
from tests.monitor_support import SIM


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SessionLog]:
    with SessionLog(tmp_path / "sessions.sqlite3") as session_log:
        yield session_log


@pytest.fixture
def monitor(log: SessionLog) -> Iterator[Monitor]:
    """A real monitor over ``log``, fed frames by the test itself."""
    with Monitor(log, SIM) as mon:
        yield mon


@pytest.fixture
def app(log: SessionLog) -> Flask:
    """The dashboard as the local development service runs it (pairing off, CSRF armed)."""
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, log=log)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)
