"""English and German catalogues, language choice and the switch."""

from __future__ import annotations

import json
import re
import string
from importlib import resources
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app, i18n
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from insole.balance import CUES
from insole.exercises import EXERCISE_CUES
from insole.settings import EXERCISES

DASHBOARD = Path(str(resources.files("dashboard")))


def area_files() -> dict[str, dict[str, dict[str, str]]]:
    """area -> lang -> texts, from translations/<area>.<lang>.json."""
    areas: dict[str, dict[str, dict[str, str]]] = {}
    for path in sorted((DASHBOARD / "translations").glob("*.json")):
        area, lang, _ = path.name.split(".")
        areas.setdefault(area, {})[lang] = json.loads(path.read_text(encoding="utf-8"))
    return areas


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.fixture
def app() -> Flask:
    # The language routes and the catalogues need no device.
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return local_test_client(app)


@pytest.mark.parametrize("area", sorted(area_files()))
def test_every_area_has_the_same_keys_in_both_languages(area: str) -> None:
    langs = area_files()[area]
    assert set(langs) == set(i18n.LANGUAGES), f"{area}: needs one file per language"
    english, german = langs["en"], langs["de"]
    assert sorted(set(english) - set(german)) == []
    assert sorted(set(german) - set(english)) == []
    for key in english:
        assert german[key].strip(), f"{area}/{key}: empty German text"
        assert placeholders(english[key]) == placeholders(german[key]), key


def test_merged_catalogues_have_the_same_keys() -> None:
    catalogues = i18n.load_catalogues()
    assert set(catalogues["en"]) == set(catalogues["de"])
    assert len(catalogues["en"]) > 50


def test_every_cue_of_the_core_is_translated() -> None:
    catalogues = i18n.load_catalogues()
    for lang in i18n.LANGUAGES:
        missing = [key for key in {**CUES, **EXERCISE_CUES} if f"cue.{key}" not in catalogues[lang]]
        assert missing == [], f"{lang} lacks cues {missing}"
        unnamed = [e for e in EXERCISES if f"exercise.{e}" not in catalogues[lang]]
        assert unnamed == [], f"{lang} lacks exercise names {unnamed}"


def test_keys_used_by_the_live_page_exist() -> None:
    catalogue = i18n.load_catalogues()["en"]
    templates = "".join(
        (DASHBOARD / "templates" / name).read_text(encoding="utf-8")
        for name in ("base.html", "live.html")
    )
    used = set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", templates))
    script = (DASHBOARD / "static" / "live.js").read_text(encoding="utf-8")
    used |= set(re.findall(r"""\btr\(\s*"([\w.]+)\"""", script))
    prefixes = {key for key in used if key.endswith(".")}  # "cue." + cue_key and the like
    assert len(used) > 30
    assert sorted(used - prefixes - set(catalogue)) == []
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in catalogue), prefix


@pytest.mark.parametrize(
    ("cookie", "accept", "device", "expected"),
    [
        (None, ["de-DE", "en"], None, "de"),
        (None, ["fr-FR", "de"], None, "de"),
        (None, ["fr", "it"], None, "en"),
        (None, [], None, "en"),
        ("en", ["de"], None, "en"),
        ("xx", ["de"], None, "de"),
        (None, ["en"], "de", "de"),
        (None, ["de"], "auto", "de"),
        ("en", [], "de", "en"),
    ],
)
def test_pick_language(
    cookie: str | None, accept: list[str], device: str | None, expected: str
) -> None:
    assert i18n.pick_language(cookie, accept, device) == expected


def test_switch_by_form_sets_a_cookie_and_goes_back(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "de", "next": "/review/?page=2"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/review/?page=2"
    cookie = client.get_cookie(i18n.COOKIE)
    assert cookie is not None
    assert cookie.value == "de"
    assert cookie.http_only
    assert cookie.same_site == "Lax"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/x", "javascript:alert(1)", "x", "/\\evil"]
)
def test_switch_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_switch_by_json(client: FlaskClient) -> None:
    response = client.post("/lang", json={"lang": "de"})
    assert response.status_code == 200
    assert response.json == {"lang": "de"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": {"lang": "fr"}}, "lang must be one of en, de"),
        ({"data": {}}, "lang must be one of en, de"),
        ({"json": ["de"]}, "must be a JSON object"),
    ],
)
def test_switch_rejects_bad_input(
    client: FlaskClient, kwargs: dict[str, object], message: str
) -> None:
    response = client.post("/lang", **kwargs)
    assert response.status_code == 400
    assert response.json is not None
    assert message in response.json["message"]
    assert client.get_cookie(i18n.COOKIE) is None
