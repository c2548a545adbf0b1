"""The real service in a subprocess, for browser tests and benchmarks.

It runs as ``python -m firmware.cli serve`` on a free loopback port, exactly as a user
starts it, and can be killed and started again on the same port to test reconnection.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """``insole-monitor serve`` in a subprocess; start, kill and start again."""

    def __init__(self, data_dir: Path, args: Sequence[str], port: int | None = None) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "service.log"
        self.launched_s = 0.0
        """Monotonic time just before the last launch."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "firmware.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]

    def launch(self) -> None:
        """Start the process and return at once; ``launched_s`` is the time just before."""
        assert self.proc is None, "already running"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # The source is the one on the command line, whatever the caller's environment says.
        env.pop("INSOLE_ADC_BACKEND", None)
        with self.log_path.open("ab") as log:
            self.launched_s = time.monotonic()
            self.proc = subprocess.Popen(
                self.command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def start(self) -> None:
        """Launch and wait until the service answers ``/api/status``."""
        self.launch()
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"service exited at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"service did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the process (SIGTERM: a clean shutdown, as systemd does) and reap it."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop(signal.SIGKILL)
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def running_service(args: Sequence[str]) -> Iterator[Service]:
    """A started service over a fresh data directory; stopped and removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="insole-browser-"))
    service = Service(data_dir, args)
    service.start()
    try:
        yield service
    finally:
        service.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
