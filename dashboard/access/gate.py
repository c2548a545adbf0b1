"""Who may see what: the pairing gate run before every request.

A request passes when it carries a valid device token (``insole_token`` cookie), or when it
asks for one of the few public things (the pairing page, static files, ``/healthz``), or
when local development without pairing is switched on and the request really is local.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Request

TOKEN_COOKIE = "insole_token"
# Static files are the app's published source, identical on every device: nothing personal.
PUBLIC_ENDPOINTS = frozenset({"access.pair", "access.pair_submit", "access.healthz", "static"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
JSON_TYPES = ("application/json", "text/event-stream")


def is_loopback_address(address: str | None) -> bool:
    """Whether a peer address is on this machine (IPv4-mapped IPv6 included)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _host_name(host: str) -> str:
    """The host of a ``Host`` header without its port (``[::1]:5000`` -> ``::1``)."""
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return ""
    return (name or "").lower()


def local_bind(config: Mapping[str, object]) -> bool:
    """Whether the service says it listens on the loopback interface only."""
    host = str(config.get("INSOLE_BIND_HOST") or "").strip("[]").lower()
    return host in LOOPBACK_NAMES


def local_skip_configured(config: Mapping[str, object]) -> bool:
    """Pairing is switched off for local development (both settings must agree)."""
    return bool(config.get("INSOLE_ALLOW_LOCAL_WITHOUT_PAIRING")) and local_bind(config)


def local_skip_applies(config: Mapping[str, object], req: Request) -> bool:
    """Skip pairing for this request: configured, from a loopback peer, to a loopback name.

    The ``Host`` check stops DNS rebinding: a web page on another site whose name was made
    to resolve to 127.0.0.1 would otherwise read the dashboard through the user's browser.
    """
    return (
        local_skip_configured(config)
        and is_loopback_address(req.remote_addr)
        and _host_name(req.host) in LOOPBACK_NAMES
    )


def wants_json(req: Request) -> bool:
    """Answer in JSON: API paths, JSON or event-stream clients, and anything not a page load.

    A browser loading a page asks for ``text/html`` explicitly; ``fetch()`` and
    ``EventSource`` do not, so they get JSON they can act on.
    """
    if req.path.startswith("/api/") or req.is_json:
        return True
    best = req.accept_mimetypes.best_match([*JSON_TYPES, "text/html"])
    return best != "text/html"


def is_public(endpoint: str | None, config: Mapping[str, object]) -> bool:
    """Whether an endpoint is reachable without pairing.

    Besides ours, the app may name a few harmless endpoints in config
    ``INSOLE_PUBLIC_ENDPOINTS`` (the language switch, so the pairing page can be read in
    German); each one is listed in docs/security.md with the reason it is safe.
    """
    if endpoint is None:
        return False
    extra = config.get("INSOLE_PUBLIC_ENDPOINTS") or ()
    return endpoint in PUBLIC_ENDPOINTS or (
        isinstance(extra, (list, tuple, set, frozenset)) and endpoint in extra
    )


def safe_next(target: str | None) -> str:
    """A local path to go to after pairing; anything else (other hosts, ``//x``) -> ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return "/"  # browsers drop tabs and newlines: "/\t/evil" would become "//evil"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or parts.path.startswith("/pair"):
        return "/"
    return target
