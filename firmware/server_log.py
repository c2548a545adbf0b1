"""One line instead of a traceback when a tablet's connection drops.

Waitress logs every failed socket read or write as ``Socket error`` with a full traceback
at ERROR level. On this device most of them are ordinary: a tablet that went to sleep or
out of Wi-Fi range has its stalled connection aborted by the kernel after 20 s
(``TCP_USER_TIMEOUT``, see ``dashboard.sse``), a closed browser tab resets its stream. An
unattended Pi would fill its journal with tracebacks that look like faults. This filter
turns those into one INFO line naming the error; any other socket error keeps its
traceback.
"""

from __future__ import annotations

import errno
import logging

DROPPED_ERRNOS = frozenset(
    {errno.ETIMEDOUT, errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.EHOSTUNREACH}
)
"""A peer gone, reset or unreachable: what a tablet leaving looks like from the server."""
WAITRESS_MESSAGE = "Socket error"


class DroppedConnectionFilter(logging.Filter):
    """Rewrite waitress's ``Socket error`` records of dropped connections to one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; shorten it when it is a dropped connection."""
        exc = record.exc_info[1] if record.exc_info else None
        if (
            record.msg == WAITRESS_MESSAGE
            and isinstance(exc, OSError)
            and exc.errno in DROPPED_ERRNOS
        ):
            record.msg = "a client's connection dropped (%s); it was closed"
            record.args = (errno.errorcode.get(exc.errno or 0, str(exc.errno)),)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_dropped_connections(logger: logging.Logger | None = None) -> DroppedConnectionFilter:
    """Install the filter on waitress's logger (once); returns it."""
    target = logger or logging.getLogger("waitress")
    for existing in target.filters:
        if isinstance(existing, DroppedConnectionFilter):
            return existing
    installed = DroppedConnectionFilter()
    target.addFilter(installed)
    return installed
