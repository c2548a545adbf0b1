"""Waitress's socket errors: a dropped tablet is one INFO line, anything else a traceback."""

from __future__ import annotations

import errno
import logging

import pytest

from firmware.server_log import DroppedConnectionFilter, quiet_dropped_connections


def log_socket_error(logger: logging.Logger, err: OSError) -> None:
    try:
        raise err
    except OSError:
        logger.exception("Socket error")  # what waitress's channel does


@pytest.fixture
def logger() -> logging.Logger:
    named = logging.getLogger("waitress.test-server-log")
    named.filters.clear()
    return named


@pytest.mark.parametrize("code", [errno.ETIMEDOUT, errno.ECONNRESET, errno.EPIPE])
def test_a_dropped_connection_is_one_info_line(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture, code: int
) -> None:
    quiet_dropped_connections(logger)
    with caplog.at_level(logging.DEBUG, logger=logger.name):
        log_socket_error(logger, OSError(code, "gone"))
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"a client's connection dropped ({errno.errorcode[code]}); it was closed"
    )
    assert "Traceback" not in caplog.text


def test_other_socket_errors_keep_their_traceback(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_dropped_connections(logger)
    with caplog.at_level(logging.DEBUG, logger=logger.name):
        log_socket_error(logger, OSError(errno.EBADF, "bad file descriptor"))
        logger.error("Socket error")  # no exception attached: left as it is
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.ERROR]
    assert "Traceback" in caplog.text


def test_installing_twice_adds_one_filter(logger: logging.Logger) -> None:
    first = quiet_dropped_connections(logger)
    assert quiet_dropped_connections(logger) is first
    assert [type(f) for f in logger.filters] == [DroppedConnectionFilter]
