"""The "Your data" page in a real headless Chromium: download a backup, delete everything,
restore the downloaded file, and see the sessions back on the review page.

The dashboard runs on a local werkzeug server over a real Monitor and session log (the
page tests' set-up); the browser is Debian's chromium, driven through an explicit
chromedriver (``conftest.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from firmware.monitor import Monitor, SourceInfo
from insole.frames import VoltsFrame
from insole.store import SessionLog
from tests.dashboard.data_support import fill_log

pytestmark = pytest.mark.browser

WAIT_S = 30.0  # upper bound for the browser to get there; never a measured figure


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, SessionLog]]:
    from werkzeug.serving import make_server

    data_dir = tmp_path / "data"
    with SessionLog(data_dir / "sessions.sqlite3") as log, Monitor(
        log, SourceInfo("emulated", True, "test")
    ) as monitor:
        fill_log(log, sessions=3)
        monitor.process(VoltsFrame(0.1, 0.5, 1.0, 1.5))
        app = create_app(
            {"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_DATA_DIR": str(data_dir)},
            monitor=monitor,
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="test-http")
        thread.start()
        try:
            yield f"http://localhost:{server.server_port}", log
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()


def downloaded(folder: Path) -> Path | None:
    files = [p for p in folder.iterdir() if p.suffix == ".sqlite3"]
    return files[0] if files else None


def test_backup_delete_restore_in_the_browser(
    browser: Any, site: tuple[str, SessionLog], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    base, log = site
    before = sorted(s.id for s in log.list_sessions())
    assert len(before) == 3
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.get(f"{base}/settings/")
    browser.find_element(By.CSS_SELECTOR, 'a[href="/data/"]').click()
    wait_for(lambda: browser.find_elements(By.ID, "backup-link"), "the data page")

    # 1. Download a backup.
    browser.find_element(By.ID, "backup-link").click()
    backup = wait_for(lambda: downloaded(downloads), "the downloaded backup")
    assert backup.name.startswith("insole-backup-")
    assert backup.read_bytes().startswith(b"SQLite format 3\x00")

    # 2. Delete everything (the confirmation word is typed).
    browser.find_element(By.ID, "delete-confirm").send_keys("DELETE")
    browser.find_element(By.ID, "delete-button").click()
    done = wait_for(lambda: browser.find_elements(By.ID, "data-done"), "the deleted notice")
    assert "deleted" in done[0].text
    assert log.list_sessions() == []
    browser.get(f"{base}/review/")
    assert not browser.find_elements(By.CSS_SELECTOR, 'a[href="/review/1"]')

    # 3. Restore the downloaded file through the page's file input.
    browser.get(f"{base}/data/")
    browser.find_element(By.ID, "restore-file").send_keys(str(backup))
    browser.find_element(By.ID, "restore-button").click()
    wait_for(lambda: "done=restored" in browser.current_url, "the restored page")
    assert "restored" in browser.find_element(By.ID, "data-done").text
    assert sorted(s.id for s in log.list_sessions()) == before

    # 4. The sessions are back on the review page.
    browser.get(f"{base}/review/")
    for session_id in before:
        assert browser.find_elements(By.CSS_SELECTOR, f'a[href="/review/{session_id}"]')
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
