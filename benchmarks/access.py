"""Cost of access control per request: ``python -m benchmarks.access``.

Times the same request (an unknown URL, so no page work is measured) on the app without
access control, and with it as a paired browser (token lookup in SQLite, CSRF cookie check,
headers), plus one full pairing, and the token lookup on its own. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient

from dashboard import access, create_app
from dashboard.access import get_state
from dashboard.access.testing import pair_test_client

REQUESTS = 2000


def per_request_us(client: FlaskClient, url: str) -> list[float]:
    """Microseconds per request, in 5 batches."""
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(REQUESTS // 5):
            client.get(url)
        batches.append((time.perf_counter() - start) / (REQUESTS // 5) * 1e6)
    return batches


def main() -> None:
    """Run and print."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = create_app({"TESTING": True}).test_client()
        guarded_app = create_app({"TESTING": True, "INSOLE_DATA_DIR": str(Path(tmp))})
        access.init_app(guarded_app)
        paired = guarded_app.test_client()
        start = time.perf_counter()
        pair_test_client(paired)
        pairing_ms = (time.perf_counter() - start) * 1e3
        stranger = guarded_app.test_client()
        # Same cookies on the unguarded client, so the test client's own cookie handling
        # costs the same on both sides and only the server-side work differs.
        for name in ("insole_token", "csrf_token"):
            cookie = paired.get_cookie(name)
            assert cookie is not None
            plain.set_cookie(name, cookie.value)

        base = per_request_us(plain, "/no/such/page")
        with_access = per_request_us(paired, "/no/such/page")
        refused = per_request_us(stranger, "/no/such/page")
        plain_median, access_median = statistics.median(base), statistics.median(with_access)
        print(f"requests per case: {REQUESTS}")
        print(f"no access control:        {plain_median:8.1f} us/request (median of 5 batches)")
        print(f"paired, access control:   {access_median:8.1f} us/request")
        print(f"stranger, 401 JSON:       {statistics.median(refused):8.1f} us/request")
        print(f"overhead per request:     {access_median - plain_median:8.1f} us")
        print(f"one pairing (code + form): {pairing_ms:7.1f} ms")
        store = get_state(guarded_app).store
        token = paired.get_cookie("insole_token")
        assert token is not None
        start = time.perf_counter()
        for _ in range(REQUESTS):
            store.check_token(token.value)
        lookup_us = (time.perf_counter() - start) / REQUESTS * 1e6
        print(f"token lookup alone:       {lookup_us:8.1f} us")


if __name__ == "__main__":
    main()
