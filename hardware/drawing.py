"""A tiny deterministic vector-drawing model with SVG and PDF writers.

Drawings are built in millimetres with y pointing down (the SVG convention) from a few
primitives — lines, polylines, circles, rectangles and text — and written out as SVG
(every drawing) or PDF (single-font, left-anchored text only; enough for the printable
sensor-placement template). Output depends only on the primitives: no dates, no random
ids, numbers printed with a fixed precision, so regenerating a drawing gives the same
bytes and a test can check that the committed files are up to date.

Writing the formats by hand keeps the hardware folder free of plotting and PDF
dependencies; the subset used here is small and well specified (SVG 1.1, PDF 1.4).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from insole.errors import InsoleError

PT_PER_MM = 72.0 / 25.4
"""PDF user space is in points (1/72 inch)."""

FONT_FAMILY = "Helvetica, Arial, sans-serif"

# A circle drawn with four cubic Béziers: control-point distance for a quarter arc.
_KAPPA = 0.5522847498


class DrawingError(InsoleError, ValueError):
    """A drawing asks for something its output format cannot show."""


@dataclass(frozen=True, slots=True)
class Style:
    """Stroke and fill of a shape; colours are ``#rrggbb`` or ``None`` for none."""

    stroke: str | None = "#000000"
    stroke_width_mm: float = 0.3
    fill: str | None = None
    dash_mm: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class _Poly:
    points: tuple[tuple[float, float], ...]
    closed: bool
    style: Style
    kind: str  # "line" | "polyline" | "polygon" | "rect"
    ident: str | None = None


@dataclass(frozen=True, slots=True)
class _Circle:
    cx: float
    cy: float
    r: float
    style: Style
    ident: str | None = None


@dataclass(frozen=True, slots=True)
class _Text:
    x: float
    y: float
    text: str
    size_mm: float
    anchor: str
    bold: bool
    fill: str


_Item = _Poly | _Circle | _Text
ANCHORS = ("start", "middle", "end")


def fmt(value: float) -> str:
    """A number with at most three decimals and no trailing zeros (``-0`` becomes ``0``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Drawing:
    """A page of vector primitives in millimetres (origin top left, y down)."""

    def __init__(self, width_mm: float, height_mm: float, title: str = "") -> None:
        if width_mm <= 0 or height_mm <= 0:
            raise DrawingError(f"page size must be positive, got {width_mm} x {height_mm} mm")
        self.width_mm = width_mm
        self.height_mm = height_mm
        self.title = title
        self._items: list[_Item] = []
        self._ids: set[str] = set()

    # -- building ---------------------------------------------------------------------
    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        style: Style = Style(),
        *,
        ident: str | None = None,
    ) -> None:
        """A straight segment (``ident`` becomes the SVG ``id``, for tests and styling)."""
        self._items.append(_Poly(((x1, y1), (x2, y2)), False, style, "line", self._id(ident)))

    def polyline(
        self,
        points: Sequence[tuple[float, float]],
        style: Style = Style(),
        closed: bool = False,
        ident: str | None = None,
    ) -> None:
        """Connected segments through ``points`` (closed back to the first when asked)."""
        if len(points) < 2:
            raise DrawingError(f"a polyline needs at least 2 points, got {len(points)}")
        kind = "polygon" if closed else "polyline"
        pts = tuple((float(x), float(y)) for x, y in points)
        self._items.append(_Poly(pts, closed, style, kind, self._id(ident)))

    def rect(self, x: float, y: float, w: float, h: float, style: Style = Style()) -> None:
        """An axis-aligned rectangle with its top-left corner at (x, y)."""
        corners = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        self._items.append(_Poly(corners, True, style, "rect"))

    def circle(
        self, cx: float, cy: float, r: float, style: Style = Style(), ident: str | None = None
    ) -> None:
        """A circle of radius ``r`` mm."""
        if r <= 0:
            raise DrawingError(f"circle radius must be positive, got {r}")
        self._items.append(_Circle(cx, cy, r, style, self._id(ident)))

    def _id(self, ident: str | None) -> str | None:
        if ident is None:
            return None
        if ident in self._ids or not ident.replace("-", "").replace("_", "").isalnum():
            raise DrawingError(f"ids must be unique letters, digits, - and _; got {ident!r}")
        self._ids.add(ident)
        return ident

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size_mm: float = 3.5,
        *,
        anchor: str = "start",
        bold: bool = False,
        fill: str = "#000000",
    ) -> None:
        """One line of text with its baseline at ``y``."""
        if anchor not in ANCHORS:
            raise DrawingError(f"anchor must be one of {', '.join(ANCHORS)}, got {anchor!r}")
        self._items.append(_Text(x, y, text, size_mm, anchor, bold, fill))

    # -- SVG --------------------------------------------------------------------------
    def to_svg(self) -> str:
        """The drawing as a standalone SVG document sized in millimetres (true scale)."""
        w, h = fmt(self.width_mm), fmt(self.height_mm)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
            f'viewBox="0 0 {w} {h}" font-family={quoteattr(FONT_FAMILY)}>',
        ]
        if self.title:
            out.append(f"<title>{escape(self.title)}</title>")
        out.append(f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>')
        out.extend(_svg_item(item) for item in self._items)
        out.append("</svg>")
        return "\n".join(out) + "\n"

    # -- PDF --------------------------------------------------------------------------
    def pdf_content(self) -> bytes:
        """The page's PDF content stream (points, y up)."""
        ops: list[str] = []
        for item in self._items:
            ops.extend(_pdf_item(item, self.height_mm))
        return ("\n".join(ops) + "\n").encode("latin-1")


