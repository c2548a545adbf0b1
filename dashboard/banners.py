"""The device's banners (simulated insole, sensor fault, logging paused), translated.

``Monitor.status()["banners"]`` names each banner by key with an English text; every page
renders them at the top (``base.html``) so that no page hides a fault. The live page keeps
them current from the event stream with the same rules in ``static/live.js``
(``statusBanner``): keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app

LEVELS = {"info": "warn", "warning": "warn", "error": "bad"}
"""Monitor banner level -> banner style; faults (``bad``) are listed first."""

Translate = Callable[..., str]


def translate_banner(
    banner: Mapping[str, Any], status: Mapping[str, Any], t: Translate
) -> dict[str, str]:
    """``{"key", "level", "text"}`` for one of the monitor's banners."""
    key = str(banner.get("key", ""))
    level = LEVELS.get(str(banner.get("level")), "warn")
    english = str(banner.get("text") or key)
    if key == "simulated":
        text = t("banner.simulated")
    elif key.startswith("sensor_fault."):
        sensor = key.removeprefix("sensor_fault.")
        state = status.get("health", {}).get("sensors", {}).get(sensor, {}).get("state", "")
        specific = f"banner.sensor_fault.{state}"
        text_key = specific if t(specific) != specific else "banner.sensor_fault"
        text = t(text_key, point=t(f"sensor.{sensor}"))
    elif key == "logging_paused":
        text = t("banner.logging_paused", reason=english)
    else:
        text = english
    return {"key": key, "level": level, "text": text}


def device_banners(t: Translate) -> list[dict[str, str]]:
    """The attached monitor's banners, faults first; none without a monitor."""
    monitor = current_app.extensions.get("insole_monitor")
    if monitor is None:
        return []
    status = monitor.status()
    banners = [translate_banner(b, status, t) for b in status.get("banners", []) if b]
    return sorted(banners, key=lambda b: b["level"] != "bad")
