"""Live streams that must end: a revoked tablet's, and one on a connection that stalled.

The revocation test runs the real service (``insole-monitor serve`` in a subprocess, real
waitress) with pairing on for the request: it names the device ``insole.local``, not a
loopback host, so the local-development exemption does not apply and the stream needs a
paired token. The token is issued in the service's own access database, as ``pair`` does.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from dashboard import sse
from dashboard.access.store import AccessStore
from firmware.broadcast import Broadcaster
from tests.browser.service import Service, running_service
from tests.dashboard.sse_text import FakeTime, parse_events

DEVICE_HOST = "insole.local"
READ_TIMEOUT_S = 60.0
"""Generous: the stream re-checks access every 5 s; a loaded machine may be slower."""


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    args = ["--source", "emulated", "--no-gpio", "--script", "hold 9; rest 2"]
    with running_service(args) as svc:
        yield svc


def request_stream(service: Service, token: str | None) -> socket.socket:
    """``GET /api/stream`` over HTTP/1.0 (the server closes the connection at its end)."""
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=READ_TIMEOUT_S)
    cookie = f"Cookie: insole_token={token}\r\n" if token else ""
    sock.sendall(
        f"GET /api/stream HTTP/1.0\r\nHost: {DEVICE_HOST}:{service.port}\r\n"
        f"Accept: text/event-stream\r\n{cookie}\r\n".encode()
    )
    return sock


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the stream before {marker!r}: {received[-300:]!r}"
        received += chunk
    return received


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_revoked_tablet_loses_its_open_stream(service: Service) -> None:
    store = AccessStore.in_data_dir(service.data_dir)
    issued = store.issue_token("test tablet", "code")
    sock = request_stream(service, issued.token)
    try:
        head = read_until(sock, b"event: frame")
        assert head.startswith(b"HTTP/1.0 200"), head[:200]
        store.revoke(issued.device.id)
        # Frames go on arriving until the next access check, then the stream ends
        # (recv raises TimeoutError after READ_TIMEOUT_S if it never does).
        rest = read_to_end(sock)
    finally:
        sock.close()
    assert rest.rstrip().endswith(b": access revoked")
    # The browser's reconnection is refused.
    retry = request_stream(service, issued.token)
    try:
        assert read_to_end(retry).startswith(b"HTTP/1.0 401")
    finally:
        retry.close()


def test_a_paired_tablet_keeps_its_stream_and_unpaired_ones_get_none(service: Service) -> None:
    store = AccessStore.in_data_dir(service.data_dir)
    issued = store.issue_token("kept tablet", "code")
    sock = request_stream(service, issued.token)
    stranger = request_stream(service, None)
    try:
        # Past several access checks (one frame is 40 ms; 200 frames are 8 s).
        received = b""
        while received.count(b"event: frame") < 200:
            chunk = sock.recv(65536)
            assert chunk, "the stream of a paired tablet ended"
            received += chunk
        assert b"access revoked" not in received
        assert read_to_end(stranger).startswith(b"HTTP/1.0 401")
    finally:
        sock.close()
        stranger.close()
        store.revoke(issued.device.id)


def test_access_is_asked_once_per_check_interval_and_a_no_ends_the_stream(
    hub: Broadcaster,
) -> None:
    fake = FakeTime()  # the test also steps it
    allowed = [True]
    asked: list[float] = []

    def still_allowed() -> bool:
        asked.append(fake.now_s)
        return allowed[0]

    stream = sse.live_stream(
        hub.subscribe,
        still_allowed=still_allowed,
        access_check_s=2.0,
        max_rate_hz=10.0,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    next(stream)
    for n in range(50):  # 5 s of frames at 10 per second
        hub.frame({"n": n})
        assert parse_events(next(stream)) == [("frame", {"n": n})]
    assert len(asked) == 2  # at 2 s and 4 s, not at every frame
    allowed[0] = False
    fake.now_s += 2.0  # the next check is due
    tail = list(stream)
    assert parse_events("".join(tail))[-1] == ("comment", "access revoked")
    assert hub.count == 0


def test_the_access_check_interval_must_be_positive(hub: Broadcaster) -> None:
    with pytest.raises(ValueError, match="access_check_s"):
        next(sse.live_stream(hub.subscribe, still_allowed=lambda: True, access_check_s=0.0))
    assert hub.count == 0


@pytest.mark.skipif(not hasattr(socket, "TCP_USER_TIMEOUT"), reason="needs Linux TCP_USER_TIMEOUT")
def test_stalled_connections_are_aborted_by_the_kernel_after_the_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert sse.abort_stalled_connections(listener, 7.5)
        option = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
        assert option == 7500
        # Accepted connections inherit it (that is what the service relies on).
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 7500


def test_a_socket_that_is_not_tcp_is_left_alone() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert sse.abort_stalled_connections(left) is False


def test_the_stall_timeout_must_be_positive() -> None:
    with socket.socket() as listener, pytest.raises(ValueError, match="timeout_s"):
        sse.abort_stalled_connections(listener, 0.0)