def _svg_style(style: Style) -> str:
    parts = [f'fill="{style.fill or "none"}"']
    if style.stroke is None:
        parts.append('stroke="none"')
    else:
        parts.append(f'stroke="{style.stroke}" stroke-width="{fmt(style.stroke_width_mm)}"')
        parts.append('stroke-linejoin="round" stroke-linecap="round"')
        if style.dash_mm:
            parts.append(f'stroke-dasharray="{" ".join(fmt(d) for d in style.dash_mm)}"')
    return " ".join(parts)


def _svg_id(ident: str | None) -> str:
    return "" if ident is None else f'id="{ident}" '


def _svg_item(item: _Item) -> str:
    if isinstance(item, _Circle):
        return (
            f'<circle {_svg_id(item.ident)}cx="{fmt(item.cx)}" cy="{fmt(item.cy)}" '
            f'r="{fmt(item.r)}" {_svg_style(item.style)}/>'
        )
    if isinstance(item, _Text):
        weight = ' font-weight="bold"' if item.bold else ""
        anchor = "" if item.anchor == "start" else f' text-anchor="{item.anchor}"'
        return (
            f'<text x="{fmt(item.x)}" y="{fmt(item.y)}" font-size="{fmt(item.size_mm)}" '
            f'fill="{item.fill}"{anchor}{weight}>{escape(item.text)}</text>'
        )
    if item.kind == "line":
        (x1, y1), (x2, y2) = item.points
        return (
            f'<line {_svg_id(item.ident)}x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" '
            f'y2="{fmt(y2)}" {_svg_style(item.style)}/>'
        )
    if item.kind == "rect":
        (x0, y0), _, (x2, y2), _ = item.points
        return (
            f'<rect x="{fmt(x0)}" y="{fmt(y0)}" width="{fmt(x2 - x0)}" height="{fmt(y2 - y0)}" '
            f"{_svg_style(item.style)}/>"
        )
    points = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in item.points)
    return f'<{item.kind} {_svg_id(item.ident)}points="{points}" {_svg_style(item.style)}/>'


def _pdf_colour(hex_colour: str, op: str) -> str:
    if len(hex_colour) != 7 or not hex_colour.startswith("#"):
        raise DrawingError(f"colours must be #rrggbb, got {hex_colour!r}")
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
    return f"{fmt(r)} {fmt(g)} {fmt(b)} {op}"


