"""English and German texts, chosen from the browser's language with a switch.

Translations live in ``translations/<area>.<lang>.json`` (one file per area of the UI so
that areas can be edited independently); they are merged per language at start-up. A key
missing in German falls back to English; a key missing everywhere shows the key itself, and
a test checks that both languages define the same keys.

The language of a request is, in order: the ``lang`` cookie set by the switch on every page,
the device's ``language`` setting when it is not ``auto``, the browser's
``Accept-Language`` preference order, English.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources

from flask import Flask, current_app, g, request

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"


def load_catalogues() -> dict[str, dict[str, str]]:
    """Every language's merged catalogue of key -> text."""
    catalogues: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    folder = resources.files("dashboard") / "translations"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        parts = entry.name.split(".")
        if len(parts) != 3 or parts[2] != "json" or parts[1] not in LANGUAGES:
            continue
        texts = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
            raise ValueError(f"translations/{entry.name} must be an object of key -> text")
        catalogues[parts[1]].update(texts)
    return catalogues


def pick_language(cookie: str | None, accept: Iterable[str], device: str | None = None) -> str:
    """The user's explicit choice (cookie) wins, then the device setting, then the browser."""
    if cookie in LANGUAGES:
        return cookie
    if device in LANGUAGES:
        return device
    for tag in accept:
        base = tag.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def catalogue_for(lang: str) -> dict[str, str]:
    """Every text in ``lang``, English where the language lacks a key."""
    catalogues: dict[str, dict[str, str]] = current_app.extensions["insole_i18n"]
    return {**catalogues[DEFAULT_LANGUAGE], **catalogues.get(lang, {})}


def translate(key: str, **values: object) -> str:
    """``key`` in the request's language (English, then the key itself, when missing)."""
    catalogues: dict[str, dict[str, str]] = current_app.extensions["insole_i18n"]
    lang = getattr(g, "lang", DEFAULT_LANGUAGE)
    text = catalogues[lang].get(key) or catalogues[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text


def _device_language() -> str | None:
    monitor = current_app.extensions.get("insole_monitor")
    settings = getattr(monitor, "settings", None)
    language = getattr(settings, "language", None)
    return language if isinstance(language, str) else None


def init_app(app: Flask) -> None:
    """Load catalogues and expose ``t(key)``, ``lang`` and ``languages`` to templates."""
    catalogues = load_catalogues()
    app.extensions["insole_i18n"] = catalogues

    @app.before_request
    def _choose_language() -> None:
        accept = [value for value, _quality in request.accept_languages]
        g.lang = pick_language(request.cookies.get(COOKIE), accept, _device_language())

    app.jinja_env.globals["t"] = translate
    app.jinja_env.globals["languages"] = LANGUAGES
