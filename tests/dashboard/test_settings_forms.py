"""Form parsing: numbers with a decimal comma, ranges from the settings, translated messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from dashboard.forms import (
    NEWTONS_PER_KG,
    Form,
    current_translate,
    settings_error_message,
    weight_to_newtons,
)
from insole.errors import SettingsError
from insole.settings import Settings


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG})


@pytest.fixture(params=["en", "de"])
def lang(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    with app.test_request_context(headers={"Accept-Language": request.param}):
        app.preprocess_request()
        yield request.param


def form(data: dict[str, str]) -> Form:
    return Form(data, current_translate())


def test_a_decimal_comma_is_accepted(lang: str) -> None:
    f = form({"grace_s": "0,75"})
    assert f.number("grace_s") == 0.75
    assert f.ok


@pytest.mark.parametrize(
    ("text", "english", "german"),
    [
        ("", "Please enter a value", "Bitte einen Wert"),
        ("soon", "'soon' is not a number", "„soon“ ist keine Zahl"),
        ("nan", "is not a number", "ist keine Zahl"),
        ("0.5", "from 1 to 120", "von 1 bis 120"),
        ("121", "from 1 to 120", "von 1 bis 120"),
    ],
)
def test_bad_numbers_get_a_message_in_the_page_language(
    lang: str, text: str, english: str, german: str
) -> None:
    f = form({"hold_target_s": text})
    assert f.number("hold_target_s") is None
    assert not f.ok
    assert (english if lang == "en" else german) in f.errors["hold_target_s"]


def test_whole_numbers_are_required_where_the_setting_is_a_count(lang: str) -> None:
    f = form({"rep_target": "2.5", "set_done_at": "4"})
    assert f.number("rep_target") is None
    assert f.number("set_done_at") == 4
    assert set(f.errors) == {"rep_target"}


def test_choices_list_what_is_allowed(lang: str) -> None:
    f = form({"foot": "middle"})
    assert f.choice("foot", ("left", "right")) is None
    assert "left, right" in f.errors["foot"]


def test_every_bad_field_is_reported_at_once(lang: str) -> None:
    f = form({"grace_s": "9", "min_share": "x", "load_floor_n": "20"})
    values = [f.number(name) for name in ("grace_s", "min_share", "load_floor_n")]
    assert values == [None, None, 20.0]
    assert set(f.errors) == {"grace_s", "min_share"}


@pytest.mark.parametrize(
    ("weight", "unit", "newtons"),
    [("2", "kg", 2 * NEWTONS_PER_KG), ("1,5", "kg", 1.5 * NEWTONS_PER_KG), ("30", "N", 30.0)],
)
def test_known_weights_in_kg_or_newtons(lang: str, weight: str, unit: str, newtons: float) -> None:
    f = form({"weight": weight, "unit": unit})
    assert weight_to_newtons(f, "weight", "unit") == pytest.approx(newtons)


@pytest.mark.parametrize(
    ("weight", "unit", "field"), [("0", "kg", "weight"), ("-1", "N", "weight"), ("3", "lb", "unit")]
)
def test_bad_weights_are_refused(lang: str, weight: str, unit: str, field: str) -> None:
    f = form({"weight": weight, "unit": unit})
    assert weight_to_newtons(f, "weight", "unit") is None
    assert field in f.errors


def test_domain_range_errors_are_reworded_in_the_page_language(lang: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"grace_s": 7.0})
    message = settings_error_message(current_translate(), info.value)
    assert ("from 0 to 5" if lang == "en" else "von 0 bis 5") in message


def test_cross_field_errors_keep_the_domain_text_naming_the_limit(lang: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"rep_target": 3})
    assert info.value.field == "set_done_at"
    assert "rep_target (3)" in settings_error_message(current_translate(), info.value)
