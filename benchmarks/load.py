"""Load: tablets streaming the live page while review pages and exports are fetched.

    python -m benchmarks.load [--minutes 10] [--clients 10] [--rate 50] [--sessions 6] [--json]

Prints figures with the targets beside them; nothing is asserted (the short version in
``tests/reliability/test_load.py`` asserts what does not depend on timing).

Method. A data directory gets a few logged sessions (a simulated foot's holds, written with
the real ``SessionLog``), then ``insole-monitor serve --source emulated`` runs on it in a
subprocess on a free loopback port, as a user starts it, and a set is started (tablets
watch an exercise). Pairing is off: a simulated insole served on loopback only.

1. Idle (``--idle-s``): nothing but a status poll once a second; ``frame_rate_hz`` of
   ``/api/status`` (frames sampled over the last second) gives the idle sampling rate.
2. Load (``--minutes``): ``--clients`` SSE clients read ``/api/stream`` in this process,
   from one thread with ``selectors`` (``benchmarks.live_latency``'s client: a frame's
   latency is the arrival time minus its ``t_s``, both on the system-wide monotonic clock),
   while a second process sends ``--rate`` requests a second, on a fixed schedule (a late
   answer does not slow the schedule down), over keep-alive connections, cycling through
   review pages, the JSON API and exports of the logged sessions. Any answer but 2xx is a
   failure. The status poll goes on: sampling rate under load, subscribers, resident size.
3. Dead clients: some clients are reset (``SO_LINGER`` 0, as a killed browser), some stop
   reading and keep their connection open (a frozen tab; they connected with a 16 KiB
   receive buffer, so their window shuts within a second or two instead of after Linux's
   buffer has grown to megabytes). The time until ``subscribers`` in ``/api/status``
   drops is measured for each kind; the other clients go on reading meanwhile. Then all
   close and the count must come back to the idle baseline.

Resident size (``VmRSS``) is read at the start and at the end of the load phase.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import http.client
import json
import multiprocessing
import selectors
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.live_latency import SseClient, percentile
from benchmarks.review_render import BEGUN, simulated_session
from benchmarks.startup import ServiceProcess
from insole.settings import Settings
from insole.store import SessionLog
from tests.dashboard.review_support import record_session

MB = 1e6
RATE_DROP_TARGET_PCT = 2.0
LATENCY_P95_TARGET_MS = 50.0
GROWTH_TARGET_MB = 10.0
STALL_RCVBUF_BYTES = 16 * 1024
LATE_S = 0.1
"""A request sent more than this after its slot counts as late (every worker was waiting
for an answer)."""
SKIP_S = 1.0
"""A request that could not be sent within this time of its slot is skipped (counted)."""
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


@dataclass(frozen=True)
class LoadPlan:
    """What to run; the defaults are the figures of the load target."""

    minutes: float = 10.0
    clients: int = 10
    rate_hz: float = 50.0
    idle_s: float = 30.0
    sessions: int = 6
    session_minutes: float = 3.0
    aborted: int = 3
    stalled: int = 2
    workers: int = 8
    free_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.aborted + self.stalled > self.clients:
            raise ValueError("aborted + stalled clients must not exceed --clients")
        if min(self.minutes, self.rate_hz, self.idle_s, self.session_minutes) <= 0:
            raise ValueError("minutes, rate, idle time and session length must be positive")
        if self.clients < 1 or self.sessions < 1 or self.workers < 1:
            raise ValueError("clients, sessions and workers must be at least 1")


# -- the data directory -------------------------------------------------------------------


def make_sessions(path: Path, count: int, minutes: float) -> list[int]:
    """``count`` finished arch-hold sessions of ``minutes`` each in a new session log."""
    settings = Settings()
    frames, holds = simulated_session(minutes, 3, settings)
    with SessionLog(path) as log:
        return [
            record_session(
                log,
                started_at=BEGUN + timedelta(days=n),
                frames=frames,
                holds=holds,
                settings=settings,
            )
            for n in range(count)
        ]


def request_cycle(session_ids: list[int]) -> list[str]:
    """The requests sent in turn: 4 in 10 review pages, 3 JSON API, 3 exports."""
    cycle = []
    for n, sid in enumerate(session_ids):
        big_export = f"/review/{sid}/frames.csv" if n % 2 else f"/api/sessions/{sid}/frames"
        cycle += [
            "/review/",
            f"/review/{sid}",
            f"/review/{sid}/report",
            "/review/trend",
            "/api/sessions",
            f"/api/sessions/{sid}",
            "/api/sessions/weekly",
            f"/review/{sid}/holds.csv",
            f"/review/{sid}/session.json",
            big_export,
        ]
    return cycle


def kind_of(path: str) -> str:
    """``export`` (a download), ``api`` (JSON) or ``page`` (HTML)."""
    if path.endswith((".csv", ".json", "/frames")):
        return "export"
    return "api" if path.startswith("/api/") else "page"


# -- the request generator (runs in its own process) ---------------------------------------


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[str, int]:
    """GET ``path`` as a browser would; the status and the body's size."""
    accept = HTML if kind_of(path) == "page" else "*/*"
    conn.request("GET", path, headers={"Accept": accept})
    reply = conn.getresponse()
    return str(reply.status), len(reply.read())


