"""The access state of one app: its store (opened on first use) and its attempt limiter."""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from dashboard.access.ratelimit import FailureLimiter
from dashboard.access.store import (
    DEFAULT_BUTTON_WINDOW_S,
    DEFAULT_CODE_TTL_S,
    DEFAULT_TOKEN_LIFETIME_S,
    AccessStore,
    default_data_dir,
)
from insole.store import DATA_DIR_ENV

EXTENSION = "insole_access"

# Config keys read by init_app, with their defaults.
DEFAULTS: dict[str, object] = {
    "INSOLE_DATA_DIR": None,  # else $INSOLE_DATA_DIR, else the user's data dir
    "INSOLE_BIND_HOST": None,  # the address the service listens on (set by `serve`)
    "INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING": False,
    "INSOLE_PUBLIC_ENDPOINTS": (),  # more endpoints open without pairing (harmless ones only)
    "INSOLE_BUTTON_WINDOW_S": DEFAULT_BUTTON_WINDOW_S,
    "INSOLE_TOKEN_LIFETIME_S": DEFAULT_TOKEN_LIFETIME_S,
    "INSOLE_PAIR_FAILURES_PER_CLIENT": 5,
    "INSOLE_PAIR_FAILURES_OVERALL": 20,
    "INSOLE_PAIR_FAILURE_WINDOW_S": 60.0,
}


class AccessState:
    """What the access hooks and views share for one app."""

    def __init__(self, app: Flask, store: AccessStore | None = None) -> None:
        config = app.config
        self._config = config
        self._store = store
        self._lock = threading.Lock()
        self.code_ttl_s = DEFAULT_CODE_TTL_S  # set by whoever issues codes: `pair` uses this
        self.button_window_s = float(config["INSOLE_BUTTON_WINDOW_S"])
        self.token_lifetime_s = float(config["INSOLE_TOKEN_LIFETIME_S"])
        self.limiter = FailureLimiter(
            per_client=int(config["INSOLE_PAIR_FAILURES_PER_CLIENT"]),
            overall=int(config["INSOLE_PAIR_FAILURES_OVERALL"]),
            window_s=float(config["INSOLE_PAIR_FAILURE_WINDOW_S"]),
        )

    @property
    def store(self) -> AccessStore:
        """The access database, opened on first use (an app that is never asked makes no file)."""
        with self._lock:
            if self._store is None:
                configured = self._config.get(DATA_DIR_ENV) or os.environ.get(DATA_DIR_ENV)
                if self._config.get("TESTING") and not configured:
                    # Never let a test write pairing data into the user's real data dir.
                    raise RuntimeError(
                        "access control needs a data dir in tests: give the app config "
                        "INSOLE_DATA_DIR (e.g. a tmp_path) or set $INSOLE_DATA_DIR"
                    )
                self._store = AccessStore.in_data_dir(default_data_dir(self._config))
            return self._store


def get_state(app: Flask | None = None) -> AccessState:
    """The access state of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    state = target.extensions.get(EXTENSION)
    if not isinstance(state, AccessState):
        raise RuntimeError("access control is not set up: call dashboard.access.init_app(app)")
    return state
