"""``insole-monitor serve`` as a user runs it: a real process, real signals, real files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firmware.device_state import DeviceState
from insole.programme import DEFAULT_PROGRAMME
from insole.runners import Runner, Runners
from insole.store import SessionLog


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {**os.environ, "INSOLE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("INSOLE_ADC_BACKEND", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "firmware.cli", "serve", "--port", str(port), "--no-gpio", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return proc, port


def wait_for_line(proc: subprocess.Popen[str], fragment: str, timeout_s: float = 30.0) -> str:
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if fragment in line:
            return "".join(seen)
    proc.kill()
    pytest.fail(f"no {fragment!r} in output:\n{''.join(seen)}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc, port = start(tmp_path, "--source", "emulated")
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def test_simulated_run_is_announced_and_stops_cleanly_on_sigterm(
    served: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    proc, port = served
    early = wait_for_line(proc, "dashboard on")
    assert "simulated foot" in early
    assert f"http://localhost:{port}/" in early
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest
    assert "SIGTERM" in rest
    with SessionLog(tmp_path / "sessions.sqlite3", read_only=True) as log:
        assert log.integrity_check() == ["ok"]


def test_hardware_source_without_a_bus_fails_with_a_clear_message(tmp_path: Path) -> None:
    proc, _ = start(tmp_path, "--source", "hardware")
    out, _ = proc.communicate(timeout=60)
    if Path("/dev/i2c-1").exists():
        pytest.skip("this machine has an I2C bus; the message is for machines without one")
    assert proc.returncode == 2
    assert "no I2C bus /dev/i2c-1" in out
    assert "raspi-config" in out
    assert "Traceback" not in out


def test_replay_needs_a_readable_recording(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,heel_n\n0,1\n")
    proc, _ = start(tmp_path, "--replay", str(bad))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "little_toe_n" in out
    assert "Traceback" not in out


def test_the_runner_and_the_guided_session_go_on_after_a_restart(tmp_path: Path) -> None:
    # What the previous run left: a runner in the log, the device's memory of them and of
    # a guided session two warm-up items in.
    with SessionLog(tmp_path / "sessions.sqlite3") as log:
        ana = Runners(log).add(Runner("Ana", "left"), datetime.now(UTC))
    kept = {"programme": DEFAULT_PROGRAMME.to_dict(), "position": 2, "results": []}
    state = DeviceState.beside(tmp_path / "sessions.sqlite3")
    assert state.remember(runner_id=ana.id, guided=kept)
    proc, port = start(tmp_path, "--source", "emulated")
    try:
        wait_for_line(proc, "dashboard on")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=10) as reply:
            status = json.load(reply)
        assert status["runner"]["id"] == ana.id
        assert status["runner"]["name"] == "Ana"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/guided", timeout=10) as reply:
            guided = json.load(reply)
        assert guided["active"] is True
        assert guided["position"] == 2
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
