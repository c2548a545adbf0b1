"""Generated drawings are well-formed, reproducible and committed up to date."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from hardware.drawing import Drawing, DrawingError, Style, pdf_document
from hardware.generate import ROOT, generated_files, render_all, splice, stale_files, write_all
from insole.errors import InsoleError

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return render_all()


def test_committed_files_are_up_to_date(rendered: dict[str, bytes]) -> None:
    stale = [
        rel
        for rel, content in rendered.items()
        if not (ROOT / rel).exists() or (ROOT / rel).read_bytes() != content
    ]
    assert not stale, f"run `python -m hardware.generate` and commit: {stale}"
    assert stale_files() == []


def test_regeneration_is_byte_identical(rendered: dict[str, bytes]) -> None:
    assert render_all() == rendered


def test_expected_outputs_exist(rendered: dict[str, bytes]) -> None:
    names = set(rendered)
    for required in (
        "hardware/generated/schematic.svg",
        "hardware/generated/pin-table.md",
        "hardware/generated/bom.md",
        "hardware/generated/divider-voltage.svg",
        "hardware/generated/divider-report.txt",
        "hardware/generated/templates/insole-template-eu36-left.svg",
        "hardware/generated/templates/insole-template-eu47-right.svg",
        "hardware/generated/templates/insole-template-eu42.pdf",
        "hardware/ASSEMBLY.md",
        "docs/hardware.md",
        "hardware/README.md",
    ):
        assert required in names


def test_every_svg_is_well_formed(rendered: dict[str, bytes]) -> None:
    svgs = {rel: data for rel, data in rendered.items() if rel.endswith(".svg")}
    assert len(svgs) >= 30
    for rel, data in svgs.items():
        root = ET.fromstring(data)
        assert root.tag == f"{SVG_NS}svg", rel
        width, height = root.get("width", ""), root.get("height", "")
        assert width.endswith("mm"), rel
        assert height.endswith("mm"), rel
        assert root.get("viewBox") == f"0 0 {width[:-2]} {height[:-2]}", rel
        assert len(list(root)) > 5, rel


def _check_pdf(data: bytes) -> int:
    """Validate the xref table and stream lengths; return the page count."""
    assert data.startswith(b"%PDF-1.4\n")
    assert data.endswith(b"%%EOF\n")
    xref_at = int(re.findall(rb"startxref\n(\d+)\n", data)[-1])
    assert data[xref_at : xref_at + 5] == b"xref\n"
    count = int(re.match(rb"xref\n0 (\d+)\n", data[xref_at:]).group(1))  # type: ignore[union-attr]
    entries = data[xref_at:].split(b"\n")[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert data[offset:].startswith(f"{number} 0 obj\n".encode()), number
    for match in re.finditer(rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n", data):
        start = match.end()
        length = int(match.group(1))
        assert data[start + length : start + length + 10] == b"\nendstream"
        content = zlib.decompress(data[start : start + length])
        assert b"BT" in content  # every page has text
    pages = re.findall(rb"/Type /Page /Parent", data)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert all(float(w) == pytest.approx(595.276, abs=0.01) for w, _ in boxes)  # 210 mm
    assert all(float(h) == pytest.approx(841.89, abs=0.01) for _, h in boxes)  # 297 mm
    return len(pages)


def test_template_pdfs_are_valid_two_page_a4(rendered: dict[str, bytes]) -> None:
    pdfs = {rel: data for rel, data in rendered.items() if rel.endswith(".pdf")}
    assert len(pdfs) == 12
    for data in pdfs.values():
        assert _check_pdf(data) == 2


def test_markdown_tables_are_filled(rendered: dict[str, bytes]) -> None:
    assembly = rendered["hardware/ASSEMBLY.md"].decode()
    block = assembly.split("<!-- BEGIN GENERATED: multimeter -->")[1].split("<!-- END")[0]
    assert "| 1 kg (1 L water bottle, bag of sugar) | 9.8 N |" in block
    readme = rendered["hardware/README.md"].decode()
    assert "**Recommended: " in readme
    assert "| 3.3 kΩ, gain 1 |" in readme
    docs = rendered["docs/hardware.md"].decode()
    assert "| ADS1115 breakout VDD | 3V3 | pin 1 |" in docs
    assert "never from 5 V" in docs


def test_splice_replaces_only_marked_blocks() -> None:
    text = "a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nb\n"
    assert splice(text, {"x": lambda: "new\n"}) == (
        "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nb\n"
    )
    with pytest.raises(InsoleError, match="unknown generated block 'x'"):
        splice(text, {})


def test_write_all_creates_and_prunes(tmp_path: Path) -> None:
    stray = tmp_path / "hardware" / "generated" / "old.svg"
    stray.parent.mkdir(parents=True)
    stray.write_text("stale")
    changed = write_all(tmp_path)
    assert "hardware/generated/old.svg" in changed
    assert not stray.exists()
    assert set(generated_files()) <= set(changed)
    assert stale_files(tmp_path) == []


def test_drawing_rejects_what_its_formats_cannot_show() -> None:
    d = Drawing(10, 10)
    d.text(1, 1, "centred", anchor="middle")
    with pytest.raises(DrawingError, match="left-anchored text only"):
        pdf_document([d])
    d2 = Drawing(10, 10)
    d2.text(1, 1, "3.3 kΩ")
    with pytest.raises(DrawingError, match="Latin-1"):
        pdf_document([d2])
    with pytest.raises(DrawingError, match="anchor must be one of"):
        d.text(1, 1, "x", anchor="left")
    d.circle(1, 1, 1, Style(), ident="a")
    with pytest.raises(DrawingError, match="ids must be unique"):
        d.circle(1, 1, 1, Style(), ident="a")


def test_svg_escapes_text() -> None:
    d = Drawing(20, 10)
    d.text(1, 5, "R < 5 & > 2")
    root = ET.fromstring(d.to_svg())
    assert root.find(f"{SVG_NS}text").text == "R < 5 & > 2"  # type: ignore[union-attr]


def test_schematic_and_pin_table_show_every_part_and_net(rendered: dict[str, bytes]) -> None:
    from hardware.wiring import load_wiring

    wiring = load_wiring()
    root = ET.fromstring(rendered["hardware/generated/schematic.svg"])
    texts = [el.text or "" for el in root.iter(f"{SVG_NS}text")]
    joined = "\n".join(texts)
    for ref in wiring.parts:
        assert any(t.startswith(f"{ref} ") or t == ref for t in texts), ref
    for net in wiring.nets:
        assert net in texts, net
    assert "NEVER 5 V" in joined
    table = rendered["hardware/generated/pin-table.md"].decode()
    for pin in wiring.parts["J1"].pins:
        assert f"\n| {pin} | " in table, pin
