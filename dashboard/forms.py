"""Server-side form validation: parse text fields, collect a message per field.

A form is parsed in full before anything is saved, so every bad field gets its message at
once and a request with any error changes nothing (all-or-nothing). Messages are
translated through the ``t`` function the page uses; range messages come from
``insole.settings.RANGES`` so the form says exactly what the domain allows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import current_app

from insole.errors import SettingsError
from insole.settings import RANGES
from insole.store import MAX_ROW_ID

Translate = Callable[..., str]

NEWTONS_PER_KG = 9.80665
"""Standard gravity: a known weight given in kilograms presses with this many newtons per kg."""

WEIGHT_UNITS = ("kg", "N")


def current_translate() -> Translate:
    """The ``t(key, **values)`` function of the current request's language."""
    translate: Translate = current_app.jinja_env.globals["t"]  # type: ignore[assignment]
    return translate


@dataclass
class Form:
    """Submitted text fields, the values parsed so far and one message per bad field."""

    data: Mapping[str, str]
    t: Translate
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no field has an error."""
        return not self.errors

    def text(self, name: str) -> str:
        """The raw submitted text of a field (empty when absent), stripped."""
        return str(self.data.get(name, "")).strip()

    def error(self, name: str, message: str) -> None:
        """Attach ``message`` to field ``name`` (the first message per field wins)."""
        self.errors.setdefault(name, message)

    def number(
        self,
        name: str,
        *,
        integer: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        """Parse a number; a decimal comma is accepted (German keyboards).

        Range limits default to ``RANGES[name]`` when the field is a setting.
        """
        raw = self.text(name).replace(",", ".")
        if not raw:
            self.error(name, self.t("form.required"))
            return None
        try:
            value = float(raw)
        except ValueError:
            self.error(name, self.t("form.not_a_number", value=raw))
            return None
        if not math.isfinite(value):
            self.error(name, self.t("form.not_a_number", value=raw))
            return None
        allowed = RANGES.get(name)
        if allowed is not None:
            integer = integer or allowed.integer
            low = allowed.low if low is None else low
            high = allowed.high if high is None else high
        if integer and not value.is_integer():
            self.error(name, self.t("form.whole_number", value=raw))
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(name, range_message(self.t, low, high, integer=integer))
            return None
        return float(int(value)) if integer else value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        """One of ``allowed``; anything else gets a message listing the choices."""
        value = self.text(name)
        if value not in allowed:
            self.error(name, self.t("form.choice", allowed=", ".join(allowed)))
            return None
        return value


def range_message(
    t: Translate, low: float | None, high: float | None, *, integer: bool = False
) -> str:
    """'must be a (whole) number from low to high' in the page's language."""
    key = "form.range_int" if integer else "form.range"
    return t(key, low=f"{low:g}", high=f"{high:g}")


def settings_error_message(t: Translate, err: SettingsError) -> str:
    """A translated message for a domain ``SettingsError``.

    Range errors are re-worded from ``RANGES`` in the page's language; any other rule
    (cross-field limits, target shares) keeps the domain's English text, which already
    names what is allowed.
    """
    allowed = RANGES.get(err.field)
    if allowed is not None and "from" in err.message and "must be" in err.message:
        return range_message(t, allowed.low, allowed.high, integer=allowed.integer)
    return err.message


def weight_to_newtons(form: Form, value_field: str, unit_field: str) -> float | None:
    """A known weight entered in kg or N, as newtons (positive, at most 200 kg)."""
    unit = form.choice(unit_field, WEIGHT_UNITS)
    limit = 200.0 if unit == "kg" else 200.0 * NEWTONS_PER_KG
    value = form.number(value_field, low=0.0, high=limit)
    if value is None or unit is None:
        return None
    if value <= 0.0:
        form.error(value_field, form.t("form.positive"))
        return None
    return value * NEWTONS_PER_KG if unit == "kg" else value


def row_id(raw: str | None) -> int | None:
    """A row id (session, runner) from request text, or ``None`` if it cannot be one.

    ASCII digits only, 1 to ``MAX_ROW_ID``: ``int()`` of a longer text would raise (beyond
    4300 digits) or overflow SQLite, and a bad value must become a message, not a 500.
    """
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ROW_ID)):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ROW_ID else None