def _pdf_paint(style: Style) -> tuple[list[str], str]:
    setup = []
    if style.stroke is not None:
        setup.append(_pdf_colour(style.stroke, "RG"))
        setup.append(f"{fmt(style.stroke_width_mm * PT_PER_MM)} w 1 J 1 j")
        dashes = " ".join(fmt(d * PT_PER_MM) for d in style.dash_mm)
        setup.append(f"[{dashes}] 0 d")
    if style.fill is not None:
        setup.append(_pdf_colour(style.fill, "rg"))
    if style.fill is not None and style.stroke is not None:
        return setup, "B"
    if style.fill is not None:
        return setup, "f"
    if style.stroke is not None:
        return setup, "S"
    return setup, "n"


def _pdf_item(item: _Item, page_h_mm: float) -> list[str]:
    def pt(x: float, y: float) -> str:
        return f"{fmt(x * PT_PER_MM)} {fmt((page_h_mm - y) * PT_PER_MM)}"

    if isinstance(item, _Text):
        if item.anchor != "start":
            raise DrawingError("PDF output supports left-anchored text only (anchor='start')")
        try:
            raw = item.text.encode("cp1252")
        except UnicodeEncodeError as err:
            raise DrawingError(f"PDF text must be Latin-1 (cp1252), got {item.text!r}") from err
        body = "".join(
            "\\" + chr(c) if chr(c) in "()\\" else (chr(c) if 32 <= c < 127 else f"\\{c:03o}")
            for c in raw
        )
        font = "/F2" if item.bold else "/F1"
        return [
            "BT",
            _pdf_colour(item.fill, "rg"),
            f"{font} {fmt(item.size_mm * PT_PER_MM)} Tf",
            f"{pt(item.x, item.y)} Td",
            f"({body}) Tj",
            "ET",
        ]
    setup, paint = _pdf_paint(item.style)
    ops = ["q", *setup]
    if isinstance(item, _Circle):
        k = _KAPPA * item.r
        cx, cy, r = item.cx, item.cy, item.r
        ops.append(f"{pt(cx + r, cy)} m")
        quarter_arcs = (
            ((cx + r, cy - k), (cx + k, cy - r), (cx, cy - r)),
            ((cx - k, cy - r), (cx - r, cy - k), (cx - r, cy)),
            ((cx - r, cy + k), (cx - k, cy + r), (cx, cy + r)),
            ((cx + k, cy + r), (cx + r, cy + k), (cx + r, cy)),
        )
        for c1, c2, end in quarter_arcs:
            ops.append(f"{pt(*c1)} {pt(*c2)} {pt(*end)} c")
        ops.append("h")
    else:
        first, *rest = item.points
        ops.append(f"{pt(*first)} m")
        ops.extend(f"{pt(*p)} l" for p in rest)
        if item.closed:
            ops.append("h")
    ops.extend([paint, "Q"])
    return ops


def pdf_document(pages: Sequence[Drawing], title: str = "") -> bytes:
    """A PDF 1.4 file with one page per drawing (Helvetica, compressed content streams).

    No creation date or document id is written, so the bytes depend only on the pages.
    """
    if not pages:
        raise DrawingError("a PDF needs at least one page")
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree exists
    page_tree = add(b"")
    font_regular = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    font_bold = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    page_ids = []
    for page in pages:
        stream = zlib.compress(page.pdf_content(), 9)
        content = add(
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            + stream
            + b"\nendstream"
        )
        box = f"0 0 {fmt(page.width_mm * PT_PER_MM)} {fmt(page.height_mm * PT_PER_MM)}"
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {page_tree} 0 R /MediaBox [{box}] "
                f"/Resources << /Font << /F1 {font_regular} 0 R /F2 {font_bold} 0 R >> >> "
                f"/Contents {content} 0 R >>".encode()
            )
        )
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects[page_tree - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {page_tree} 0 R >>".encode()
    info = add(f"<< /Title ({_pdf_string(title)}) /Producer (insole-monitor hardware) >>".encode())

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _pdf_string(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
