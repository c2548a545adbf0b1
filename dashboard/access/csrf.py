"""Cross-site request forgery checks for every state-changing request.

Two independent checks must both pass for POST, PUT, PATCH and DELETE (the argument for
this scheme is in docs/security.md):

1. Same origin: the ``Origin`` header (or, when a browser omits it, the ``Referer``) names
   this very scheme, host and port. A request carrying neither is refused.
2. Double submit: the ``csrf_token`` cookie (readable by the page's own scripts, not
   HttpOnly) matches the ``X-CSRF-Token`` header or the ``csrf_token`` form field. Another
   site can make a browser send the cookie but can neither read it nor set the header.

Templates put ``{{ csrf_field() }}`` (a hidden ``csrf_token`` field) in every form; scripts
read ``<meta name="csrf-token">`` (or the cookie) and send it as ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Request, Response, g, request
from markupsafe import Markup

COOKIE = "csrf_token"
HEADER = "X-CSRF-Token"
FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
COOKIE_MAX_AGE_S = 365 * 24 * 3600  # as long as pairing: a page left open keeps working
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of a URL, None when it has no usable origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def same_origin_problem(req: Request) -> str | None:
    """Why the request does not come from our own pages, or None when it does."""
    own = _origin_of(f"{req.scheme}://{req.host}")
    origin = req.headers.get("Origin")
    if origin is not None:
        source, header = _origin_of(origin), "Origin"
    elif req.referrer:
        source, header = _origin_of(req.referrer), "Referer"
    else:
        return "the request names no Origin or Referer, so its source cannot be checked"
    if source is None or source != own:
        return f"the {header} header does not match this dashboard's own address"
    return None


def _valid_shape(value: str | None) -> bool:
    return value is not None and _TOKEN_SHAPE.fullmatch(value) is not None


def csrf_token() -> str:
    """The token to embed in a form (Jinja global); issues one if the browser has none."""
    token: str | None = g.get("csrf_new_token")
    if token is not None:
        return token
    cookie = request.cookies.get(COOKIE)
    if _valid_shape(cookie):
        assert cookie is not None
        return cookie
    token = secrets.token_urlsafe(32)
    g.csrf_new_token = token
    return token


def csrf_field() -> Markup:
    """The hidden form field carrying the token; a Jinja global for every form."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_FIELD, csrf_token())


def token_problem(req: Request) -> str | None:
    """Why the double-submitted token is missing or wrong, or None when it matches."""
    cookie = req.cookies.get(COOKIE)
    if not _valid_shape(cookie):
        return "the csrf_token cookie is missing; reload the page and try again"
    sent = req.headers.get(HEADER)
    if sent is None and req.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = req.form.get(FORM_FIELD)
    if sent is None:
        return f"no CSRF token was sent (header {HEADER} or form field {FORM_FIELD})"
    assert cookie is not None
    if not hmac.compare_digest(cookie.encode(), sent.encode()):
        return "the CSRF token does not match; reload the page and try again"
    return None


def problem(req: Request) -> str | None:
    """Why a state-changing request must be refused, or None (also None for safe methods)."""
    if req.method in SAFE_METHODS:
        return None
    return same_origin_problem(req) or token_problem(req)


def set_cookie_if_needed(response: Response) -> Response:
    """``after_request`` hook: give the browser a token cookie when it has none yet."""
    token: str | None = g.get("csrf_new_token")
    if token is None and _valid_shape(request.cookies.get(COOKIE)):
        return response
    response.set_cookie(
        COOKIE,
        token if token is not None else secrets.token_urlsafe(32),
        max_age=COOKIE_MAX_AGE_S,
        path="/",
        secure=request.is_secure,
        httponly=False,  # the page's scripts read it to send the header
        samesite="Strict",
    )
    return response
