"""Fixtures shared by the dashboard's page tests: an app over a temporary session log.

A test module that needs a monitor too defines its own ``app`` (module fixtures win).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from insole.store import SessionLog


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SessionLog]:
    with SessionLog(tmp_path / "sessions.sqlite3") as session_log:
        yield session_log


@pytest.fixture
def app(log: SessionLog) -> Flask:
    """The dashboard as the local development service runs it (pairing off, CSRF armed)."""
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, log=log)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)
