"""Live latency and live page size, measured against the real service.

Starts ``insole-monitor serve`` on the emulated insole (a subprocess, loopback only), then

1. for 1, 4 and 8 simultaneous SSE clients: the delay from a frame being sampled (its
   ``t_s``, taken by the sampler from the system-wide monotonic clock) to its ``frame``
   event arriving in a client, 50th/95th/99th percentile, and the frame events per second
   each client receives;
2. the live page's total transfer size: the HTML and everything it loads (styles, script,
   icons, the manifest and the icons the manifest names), bodies and response headers.

The clients read their sockets from one thread with ``selectors`` and stamp each read as it
returns, so 8 clients do not fight over the interpreter while being measured. Targets
(docs/dashboard.md): p95 <= 50 ms with 8 clients, >= 20 events/s per client, page < 200 KB.

    python -m benchmarks.live_latency [--seconds 10] [--clients 1,4,8] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import selectors
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.browser.service import Service

LATENCY_P95_TARGET_MS = 50.0
RATE_TARGET_HZ = 20.0
PAGE_TARGET_BYTES = 200 * 1024
DEMO_SCRIPT = "rest 2; hold 9; rest 2; hold 5; rest 2"


@dataclass
class SseClient:
    """One non-blocking SSE connection; frame latencies are stamped on arrival."""

    host: str
    port: int
    sock: socket.socket = field(init=False)
    buffer: bytes = b""
    headers_done: bool = False
    latencies_s: list[float] = field(default_factory=list)
    frames: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    rcvbuf_bytes: int | None = None
    """A fixed receive buffer (set before connecting, which turns off Linux's growing it):
    a small device, or a client whose window must close soon once it stops reading."""

    def __post_init__(self) -> None:
        if self.rcvbuf_bytes is None:
            self.sock = socket.create_connection((self.host, self.port), timeout=5)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf_bytes)
            self.sock.settimeout(5)
            self.sock.connect((self.host, self.port))
        # HTTP/1.0: the body is the plain stream, no chunked framing to undo.
        self.sock.sendall(
            f"GET /api/stream HTTP/1.0\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.sock.setblocking(False)

    def read(self, now_s: float, measuring: bool) -> None:
        """Take what arrived; ``now_s`` is when the read returned."""
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("the service closed a live stream")
        self.buffer += data
        if not self.headers_done:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")):
                raise ConnectionError(head.decode(errors="replace"))
            self.headers_done, self.buffer = True, rest
        *blocks, self.buffer = self.buffer.split(b"\n\n")
        for block in blocks:
            if not block.startswith(b"event: frame\n"):
                continue
            data_line = block.split(b"\n", 2)[1]
            t_s = json.loads(data_line[len(b"data: ") :])["t_s"]
            if not measuring:
                continue
            self.latencies_s.append(now_s - t_s)
            self.frames += 1
            if self.first_frame_at is None:
                self.first_frame_at = now_s
            self.last_frame_at = now_s

    def rate_hz(self) -> float:
        """Frame events per second while measuring."""
        if self.first_frame_at is None or self.last_frame_at is None or self.frames < 2:
            return 0.0
        return (self.frames - 1) / (self.last_frame_at - self.first_frame_at)

    def close(self) -> None:
        """Hang up (the service notices at its next write)."""
        self.sock.close()

    def abort(self) -> None:
        """Drop the connection with a reset, as a tablet whose browser is killed."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def measure_latency(
    port: int, clients: int, seconds: float, warmup_s: float = 1.0
) -> dict[str, Any]:
    """Open ``clients`` streams at once and measure for ``seconds`` after a warm-up."""
    conns = [SseClient("127.0.0.1", port) for _ in range(clients)]
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    start = time.monotonic()
    end = start + warmup_s + seconds
    try:
        while (now := time.monotonic()) < end:
            for key, _ in selector.select(timeout=0.5):
                key.data.read(time.monotonic(), measuring=now >= start + warmup_s)
    finally:
        selector.close()
        for conn in conns:
            conn.close()
    latencies_ms = [1000.0 * s for conn in conns for s in conn.latencies_s]
    rates = [conn.rate_hz() for conn in conns]
    return {
        "clients": clients,
        "events": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p95_ms": percentile(latencies_ms, 95),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": max(latencies_ms, default=float("nan")),
        "rate_min_hz": min(rates),
        "rate_mean_hz": statistics.fmean(rates),
    }


