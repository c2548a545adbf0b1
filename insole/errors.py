"""Exception hierarchy of the insole domain.

One base class; each subclass also inherits the builtin it refines, so callers can catch
either ``InsoleError`` or the familiar ``ValueError``.
"""


class InsoleError(Exception):
    """Base class of every error raised by this project."""


class SettingsError(InsoleError, ValueError):
    """A setting is out of range or of the wrong type; the message names the allowed values."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class CalibrationError(InsoleError, ValueError):
    """A calibration is not usable (not monotonic, not finite, out of range, too few points)."""


class RecordingFormatError(InsoleError, ValueError):
    """A recording file is malformed; ``line`` is the 1-based faulty line (0: the whole file)."""

    def __init__(self, line: int, message: str) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{message}")
        self.line = line
        self.message = message


class StorageError(InsoleError, OSError):
    """The session log could not be read or written."""
