"""Resident memory of the running service: after start, after a run, growth per hour.

Run: ``python -m benchmarks.memory [--minutes 3]`` (prints figures; nothing is asserted).

Method. ``insole-monitor serve --source emulated`` runs in a subprocess as a user starts
it (the simulated foot doing its looping set of holds at 100 frames per second). Once the
first frame is served, its resident set size (``VmRSS``) is the "after start" figure. Then
the service is used as on a tablet for the rest of the run: a set is running (every frame
goes to the session log, holds are counted and written) and is stopped and a new one
started every minute, and one live page's SSE stream is open and read. The resident size
is sampled every few seconds; growth per hour is the least-squares slope over the second
half of the run (the first two or three minutes fill SQLite's page caches and the
allocator's pools, then the size levels off) times 3600. A shortened run stands in for the
hour: at real time the service does in 6 minutes what it does in every 6 minutes of an
hour, so a leak per frame, per hold or per set shows in the slope. Beside it: a bare
interpreter that imports the same modules, to show how much of the service's size is the
libraries alone.
"""

from __future__ import annotations

import argparse
import selectors
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.startup import REPO, ServiceProcess

MB = 1e6
SIZE_TARGET_MB = 150.0
"""Our target: well under a third of a Pi Zero 2's 512 MB, leaving room for the system."""
GROWTH_TARGET_MB_PER_H = 5.0
"""Our target: the service runs for weeks unattended; 5 MB/h is 840 MB a week only if
nobody ever restarts it, and a real leak grows far faster than that in this test."""
SET_EVERY_S = 60.0
SETTLE_SHARE = 0.5
"""The slope is fitted over the second half of the run: in the first two or three minutes
the resident size climbs by about 2 MB (SQLite's page caches, the allocator's per-thread
pools) and then levels off, which is not growth an hour would repeat."""


@dataclass(frozen=True)
class MemoryFigures:
    """Resident sizes in bytes and the growth rate."""

    after_start: int
    after_run: int
    peak: int
    run_s: float
    growth_bytes_per_h: float
    samples: int
    imports_only: int
    curve: tuple[tuple[float, int], ...]
    """(seconds since start, resident bytes) of every sample."""

    def curve_text(self, every_s: float = 30.0) -> str:
        """The resident size over the run, one reading per ``every_s`` seconds."""
        shown, next_s = [], 0.0
        for t_s, size in self.curve:
            if t_s >= next_s:
                shown.append(f"{t_s:.0f} s {size / MB:.1f} MB")
                next_s = t_s + every_s
        return ", ".join(shown)


def _open_stream(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET /api/stream HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    sock.setblocking(False)
    return sock


def imports_only_rss() -> int:
    """Resident size of an interpreter that imports the service's modules and idles."""
    code = (
        "import firmware.service, waitress, pathlib\n"
        "for line in pathlib.Path('/proc/self/status').read_text().splitlines():\n"
        "    if line.startswith('VmRSS:'): print(int(line.split()[1]) * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


def measure(run_s: float = 360.0, sample_every_s: float = 5.0) -> MemoryFigures:
    """Run the service for ``run_s`` after start-up, sampling its resident size."""
    with ServiceProcess() as service:
        service.launch()
        service.wait_first_frame()
        after_start = service.rss_bytes()
        service.post_json("/api/set/start", {})
        stream = _open_stream(service.port)
        selector = selectors.DefaultSelector()
        selector.register(stream, selectors.EVENT_READ)
        times: list[float] = []
        sizes: list[int] = []
        start_s = time.monotonic()
        next_sample_s = start_s
        next_set_s = start_s + SET_EVERY_S
        try:
            while (now_s := time.monotonic()) < start_s + run_s:
                if now_s >= next_sample_s:
                    times.append(now_s - start_s)
                    sizes.append(service.rss_bytes())
                    next_sample_s += sample_every_s
                if now_s >= next_set_s:
                    service.post_json("/api/set/stop", {})
                    service.post_json("/api/set/start", {})
                    next_set_s += SET_EVERY_S
                # Drain the live stream as a page would (the service conflates frames, so
                # a slow reader is not what is measured here).
                for _key, _ in selector.select(timeout=min(0.2, max(0.0, next_sample_s - now_s))):
                    if not stream.recv(1 << 16):
                        raise RuntimeError("the service closed the live stream")
            times.append(time.monotonic() - start_s)
            sizes.append(service.rss_bytes())
        finally:
            selector.close()
            stream.close()
    t = np.asarray(times)
    rss = np.asarray(sizes, dtype=np.float64)
    settled = t >= run_s * SETTLE_SHARE
    if settled.sum() >= 2:
        slope_per_s = float(np.polyfit(t[settled], rss[settled], 1)[0])
    else:
        slope_per_s = float((rss[-1] - rss[0]) / max(t[-1] - t[0], 1e-9))
    return MemoryFigures(
        after_start=after_start,
        after_run=sizes[-1],
        peak=int(rss.max()),
        run_s=run_s,
        growth_bytes_per_h=slope_per_s * 3600.0,
        samples=len(sizes),
        imports_only=imports_only_rss(),
        curve=tuple(zip(times, sizes, strict=True)),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=6.0, help="length of the run (6)")
    args = parser.parse_args(argv)
    fig = measure(args.minutes * 60.0)
    print(
        f"after start {fig.after_start / MB:.1f} MB (target <= {SIZE_TARGET_MB:g}); "
        f"imports alone {fig.imports_only / MB:.1f} MB"
    )
    print(
        f"after {fig.run_s / 60:.1f} min {fig.after_run / MB:.1f} MB (peak {fig.peak / MB:.1f}); "
        f"growth {fig.growth_bytes_per_h / MB:+.2f} MB/h (target <= {GROWTH_TARGET_MB_PER_H:g}), "
        f"{fig.samples} samples"
    )
    print(f"resident size over the run: {fig.curve_text(max(5.0, fig.run_s / 12))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
