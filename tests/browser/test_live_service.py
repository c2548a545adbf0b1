"""The event stream over the real server (waitress in the real service), without a browser."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.live_page import wait_for
from tests.browser.service import Service, running_service


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    with running_service(
        ["--source", "emulated", "--no-gpio", "--script", "hold 9; rest 2"]
    ) as svc:
        yield svc


def open_stream(service: Service) -> tuple[socket.socket, bytes]:
    """A raw HTTP/1.1 stream request; returns the socket and what arrived first."""
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=5)
    sock.sendall(
        b"GET /api/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    )
    received = b""
    while b"insole live stream" not in received:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the stream"
        received += chunk
    return sock, received


def subscribers(service: Service) -> int:
    with urllib.request.urlopen(service.url + "/api/status", timeout=5) as reply:
        count: int = json.load(reply)["subscribers"]
        return count


def test_stream_starts_at_once_with_the_right_headers(service: Service) -> None:
    sock, received = open_stream(service)
    try:
        head = received.split(b"\r\n\r\n", 1)[0].decode().lower()
        assert head.startswith("http/1.1 200")
        assert "content-type: text/event-stream" in head
        assert "cache-control: no-cache" in head
        assert "x-accel-buffering: no" in head
        while b"event: frame" not in received:
            received += sock.recv(65536)
    finally:
        sock.close()


def test_a_vanished_client_frees_its_stream(service: Service) -> None:
    # Nothing else streams from this module's service once earlier tests hung up.
    wait_for("earlier streams to end", lambda: subscribers(service) == 0)
    socks = [open_stream(service)[0] for _ in range(3)]
    assert subscribers(service) == 3
    for sock in socks:
        # An abortive close (RST), as when a tablet drops off the network and comes back.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    # The next frame write fails, waitress closes the generator, the subscription goes.
    wait_for("the streams to be freed", lambda: subscribers(service) == 0)


def test_many_streams_do_not_starve_page_requests(service: Service) -> None:
    socks = [open_stream(service)[0] for _ in range(12)]
    try:
        with urllib.request.urlopen(service.url + "/", timeout=5) as reply:
            assert reply.status == 200
        with urllib.request.urlopen(service.url + "/api/live", timeout=5) as reply:
            assert json.load(reply)["frame"] is not None
    finally:
        for sock in socks:
            sock.close()
