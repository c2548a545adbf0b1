"""Bill of materials (``bom.json``): loading, checking and the Markdown table.

Each item has an ``id`` that ``wiring.json`` parts refer to (``"bom": "ads1115"``), so a
test can prove that every wired part can be bought from the list and in enough numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from insole.errors import InsoleError


class BomError(InsoleError, ValueError):
    """``bom.json`` is malformed (missing field, duplicate id, bad quantity or price)."""


@dataclass(frozen=True)
class BomItem:
    """One line of the bill of materials."""

    id: str
    group: str
    part: str
    qty: float
    unit: str
    purpose: str
    price: float
    substitutes: str

    @property
    def line_total(self) -> float:
        """Quantity times unit price."""
        return self.qty * self.price


@dataclass(frozen=True)
class Bom:
    """The whole bill of materials."""

    title: str
    currency: str
    price_note: str
    items: tuple[BomItem, ...]

    def by_id(self) -> dict[str, BomItem]:
        """Items keyed by id."""
        return {item.id: item for item in self.items}

    @property
    def total(self) -> float:
        """Rough total price of everything on the list."""
        return sum(item.line_total for item in self.items)

    def to_markdown(self) -> str:
        """The BOM as a Markdown table, grouped as in the file, with a rough total."""
        lines = [
            "| # | Part | Qty | For | Approx. price | Substitutes |",
            "|---|---|---|---|---|---|",
        ]
        for number, item in enumerate(self.items, start=1):
            qty = f"{item.qty:g} {item.unit}"
            price = f"{item.line_total:.2f} {self.currency}"
            lines.append(
                f"| {number} | **{_cell(item.group)}:** {_cell(item.part)} | {qty} "
                f"| {_cell(item.purpose)} | {price} | {_cell(item.substitutes)} |"
            )
        lines.append(f"| | **Total (rough)** | | | **{self.total:.0f} {self.currency}** | |")
        return "\n".join(lines) + f"\n\n{self.price_note}\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_FIELDS = ("id", "group", "part", "qty", "unit", "purpose", "price", "substitutes")


def parse_bom(data: Mapping[str, Any]) -> Bom:
    """A checked ``Bom`` from the parsed JSON document."""
    try:
        raw_items = data["items"]
        items = []
        for index, raw in enumerate(raw_items):
            missing = [f for f in _FIELDS if f not in raw]
            if missing:
                raise BomError(f"item {index} lacks {', '.join(missing)}")
            qty, price = raw["qty"], raw["price"]
            if not isinstance(qty, int | float) or qty <= 0:
                raise BomError(f"item {raw['id']}: qty must be a positive number, got {qty!r}")
            if not isinstance(price, int | float) or price < 0:
                raise BomError(f"item {raw['id']}: price must be >= 0, got {price!r}")
            items.append(
                BomItem(
                    id=str(raw["id"]),
                    group=str(raw["group"]),
                    part=str(raw["part"]),
                    qty=float(qty),
                    unit=str(raw["unit"]),
                    purpose=str(raw["purpose"]),
                    price=float(price),
                    substitutes=str(raw["substitutes"]),
                )
            )
        ids = [item.id for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise BomError(f"duplicate item ids: {', '.join(duplicates)}")
        return Bom(str(data["title"]), str(data["currency"]), str(data["price_note"]), tuple(items))
    except (KeyError, TypeError) as err:
        raise BomError(f"bom.json is missing or mistypes a field: {err!r}") from err


def load_bom() -> Bom:
    """The project's bill of materials from the packaged ``hardware/bom.json``."""
    text = resources.files("hardware").joinpath("bom.json").read_text(encoding="utf-8")
    return parse_bom(json.loads(text))