def drive_requests(
    port: int, paths: list[str], rate_hz: float, seconds: float, workers: int
) -> dict[str, Any]:
    """Send ``rate_hz`` GETs a second for ``seconds``, cycling through ``paths``.

    Request ``n`` is due at ``n / rate_hz``; the next free worker (each with its own
    keep-alive connection, as a browser has a few) takes it and waits for it to be due.
    A request whose slot is more than ``SKIP_S`` past when a worker gets to it is not sent
    but counted as skipped: the service was answering more slowly than requests came, and
    a backlog would only move the load past the end of the run. Runs in a child process
    so that its work does not share an interpreter lock with the SSE clients being timed.
    Returns latencies (ms) by kind, status counts and failures.
    """
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"page": [], "api": [], "export": []}
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    counts = Counter[str]()
    total = round(rate_hz * seconds)
    next_slot = [0]
    start_s = time.monotonic()

    def take_slot() -> int | None:
        with lock:
            n = next_slot[0]
            next_slot[0] += 1
        return n if n < total else None

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while (n := take_slot()) is not None:
                due_s = start_s + n / rate_hz
                if (delay_s := due_s - time.monotonic()) > 0:
                    time.sleep(delay_s)
                sent_s = time.monotonic()
                if sent_s - due_s > SKIP_S:
                    with lock:
                        counts["skipped"] += 1
                    continue
                path = paths[n % len(paths)]
                try:
                    status, size = _get(conn, path)
                except (OSError, http.client.HTTPException) as err:
                    conn.close()
                    status, size = type(err).__name__, 0
                elapsed_ms = (time.monotonic() - sent_s) * 1000.0
                with lock:
                    statuses[status] += 1
                    latencies[kind_of(path)].append(elapsed_ms)
                    counts["bytes"] += size
                    counts["late"] += sent_s - due_s > LATE_S
                    if not status.startswith("2") and len(failures) < 20:
                        failures.append(f"{path}: {status}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, name=f"request-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed_s = time.monotonic() - start_s
    answered = sum(statuses.values())
    return {
        "due": total,
        "sent": answered,
        "skipped": counts["skipped"],
        "seconds": elapsed_s,
        "rate_hz": answered / elapsed_s,
        "statuses": dict(statuses),
        "failures": failures,
        "late": counts["late"],
        "bytes": counts["bytes"],
        "latency_ms": {k: v for k, v in latencies.items() if v},
    }


# -- status and resident size of the service -----------------------------------------------


@dataclass
class StatusLog:
    """``/api/status`` and the resident size, polled once a second by a daemon thread."""

    service: ServiceProcess
    samples: list[tuple[float, float, int, int]] = field(default_factory=list)
    """(monotonic s, frame_rate_hz, subscribers, rss bytes)"""
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin polling."""
        self._thread = threading.Thread(target=self._run, name="status-poll", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                status = self.service.get_json("/api/status")
            except OSError as err:
                self.errors.append(f"/api/status: {err}")
                continue
            assert isinstance(status, dict)
            self.samples.append(
                (
                    time.monotonic(),
                    float(status["frame_rate_hz"]),
                    int(status["subscribers"]),
                    self.service.rss_bytes(),
                )
            )

    def stop(self) -> None:
        """End polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def rates(self, start_s: float, end_s: float) -> list[float]:
        """Sampling rates read between two times."""
        return [rate for t, rate, _, _ in self.samples if start_s <= t <= end_s]


def subscribers(service: ServiceProcess) -> int:
    """The service's open live subscriptions now."""
    status = service.get_json("/api/status")
    assert isinstance(status, dict)
    return int(status["subscribers"])


class LiveClients:
    """The SSE clients, read from one thread as they arrive."""

    def __init__(self, port: int, count: int, stalled: int) -> None:
        self.selector = selectors.DefaultSelector()
        # The clients that will later stop reading connect with a small fixed buffer.
        self.clients = [
            SseClient("127.0.0.1", port, rcvbuf_bytes=STALL_RCVBUF_BYTES if n < stalled else None)
            for n in range(count)
        ]
        self.reading = set(range(count))
        self.ended_by_service: list[str] = []
        for n, client in enumerate(self.clients):
            self.selector.register(client.sock, selectors.EVENT_READ, n)

    def pump(self, seconds: float, measuring: bool = True) -> None:
        """Read whatever arrives for ``seconds``."""
        end_s = time.monotonic() + seconds
        while (left_s := end_s - time.monotonic()) > 0:
            if not self.reading:
                time.sleep(left_s)
                return
            for key, _ in self.selector.select(timeout=min(left_s, 0.5)):
                try:
                    self.clients[key.data].read(time.monotonic(), measuring=measuring)
                except ConnectionError as err:
                    # A stream of a client that was reading must not end: a failure.
                    self.ended_by_service.append(f"client {key.data}: {err}")
                    self.stop_reading(key.data)

    def stop_reading(self, n: int, *, abort: bool = False) -> None:
        """Stop reading client ``n``; reset its connection when ``abort``, else leave it open."""
        if n in self.reading:
            self.reading.discard(n)
            self.selector.unregister(self.clients[n].sock)
        if abort:
            self.clients[n].abort()

    def close(self) -> None:
        """Hang up every client (a normal close)."""
        for n, client in enumerate(self.clients):
            self.stop_reading(n)
            client.close()
        self.selector.close()


def wait_for_subscribers(
    service: ServiceProcess, clients: LiveClients, at_most: int, timeout_s: float
) -> float | None:
    """Seconds until ``subscribers <= at_most`` (reading the live clients meanwhile)."""
    start_s = time.monotonic()
    while time.monotonic() - start_s < timeout_s:
        if subscribers(service) <= at_most:
            return time.monotonic() - start_s
        clients.pump(0.1)
    return None


# -- the run ---------------------------------------------------------------------------------


def run(plan: LoadPlan) -> dict[str, Any]:
    """Run the whole plan against a fresh service; returns every figure."""
    results: dict[str, Any] = {"plan": dataclasses.asdict(plan)}
    with ServiceProcess(("--source", "emulated")) as service:
        started_s = time.monotonic()
        ids = make_sessions(
            service.data_dir / "sessions.sqlite3", plan.sessions, plan.session_minutes
        )
        results["setup_s"] = time.monotonic() - started_s
        service.launch()
        service.wait_first_frame()
        service.post_json("/api/set/start", {})
        status = StatusLog(service)
        status.start()
        try:
            results.update(_phases(plan, service, status, ids))
        finally:
            status.stop()
            results["status_errors"] = status.errors
            results["service_log"] = service.log_tail()[-2000:]
    return results


IDLE_SETTLE_S = 3.0
"""Seconds after start before the idle rate is read."""


def _phases(
    plan: LoadPlan, service: ServiceProcess, status: StatusLog, ids: list[int]
) -> dict[str, Any]:
    # The sampler reports its rate over whole seconds: skip its first ones (and the set's
    # start) so that the idle rate is not diluted by a reading of 0.
    time.sleep(IDLE_SETTLE_S)
    idle_start_s = time.monotonic()
    baseline = subscribers(service)
    time.sleep(plan.idle_s)
    idle_end_s = time.monotonic()
    load_s = plan.minutes * 60.0
    clients = LiveClients(service.port, plan.clients, plan.stalled)
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        try:
            clients.pump(1.0, measuring=False)  # connect and catch up
            rss_start = service.rss_bytes()
            load_start_s = time.monotonic()
            requests = pool.submit(
                drive_requests, service.port, request_cycle(ids), plan.rate_hz, load_s,
                plan.workers,
            )
            clients.pump(load_s)
            load_end_s = time.monotonic()
            rss_end = service.rss_bytes()
            while not requests.done():  # the clients go on reading meanwhile
                clients.pump(0.2)
            request_figures = requests.result()
            connected = subscribers(service)
            dead = _kill_clients(plan, service, clients)
        finally:
            clients.close()
        after_close = wait_for_subscribers(service, clients, baseline, plan.free_timeout_s)
    return {
        "baseline_subscribers": baseline,
        "connected_subscribers": connected,
        "idle_rates": status.rates(idle_start_s, idle_end_s),
        "load_rates": status.rates(load_start_s + 1.0, load_end_s),
        "load_s": load_end_s - load_start_s,
        "rss_start": rss_start,
        "rss_end": rss_end,
        "rss_curve": [(t - load_start_s, rss) for t, _, _, rss in status.samples],
        "clients": [_client_figures(c) for c in clients.clients],
        "ended_by_service": clients.ended_by_service,
        "requests": request_figures,
        "dead": dead,
        "all_closed_freed_s": after_close,
        "served_after": _still_serves(service),
    }


def _kill_clients(plan: LoadPlan, service: ServiceProcess, clients: LiveClients) -> dict[str, Any]:
    stalled = range(plan.stalled)
    aborted = range(plan.stalled, plan.stalled + plan.aborted)
    live = subscribers(service)
    figures: dict[str, Any] = {"aborted": len(aborted), "stalled": len(stalled)}
    for n in aborted:
        clients.stop_reading(n, abort=True)
    figures["aborted_freed_s"] = wait_for_subscribers(
        service, clients, live - len(aborted), plan.free_timeout_s
    )
    for n in stalled:
        clients.stop_reading(n)
    figures["stalled_freed_s"] = wait_for_subscribers(
        service, clients, live - len(aborted) - len(stalled), plan.free_timeout_s
    )
    figures["left"] = subscribers(service)
    return figures


def _still_serves(service: ServiceProcess) -> bool:
    reply = service.get_json("/api/live")
    return isinstance(reply, dict) and reply.get("frame") is not None


def _client_figures(client: SseClient) -> dict[str, Any]:
    latencies_ms = [1000.0 * s for s in client.latencies_s]
    return {
        "events": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p95_ms": percentile(latencies_ms, 95),
        "max_ms": max(latencies_ms, default=float("nan")),
        "rate_hz": client.rate_hz(),
    }


# -- the report ---------------------------------------------------------------------------


def rate_drop_pct(results: dict[str, Any]) -> float:
    """How much lower the mean sampling rate was under load than idle, in percent."""
    idle = statistics.fmean(results["idle_rates"])
    return 100.0 * (idle - statistics.fmean(results["load_rates"])) / idle


def all_latencies_p95_ms(results: dict[str, Any]) -> float:
    """The worst client's 95th percentile."""
    return float(max(c["p95_ms"] for c in results["clients"]))


def failed_requests(results: dict[str, Any]) -> int:
    """Answers that were not 2xx (errors and broken connections included)."""
    statuses: dict[str, int] = results["requests"]["statuses"]
    return sum(n for status, n in statuses.items() if not status.startswith("2"))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, Any]) -> str:
    """Every figure as text, with the targets and PASS/FAIL."""
    plan = results["plan"]
    req = results["requests"]
    idle, load = results["idle_rates"], results["load_rates"]
    drop = rate_drop_pct(results)
    lines = [
        f"Load: {plan['clients']} live streams + {plan['rate_hz']:g} requests/s for "
        f"{results['load_s'] / 60:.1f} min (loopback; {plan['sessions']} logged sessions of "
        f"{plan['session_minutes']:g} min; a set running)",
        f"sampling rate idle {statistics.fmean(idle):.2f}/s (min {min(idle):g}, "
        f"{len(idle)} readings), under load {statistics.fmean(load):.2f}/s (min {min(load):g}, "
        f"{len(load)} readings): drop {drop:.2f} % "
        f"(target <= {RATE_DROP_TARGET_PCT:g} %) {_verdict(drop <= RATE_DROP_TARGET_PCT)}",
        "live streams, sampled -> event received:",
        f"  {'client':>6} {'events':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>8} {'ev/s':>6}",
    ]
    for ended in results["ended_by_service"]:
        lines.append(f"  stream ended by the service while read: {ended}")
    for n, c in enumerate(results["clients"]):
        lines.append(
            f"  {n:>6} {c['events']:>7} {c['p50_ms']:>7.1f} {c['p95_ms']:>7.1f} "
            f"{c['max_ms']:>8.1f} {c['rate_hz']:>6.1f}"
        )
    worst = all_latencies_p95_ms(results)
    lines.append(
        f"  worst client p95 {worst:.1f} ms (target <= {LATENCY_P95_TARGET_MS:g} ms) "
        f"{_verdict(worst <= LATENCY_P95_TARGET_MS)}"
    )
    failed = failed_requests(results)
    lines.append(
        f"requests: {req['sent']} of {req['due']} answered ({req['rate_hz']:.1f}/s), "
        f"{req['skipped']} skipped (not sent within {SKIP_S:g} s of their slot: the answers "
        f"came slower), {req['late']} sent more than {LATE_S * 1000:g} ms late, "
        f"{req['bytes'] / MB:.0f} MB received; statuses {req['statuses']}; "
        f"non-2xx {failed} {_verdict(failed == 0)}"
    )
    for kind, values in req["latency_ms"].items():
        lines.append(
            f"  {kind:<7} {len(values):>6} requests  p50 {percentile(values, 50):7.1f} ms  "
            f"p95 {percentile(values, 95):7.1f} ms  max {max(values):8.1f} ms"
        )
    for failure in req["failures"][:5]:
        lines.append(f"  failed: {failure}")
    growth_mb = (results["rss_end"] - results["rss_start"]) / MB
    lines.append(
        f"resident size at the start of the load {results['rss_start'] / MB:.1f} MB, at the "
        f"end {results['rss_end'] / MB:.1f} MB: growth {growth_mb:+.1f} MB "
        f"(target < {GROWTH_TARGET_MB:g} MB) {_verdict(growth_mb < GROWTH_TARGET_MB)}"
    )
    curve = [(t, rss) for t, rss in results["rss_curve"] if t >= 0.0]
    step = max(1, len(curve) // 10)
    lines.append(
        "  resident size during the load: "
        + ", ".join(f"{t:.0f} s {rss / MB:.1f} MB" for t, rss in curve[::step])
    )
    dead = results["dead"]
    lines.append(
        f"dead clients ({results['connected_subscribers']} subscribers under load): "
        f"{dead['aborted']} reset -> freed after {_seconds(dead['aborted_freed_s'])}; "
        f"{dead['stalled']} stopped reading ({STALL_RCVBUF_BYTES // 1024} KiB receive "
        f"buffer) -> freed after {_seconds(dead['stalled_freed_s'])}; {dead['left']} left"
    )
    lines.append(
        f"all closed: subscribers back to {results['baseline_subscribers']} after "
        f"{_seconds(results['all_closed_freed_s'])}; the service still serves frames: "
        f"{results['served_after']}"
    )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "NOT FREED" if value is None else f"{value:.1f} s"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load")
    parser.add_argument("--clients", type=int, default=10, help="live streams")
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second")
    parser.add_argument("--idle-s", type=float, default=30.0, help="idle measuring time")
    parser.add_argument(
        "--sessions",
        type=int,
        default=LoadPlan.sessions,
        help="finished sessions the requests cycle through (more than the session cache "
        "holds, about nine of 3 minutes, measures review requests that are computed every time)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    plan = LoadPlan(
        minutes=args.minutes,
        clients=args.clients,
        rate_hz=args.rate,
        idle_s=args.idle_s,
        sessions=args.sessions,
    )
    results = run(plan)
    print(json.dumps(results, indent=2) if args.json else report(results))
    ok = (
        rate_drop_pct(results) <= RATE_DROP_TARGET_PCT
        and all_latencies_p95_ms(results) <= LATENCY_P95_TARGET_MS
        and failed_requests(results) == 0
        and (results["rss_end"] - results["rss_start"]) / MB < GROWTH_TARGET_MB
        and results["dead"]["stalled_freed_s"] is not None
        and results["dead"]["aborted_freed_s"] is not None
        and results["all_closed_freed_s"] is not None
        and not results["ended_by_service"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
