"""PDF documents in Chinese: blocks of text and tables laid out on A4 with an embedded CJK font.

A document is a list of :class:`Block` (headings, paragraphs, tables, a QR code), built as
plain text by its domain (so tests read the text without parsing a PDF) and laid out here by
:func:`render`, with a footer on every page — the document's name and "第 n 页 共 m 页".

Fonts: a TrueType CJK font is embedded (subset) so every glyph prints on any reader — the
first of :data:`FONT_CANDIDATES` found (Debian's ``fonts-wqy-microhei``, Apache-2.0 or
GPL-3+ with the font-embedding exception, installed by ``make chromium``; or the file named
by ``GREENFIN_PDF_FONT``). Without one, reportlab's built-in CID font ``STSong-Light`` is
used, which is *not* embedded (the reader must supply it) — a warning is logged and
:func:`font_embedded` says so.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

log = logging.getLogger(__name__)

EMBEDDED_FONT = "GreenfinCJK"
FALLBACK_FONT = "STSong-Light"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
PAGE_WIDTH = A4[0] - 36 * mm
"""The width blocks are laid out in (A4 less 18 mm margins)."""


@dataclass(frozen=True)
class Block:
    """One piece of a PDF: a heading (``h1``, ``h2``), a paragraph (``p``, ``small``), a ``table`` or a ``qr``."""

    kind: str
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    header: bool = False

    def strings(self) -> list[str]:
        """Every text this block prints."""
        if self.kind == "qr":
            return []
        return [self.text] if self.kind != "table" else [cell for row in self.rows for cell in row]


def text_of(blocks: Sequence[Block]) -> str:
    """All text the blocks print, one block per line (for reading and tests)."""
    return "\n".join(" | ".join(b.strings()) for b in blocks)


def font_file() -> str | None:
    """The CJK TrueType font to embed: ``GREENFIN_PDF_FONT``, else the first of FONT_CANDIDATES found."""
    configured = os.environ.get("GREENFIN_PDF_FONT")
    for path in (configured, *FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    return None


@lru_cache(maxsize=1)
def font() -> str:
    """The registered font name PDFs are written in (embedded when a TrueType CJK font is found)."""
    path = font_file()
    if path is not None:
        pdfmetrics.registerFont(TTFont(EMBEDDED_FONT, path, subfontIndex=0))
        return EMBEDDED_FONT
    log.warning(
        "no CJK TrueType font found (%s): PDFs use %s, which is not embedded",
        ", ".join(FONT_CANDIDATES),
        FALLBACK_FONT,
    )
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def font_embedded() -> bool:
    """Whether PDFs embed their CJK font (a TrueType font was found), or rely on the reader's."""
    return font() == EMBEDDED_FONT


def _qr_drawing(payload: str, size: float) -> Drawing:
    """The payload as a QR code (error correction M), drawn as vector squares."""
    code = segno.make_qr(payload, error="m")
    matrix = [list(row) for row in code.matrix]
    quiet = 2
    cells = len(matrix) + 2 * quiet
    step = size / cells
    drawing = Drawing(size, size)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(
                    Rect(
                        (x + quiet) * step,
                        size - (y + quiet + 1) * step,
                        step,
                        step,
                        fillColor=colors.black,
                        strokeColor=None,
                    )
                )
    return drawing


def _numbered_canvas(name: str, footer: str) -> type[Canvas]:
    """A canvas that writes ``footer`` and "第 n 页 共 m 页" at the foot of every page."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = name  # no unembedded Helvetica in the file
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(name, 8)
                self.setFillColor(colors.grey)
                self.drawString(18 * mm, 9 * mm, footer)
                self.drawRightString(A4[0] - 18 * mm, 9 * mm, f"第 {number} 页 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(rows: list[list[Any]], widths: list[float] | None, *, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f2ea")))
    table.setStyle(TableStyle(style))
    return table


def _even_widths(block: Block, width: float) -> list[float]:
    """A key-value table: a narrow label column; a header table: even columns."""
    if not block.header:
        return [45 * mm, width - 45 * mm]
    columns = len(block.rows[0]) if block.rows else 1
    return [width / columns] * columns


def render(
    blocks: Sequence[Block],
    *,
    title: str,
    footer: str,
    widths: Callable[[Block, float], list[float]] = _even_widths,
    compress: bool = True,
) -> bytes:
    """The PDF bytes of ``blocks`` on A4, titled ``title``, with ``footer`` and page numbers on every page."""
    name = font()
    # CJK wrapping breaks anywhere, so Chinese lines and long hashes or signatures stay on the page.
    styles = {
        "h1": ParagraphStyle("h1", fontName=name, fontSize=16, leading=22, spaceAfter=6, wordWrap="CJK"),
        "h2": ParagraphStyle("h2", fontName=name, fontSize=11, leading=16, spaceBefore=8, spaceAfter=4, wordWrap="CJK"),
        "p": ParagraphStyle("body", fontName=name, fontSize=9, leading=13, wordWrap="CJK"),
        "small": ParagraphStyle("small", fontName=name, fontSize=7.5, leading=10, wordWrap="CJK"),
    }
    story: list[Any] = []
    for block in blocks:
        if block.kind == "table":
            style = styles["small"] if block.header else styles["p"]
            rows = [[_para(c, style) for c in row] for row in block.rows]
            story.append(_table(rows, widths(block, PAGE_WIDTH), header=block.header))
        elif block.kind == "qr":
            story.append(_qr_drawing(block.text, 32 * mm))
        else:
            story.append(_para(block.text, styles[block.kind]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="greenfin",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        pageCompression=1 if compress else 0,
    )
    document.build(story, canvasmaker=_numbered_canvas(name, footer))
    return buffer.getvalue()
