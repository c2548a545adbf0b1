"""The bill of materials covers every wired part, and its table is complete."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hardware.bom import BomError, load_bom, parse_bom
from hardware.divider import format_ohm
from hardware.wiring import load_wiring

BOM_JSON = Path(__file__).resolve().parent.parent / "hardware" / "bom.json"


def test_every_wired_part_is_in_the_bom_in_sufficient_number() -> None:
    bom = load_bom().by_id()
    needed = Counter(part.bom for part in load_wiring().parts.values())
    for bom_id, count in needed.items():
        assert bom_id in bom, f"wired part type {bom_id} is not in bom.json"
        assert bom[bom_id].qty >= count, f"{bom_id}: BOM has {bom[bom_id].qty}, wiring uses {count}"


def test_resistor_values_in_the_bom_match_the_wiring() -> None:
    bom = load_bom().by_id()
    for part in load_wiring().parts.values():
        if part.value_ohm is not None:
            value = format_ohm(part.value_ohm).replace("kΩ", "kOhm").replace("Ω", "Ohm")
            assert bom[part.bom].part.startswith(value), (part.ref, bom[part.bom].part)


@pytest.mark.parametrize(
    "needle",
    ["Interlink FSR 40", "ADS1115", "Adafruit 1085", "1 %", "common cathode", "Passive piezo",
     "JST", "ribbon", "insole", "Raspberry Pi", "power supply"],
)  # fmt: skip
def test_the_concrete_parts_the_build_needs_are_listed(needle: str) -> None:
    assert any(needle.lower() in item.part.lower() for item in load_bom().items), needle


def test_substitutes_mention_ads1015() -> None:
    assert "ADS1015" in load_bom().by_id()["ads1115"].substitutes


def test_markdown_table_has_every_item_and_the_total() -> None:
    bom = load_bom()
    table = bom.to_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(bom.items)
    total = sum(item.qty * item.price for item in bom.items)
    assert f"**{total:.0f} EUR**" in table


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BOM_JSON.read_text(encoding="utf-8"))
    return data


def test_duplicate_ids_are_rejected() -> None:
    raw = _raw()
    raw["items"].append(dict(raw["items"][0]))
    with pytest.raises(BomError, match="duplicate item ids: fsr"):
        parse_bom(raw)


def test_bad_quantity_is_rejected() -> None:
    raw = _raw()
    raw["items"][0]["qty"] = 0
    with pytest.raises(BomError, match="qty must be a positive number"):
        parse_bom(raw)
