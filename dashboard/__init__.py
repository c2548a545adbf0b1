"""Flask dashboard: live tripod view, session control, review, export, settings.

``create_app`` is an application factory: the running device (a ``firmware.monitor.Monitor``)
and the session log are injected, so tests build an app over a temporary database and drive
the monitor themselves, with no background thread of their own.
"""

from dashboard.app import create_app

__all__ = ["create_app"]
