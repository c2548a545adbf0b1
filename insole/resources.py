"""Resources are context managers whose ``close()`` is idempotent."""

from __future__ import annotations

from typing import Self


class Closeable:
    """Mixin: ``with resource:`` closes it on the way out, whatever happened inside."""

    def close(self) -> None:
        """Release the resource; calling it again does nothing."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
