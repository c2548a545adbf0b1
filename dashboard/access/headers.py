"""Security headers on every response.

The content security policy allows only files served by the dashboard itself: no inline
``<script>``, no ``style=""`` attributes or ``<style>`` blocks, no framing, no plugins. Pages
that need behaviour or styling put it in ``static/*.js`` and ``static/*.css``.
"""

from __future__ import annotations

from flask import Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# Features the dashboard never uses; denying them limits what injected code could reach.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), serial=(), bluetooth=(), hid=()"
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# Static files are the published source of the app, the same on every device: they may be
# cached. Everything else (pages, API, exports, the stream) can carry personal data.
CACHEABLE_ENDPOINTS = frozenset({"static"})


def add_security_headers(response: Response) -> Response:
    """``after_request`` hook: set the headers, overriding anything a view set."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        # Add no-store and drop whatever would let a cache keep the response; a view's own
        # harmless directives stay (the stream's no-cache, which some proxies look for).
        cache = response.cache_control
        for allowing in ("public", "max-age", "s-maxage", "immutable", "stale-while-revalidate"):
            cache.pop(allowing, None)
        cache.no_store = True
        response.headers.pop("Expires", None)
    return response
