"""Helpers that read the live page the way a person looks at it (text and layout)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float = 30.0, poll_s: float = 0.1
) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(poll_s)


def text(driver: Any, element_id: str) -> str:
    """The visible text of an element."""
    value: str = driver.execute_script(
        "var e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
        element_id,
    )
    return value


def banners(driver: Any) -> dict[str, str]:
    """Banner key -> text of every banner on screen."""
    found: dict[str, str] = driver.execute_script(
        "var out = {}; document.querySelectorAll('#banners .banner').forEach(function (b) {"
        " out[b.dataset.banner] = b.textContent; }); return out;"
    )
    return found


def overflowing(driver: Any) -> list[str]:
    """Visible elements that stick out of the viewport (empty when the layout fits)."""
    found: list[str] = driver.execute_script(
        """
        var w = window.innerWidth, h = window.innerHeight, bad = [];
        if (document.documentElement.scrollWidth > w) {
          bad.push('page scrollWidth ' + document.documentElement.scrollWidth + ' > ' + w);
        }
        if (document.documentElement.scrollHeight > h) {
          bad.push('page scrollHeight ' + document.documentElement.scrollHeight + ' > ' + h);
        }
        document.querySelectorAll('body *').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) { return; }
          if (getComputedStyle(e).visibility === 'hidden') { return; }
          if (r.left < -0.5 || r.top < -0.5 || r.right > w + 0.5 || r.bottom > h + 0.5) {
            bad.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
              (e.className && e.className.baseVal === undefined ? '.' + e.className : '') +
              ' [' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(', ') + ']');
          }
        });
        return bad;
        """
    )
    return found


def widest_share_overflows(driver: Any) -> list[str]:
    """Share tiles in which the widest value, "100%", would not fit (empty when all fit)."""
    found: list[str] = driver.execute_script(
        """
        var bad = [];
        document.querySelectorAll('.share').forEach(function (tile) {
          var probe = tile.querySelector('.share-value').cloneNode();
          probe.removeAttribute('id');
          probe.textContent = '100%';
          probe.style.position = 'absolute';
          probe.style.visibility = 'hidden';
          tile.appendChild(probe);
          var width = probe.getBoundingClientRect().width;
          probe.remove();
          if (width > tile.clientWidth) {
            bad.push(tile.id + ': ' + width + ' > ' + tile.clientWidth);
          }
        });
        return bad;
        """
    )
    return found


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser requested since the last call (from the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


INTERNAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "devtools"}
"""Schemes the browser serves from itself (its own new-tab page, inline data)."""


def foreign(urls: list[str]) -> list[str]:
    """URLs that leave this machine."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in INTERNAL_SCHEMES:
            continue
        if parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname not in LOCAL_HOSTS:
            bad.append(url)
    return bad


def console_errors(driver: Any) -> list[str]:
    """Console messages of level SEVERE since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Emulate a device viewport of exactly ``width`` x ``height`` CSS pixels."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
