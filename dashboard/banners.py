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
    parts = key.split(".")
    if key == "simulated":
        text = t("banner.simulated")
    elif parts[0] == "sensor_fault" and len(parts) == 2:
        sensors = status.get("health", {}).get("sensors", {})
        text = _sensor_fault(parts[1], sensors, t)
    elif parts[0] == "foot_sensor_fault" and len(parts) == 3:
        # Two insoles: "foot_sensor_fault.<side>.<sensor>", health per foot.
        side, sensor = parts[1], parts[2]
        sensors = status.get("feet", {}).get(side, {}).get("sensors", {})
        text = t("banner.on_insole", insole=t(f"banner.insole.{side}"),
                 text=_sensor_fault(sensor, sensors, t))
    elif parts[0] == "adc_fault" and len(parts) <= 2:
        # The detail is the driver's own words (English); the headline is translated.
        no_readings = t("banner.adc_fault", detail=str(banner.get("detail") or english))
        text = (no_readings if len(parts) == 1 else
                t("banner.on_insole", insole=t(f"banner.insole.{parts[1]}"), text=no_readings))
    elif key == "logging_paused":
        text = t("banner.logging_paused", reason=english)
    else:
        text = english
    return {"key": key, "level": level, "text": text}


def _sensor_fault(sensor: str, sensors: Mapping[str, Any], t: Translate) -> str:
    state = sensors.get(sensor, {}).get("state", "")
    specific = f"banner.sensor_fault.{state}"
    text_key = specific if t(specific) != specific else "banner.sensor_fault"
    return t(text_key, point=t(f"sensor.{sensor}"))


def device_banners(t: Translate) -> list[dict[str, str]]:
    """The attached monitor's banners, faults first; none without a monitor."""
    monitor = current_app.extensions.get("insole_monitor")
    if monitor is None:
        return []
    status = monitor.status()
    banners = [translate_banner(b, status, t) for b in status.get("banners", []) if b]
    return sorted(banners, key=lambda b: b["level"] != "bad")
