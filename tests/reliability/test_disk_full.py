"""Disk full on a real small file system: logging pauses with a banner, the rest goes on.

The data directory is a 1 MiB tmpfs mounted for the test (root needed: CI runs as root
and fails with a clear message if the mount is refused; elsewhere the test is skipped).
A filler file takes the free space while a set runs; then it is deleted.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from insole.store import SessionLog, StorageFullError
from tests.reliability.rig import HOLD, REST, Device, piecewise
from tests.tmpfs_support import mounted_tmpfs

WAIT_S = 60.0  # bound on waiting for background work; never a measured figure


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "small", "1m") as mount_point:
        yield mount_point


def fill(directory: Path) -> Path:
    """Take every free byte of the file system with one file."""
    filler = directory / "filler.bin"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as out:
        code = 0
        while not code:
            try:
                out.write(block)
            except OSError as err:
                code = err.errno or -1
    assert code == errno.ENOSPC
    return filler


def wait_until(device: Device, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert device.sampler.running, "the sampler thread died"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def banner_keys(device: Device) -> set[str]:
    return {b["key"] for b in device.monitor.status()["banners"]}


def test_full_disk_pauses_logging_visibly_and_resumes(small_filesystem: Path) -> None:
    device = Device(small_filesystem, piecewise([(2.0, REST), (9.0, HOLD)]))
    try:
        first = device.monitor.start_set()
        device.run_until(30.0)
        device.monitor.stop_set()
        written_holds = device.log.holds(first)
        assert written_holds
        second = device.monitor.start_set()
        filler = fill(small_filesystem)
        wait_until(device, lambda: "logging_paused" in banner_keys(device), "the banner")
        status = device.monitor.status()
        assert "disk full" in (status["logging"]["message"] or "")
        assert status["logging"]["ok"] is False
        # Live view and counting go on while nothing can be written.
        frames_before = device.probe.frames
        correct_before = device.monitor.latest()["set"]["correct"]  # type: ignore[index]
        target = device.clock.monotonic() - device.origin_s + 40.0
        device.run_until(target)
        assert device.probe.frames > frames_before + 3000
        assert device.monitor.latest()["set"]["correct"] >= correct_before + 3  # type: ignore[index]
        # What was written before is intact.
        assert device.log.integrity_check() == ["ok"]
        assert device.log.holds(first) == written_holds
        # Space returns: logging resumes by itself and the banner goes.
        filler.unlink()
        wait_until(device, lambda: "logging_paused" not in banner_keys(device), "resume")
        summary = device.monitor.stop_set()
        holds = device.log.holds(second)
        # Every hold counted during the full disk was logged once space returned.
        assert sum(h.outcome == "correct" for h in holds) == summary["correct"] >= 3
        frames = device.log.frames_array(second)
        steps = frames[1:, 0] - frames[:-1, 0]
        assert steps.min() > 0
        # No second of the set is missing (the backlog waited in memory).
        assert steps.max() < 0.5
        assert device.log.integrity_check() == ["ok"]
    finally:
        device.close()


def test_shutdown_while_the_disk_is_full_ends_cleanly(small_filesystem: Path) -> None:
    """SIGTERM while full: close() must not raise or leave the writer thread running.

    The session keeps what was written and is marked interrupted at the next start.
    """
    device = Device(small_filesystem, piecewise([(2.0, REST), (9.0, HOLD)]))
    closed = False
    try:
        session_id = device.monitor.start_set()
        device.run_until(12.0)
        fill(small_filesystem)
        wait_until(device, lambda: "logging_paused" in banner_keys(device), "the banner")
        closed = True
        # The log says what it could not write; the conftest fails a leaked thread.
        with pytest.raises(StorageFullError, match="disk is full"):
            device.close()
    finally:
        if not closed:
            device.close()
    (small_filesystem / "filler.bin").unlink()
    with SessionLog(small_filesystem / "sessions.sqlite3") as log:
        assert log.integrity_check() == ["ok"]
        assert log.get_session(session_id).status in ("interrupted", "completed")
        assert log.frames_array(session_id).shape[0] > 0
