"""A real small file system for disk-full tests: a tmpfs mounted for one test."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (mount's syntax: "256k", "1m") at ``mount_point``, then unmount.

    Mounting needs root: CI runs as root and fails with the reason if the mount is refused;
    elsewhere the test is skipped with it.
    """
    mount_point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        refused = result.stderr.strip() if result.returncode else ""
    except FileNotFoundError as err:
        refused = str(err)
    if refused:
        reason = (
            f"cannot mount a tmpfs for the disk-full test (needs root and mount rights): {refused}"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
