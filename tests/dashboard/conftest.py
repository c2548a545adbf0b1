"""Fixtures shared by the dashboard's page tests: an app over a temporary session log.

A test module whose pages need a monitor too overrides ``app`` with one built over the
``monitor`` fixture of tests/conftest.py (module fixtures win); that monitor runs over
``store``, so a module that overrides ``log`` must not use it.
"""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from insole.store import SessionLog


@pytest.fixture
def log(store: SessionLog) -> SessionLog:
    """The session log the pages read: the shared ``store``, which ``monitor`` runs over too."""
    return store


@pytest.fixture
def app(log: SessionLog) -> Flask:
    """The dashboard as the local development service runs it (pairing off, CSRF armed)."""
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, log=log)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)
