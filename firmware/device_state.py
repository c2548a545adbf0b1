"""What the device remembers about itself across restarts, beside the session log.

Who was chosen as the current runner (``runner_id``): a Pi is unplugged between
sessions, and a runner who forgot to pick themselves again after a reboot would have
their sets logged under nobody and counted with the device's targets instead of their
own. And where a guided session had got to (``guided``: its programme, stage and results;
``firmware.guided.GuidedHub.snapshot``), so that a power cut in the middle of the
programme does not send the runner back to the warm-up. It is device state, not health
data, so it lives in ``device-state.json`` in the data directory and not in the session
log (it does not travel in backups; a restore or "delete all" sets the runner back to
nobody).

The file is replaced atomically (written beside, flushed, renamed). A file that cannot be
read or parsed is reported once and treated as empty: remembering is a convenience, and
the device must start anyway. A failed write is logged, never raised: choosing a runner
works whether or not it can be remembered.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "device-state.json"


class DeviceState:
    """A small JSON object of remembered values in one file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, log_path: str | os.PathLike[str]) -> DeviceState:
        """The state file in the same folder as the session log at ``log_path``."""
        return cls(Path(log_path).parent / FILE_NAME)

    def load(self) -> dict[str, Any]:
        """Everything remembered (``{}`` when nothing is, or the file is unreadable)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as err:
            log.warning("cannot read %s (%s): starting without remembered state", self.path, err)
            return {}
        try:
            data = json.loads(text)
        except ValueError as err:
            log.warning("%s is not valid JSON (%s): starting without remembered state",
                        self.path, err)
            return {}
        if not isinstance(data, dict):
            log.warning("%s does not hold a JSON object: starting without remembered state",
                        self.path)
            return {}
        return data

    def get_runner_id(self) -> int | None:
        """The remembered current runner's id, or ``None``."""
        value = self.load().get("runner_id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def remember(self, **values: Any) -> bool:
        """Store ``values`` over what is remembered; False (logged) if it could not be written."""
        data = {**self.load(), **values}
        temp = self.path.with_name(self.path.name + ".tmp")
        try:
            with temp.open("w", encoding="utf-8") as out:
                json.dump(data, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except OSError as err:
            log.warning("cannot write %s (%s): this choice is not remembered over a restart",
                        self.path, err)
            temp.unlink(missing_ok=True)
            return False
        return True