class _Assets(HTMLParser):
    """URLs a page loads by itself: stylesheets, scripts, icons, manifest, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            self.urls.append(str(a["href"]))
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(str(a["src"]))


def _fetch(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        body = reply.read()
        head = f"HTTP/1.1 {reply.status}\r\n" + str(reply.headers)
        return len(body), body, head


def measure_page(base_url: str) -> dict[str, Any]:
    """Total bytes of the live page and every asset it (and its manifest) loads."""
    size, body, head = _fetch(base_url + "/")
    files = {"/": (size, len(head))}
    parser = _Assets()
    parser.feed(body.decode("utf-8"))
    pending = list(parser.urls)
    while pending:
        url = pending.pop(0)
        if url in files:
            continue
        size, body, head = _fetch(base_url + url)
        files[url] = (size, len(head))
        if url.endswith(".webmanifest"):
            folder = url.rsplit("/", 1)[0]
            pending += [f"{folder}/{icon['src']}" for icon in json.loads(body)["icons"]]
        if url.endswith(".css"):
            pending += re.findall(r"url\(['\"]?(/[^'\")]+)", body.decode("utf-8"))
    return {
        "files": {url: size for url, (size, _) in files.items()},
        "body_bytes": sum(size for size, _ in files.values()),
        "total_bytes": sum(size + head for size, head in files.values()),
    }


def run(seconds: float, client_counts: list[int]) -> dict[str, Any]:
    """Start the service, measure, stop it; returns every figure."""
    data_dir = Path(tempfile.mkdtemp(prefix="insole-bench-"))
    service = Service(data_dir, ["--source", "emulated", "--no-gpio", "--script", DEMO_SCRIPT])
    service.start()
    try:
        page = measure_page(service.url)
        latency = [measure_latency(service.port, n, seconds) for n in client_counts]
        status = json.loads(urllib.request.urlopen(service.url + "/api/status", timeout=5).read())
    finally:
        service.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"page": page, "latency": latency, "status": status}


def report(results: dict[str, Any]) -> str:
    """The figures as a text table with each target and pass/fail."""
    status = results["status"]
    lines = [
        "Live latency, frame sampled -> event received (loopback)",
        f"source: {status['source']['description']}; sampling {status['frame_rate_hz']:g} frames/s",
    ]
    lines.append(
        f"{'clients':>7} {'events':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'rate/client Hz':>15}"
    )
    for row in results["latency"]:
        lines.append(
            f"{row['clients']:>7} {row['events']:>7} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['max_ms']:>7.1f} "
            f"{row['rate_min_hz']:>6.1f} (min) {row['rate_mean_hz']:>5.1f}"
        )
    worst = max(results["latency"], key=lambda r: r["clients"])
    verdict = "PASS" if worst["p95_ms"] <= LATENCY_P95_TARGET_MS else "FAIL"
    lines.append(
        f"target p95 <= {LATENCY_P95_TARGET_MS:g} ms with {worst['clients']} clients: "
        f"{worst['p95_ms']:.1f} ms {verdict}"
    )
    rate_ok = all(r["rate_min_hz"] >= RATE_TARGET_HZ for r in results["latency"])
    verdict = "PASS" if rate_ok else "FAIL"
    lines.append(f"target >= {RATE_TARGET_HZ:g} events/s per client: {verdict}")
    page = results["page"]
    lines.append("Live page transfer")
    for url, size in page["files"].items():
        lines.append(f"  {size:>8} B  {url}")
    total = page["total_bytes"]
    verdict = "PASS" if total < PAGE_TARGET_BYTES else "FAIL"
    lines.append(
        f"  total {total} B with headers ({page['body_bytes']} B bodies); "
        f"target < {PAGE_TARGET_BYTES} B: {verdict}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per run")
    parser.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    results = run(args.seconds, counts)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
