"""Pairing and CSRF in a real headless Chromium against the app on a real HTTP server.

Checks what only a browser can show: the pairing page works under the content security
policy (no violations logged), the device cookie is invisible to scripts, and a page on
another port of the same host, which is "same-site" and so receives SameSite cookies and
can even read the CSRF cookie, still cannot change anything, because its Origin differs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from dashboard.access import get_state
from tests.dashboard.access_support import build_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


class Served:
    """A WSGI app on a loopback port, served by one thread until ``close()``."""

    def __init__(self, app: Any) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="served"
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        reason = f"headless Chromium not installed ({', '.join(missing)} missing)"
        if os.environ.get("INSOLE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    profile = Path(tempfile.mkdtemp(prefix="insole-access-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=DriverService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Flask, Served]]:
    app = build_app(tmp_path)
    server = Served(app)
    try:
        yield app, server
    finally:
        server.close()


def attacker_app(target: str, device_id: int) -> Any:
    """A page on another port that reads the CSRF cookie and, at ``?go``, posts a revoke."""
    page = f"""<!doctype html><html><body>
<form method="post" action="{target}/access/{device_id}/revoke">
<input type="hidden" name="csrf_token" id="t"></form>
<script>
const m = document.cookie.match(/(?:^|; )csrf_token=([^;]+)/);
document.getElementById("t").value = m ? m[1] : "";
document.title = m ? "read-cookie" : "no-cookie";
if (location.search === "?go") {{ document.forms[0].submit(); }}
</script></body></html>""".encode()

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html"), ("Cache-Control", "no-store")])
        return [page]

    return wsgi


def csp_violations(browser: Any) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def test_pairing_in_a_real_browser_then_a_same_site_forgery_fails(
    browser: Any, served: tuple[Flask, Served]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    app, server = served
    store = get_state(app).store
    browser.delete_all_cookies()
    browser.get_log("browser")  # drop anything earlier

    browser.get(f"{server.url}/access")
    assert browser.find_element(By.ID, "pair-heading").is_displayed()
    code = store.new_code().code
    browser.find_element(By.ID, "pair-code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "form.access-form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "devices-heading"))
    assert browser.current_url == f"{server.url}/access"
    assert csp_violations(browser) == []

    readable = browser.execute_script("return document.cookie")
    assert "csrf_token=" in readable
    assert "insole_token" not in readable  # HttpOnly
    (device,) = store.devices()

    attacker = Served(attacker_app(server.url, device.id))
    try:
        browser.get(attacker.url)
        # Another port is the same site: the attacker page can read our CSRF cookie...
        assert browser.title == "read-cookie"
        browser.get(attacker.url + "/?go")
        # ...and its form carries it and our device cookie, yet our app refuses it.
        WebDriverWait(browser, 10).until(lambda b: b.current_url.startswith(server.url))
        WebDriverWait(browser, 10).until(
            lambda b: "Refused as a possible cross-site forgery" in b.page_source
        )
        assert "Origin header does not match" in browser.page_source
    finally:
        attacker.close()
    assert [d.id for d in store.devices()] == [device.id]  # nothing was revoked

    # Our own page, same browser, same cookies: the revoke button works.
    browser.get(f"{server.url}/access")
    browser.find_element(By.CSS_SELECTOR, "button.access-danger").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "pair-heading"))
    assert store.devices() == []
    assert csp_violations(browser) == []
