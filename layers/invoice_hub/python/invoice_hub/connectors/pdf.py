"""The patient-facing invoice PDF, drawn with reportlab (docs/decisions/011-the-invoice-document.md).

One Letter page for a short invoice, more for a long one (the lines' table flows on with its heading
repeated, and every page is numbered "page n of N"): the practice's name and address, "Invoice <number>"
with its issue and due dates, the patient's name (when known), every line (code, description, quantity,
unit price, amount), the subtotal, the discounts, total, paid and remaining, and how to pay: the payment
link as text (a live link) and as a QR code. The totals and how-to-pay box are kept together on one page.

The QR code is drawn as vectors: segno's module matrix becomes one path of filled rectangles, one per run
of dark modules in a row. That is the lightest way in: a PNG (segno writes one itself) would be decoded
again by Pillow's ImageReader to be embedded, and an SVG would need svglib, another dependency; the path
costs nothing to load, a few kilobytes of PDF, and stays sharp at any zoom or print resolution.

DejaVu Sans (shipped with its licence in fonts/) is embedded, subset to the characters used, so every
name renders and extracts as written ("Zoë Ångström", "Łukasz"); reportlab's core fonts would draw a box
for "Ł". The document is rendered in reportlab's invariant mode (no creation date, no random id): the
same invoice gives the same bytes, in any process.

reportlab and segno are imported on the first render, not with this module: only what renders pays for
them. Fonts are registered once per process. The lines' cells are plain strings, which the table draws
itself, wherever they fit on one line (a Paragraph per cell made a 50-line render twice as slow), and
streams are Flate-compressed without reportlab's ASCII85 wrapping. `python scripts/bench_render.py`
measures it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from invoice_hub.domain.document import InvoiceDocument
from invoice_hub.domain.money import to_cents

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MM = 72 / 25.4  # points per millimetre
PAGE = (612.0, 792.0)  # US Letter, in points
MARGIN = 18 * MM
WIDTH = PAGE[0] - 2 * MARGIN  # the content's width: every block is laid out to it
QR_SIZE = 34 * MM
INK, MUTED, RULE, BAND, ACCENT = "#1a1a1a", "#555555", "#9aa8b6", "#f2f5f8", "#2f4f6f"


def money(amount: Decimal, currency: str) -> str:
    """`$1,234.50` for US dollars, `EUR 1,234.50` for any other currency; rounded half-up to cents."""
    cents = to_cents(amount)
    code = currency.upper()
    symbol = "$" if code == "USD" else f"{code} "
    return f"{'-' if cents < 0 else ''}{symbol}{abs(cents):,.2f}"


def quantity(value: Decimal) -> str:
    """`2`, `1.5`, `0.25`: no trailing zeros, never an exponent."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_discount(document: InvoiceDocument) -> Decimal:
    """What the percent discount takes off, as the invoice computes its total: a share of the subtotal."""
    return to_cents(document.subtotal * document.discount_percent / Decimal(100))


@lru_cache(maxsize=1)
def _setup() -> None:
    """Once per process: the fonts registered, and streams left Flate-compressed only (reportlab's default
    also wraps them in ASCII85: a quarter bigger and slower to write, for 7-bit mail no one uses now)."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


@lru_cache(maxsize=1)
def _numbered_canvas() -> type:
    """A canvas that holds its pages back until the end, to print "page n of N" on each."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._footer = footer
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, page in enumerate(self._held, start=1):
                self.__dict__.update(page)
                self.setFont(REGULAR, 7.5)
                self.setFillColor(colors.HexColor(MUTED))
                self.drawRightString(
                    PAGE[0] - MARGIN, MARGIN / 2, f"{self._footer} · page {number} of {len(self._held)}"
                )
                super().showPage()
            super().save()

    return NumberedCanvas


@lru_cache(maxsize=1)
def _qr_code() -> type:
    """A flowable that draws a QR code's dark modules as rectangles, one per run in a row, in one path."""
    from reportlab.platypus import Flowable

    class QRCode(Flowable):
        def __init__(self, url: str, size: float) -> None:
            import segno

            super().__init__()
            self.matrix = segno.make(url, error="m", micro=False).matrix
            self.width = self.height = size

        def draw(self) -> None:
            border = 4  # the quiet zone the standard asks for, in modules, each side
            cells = len(self.matrix) + 2 * border
            canvas = self.canv
            canvas.saveState()
            canvas.scale(self.width / cells, self.height / cells)  # from here on, one unit is one module
            canvas.setFillColorRGB(0, 0, 0)
            path = canvas.beginPath()
            for row_number, row in enumerate(self.matrix):
                y = cells - border - row_number - 1
                start = None
                for column, dark in enumerate([*row, 0]):
                    if dark and start is None:
                        start = column
                    elif not dark and start is not None:
                        path.rect(start + border, y, column - start, 1)
                        start = None
            canvas.drawPath(path, stroke=0, fill=1)
            canvas.restoreState()

    return QRCode


def render(document: InvoiceDocument) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        KeepTogether,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    _setup()
    currency = document.currency
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5, textColor=INK)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED)
    bold = ParagraphStyle("bold", parent=body, fontName=BOLD)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    bold_right = ParagraphStyle("bold_right", parent=right, fontName=BOLD)
    title = ParagraphStyle("title", parent=bold, fontSize=17, leading=21)
    heading = ParagraphStyle("heading", parent=bold, fontSize=10.5, leading=14)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5)
    number = ParagraphStyle("number", parent=cell, alignment=TA_RIGHT)
    strong_right = ParagraphStyle("strong_right", parent=bold_right, fontSize=11, leading=14)

    def text(value: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(value).replace("\n", "<br/>"), style)

    flush = [(side, (0, 0), (-1, -1), 0) for side in ("LEFTPADDING", "RIGHTPADDING")]

    # the practice on the left; the invoice's number and dates on the right
    practice = [text(document.practice_name, title)]
    if document.practice_address:
        practice.append(text(document.practice_address, small))
    due = document.due_date.isoformat() if document.due_date else "on receipt"
    facts = Table(
        [
            [
                text(
                    f"Invoice {document.reg_number}",
                    ParagraphStyle("invoice", parent=heading, alignment=TA_RIGHT),
                )
            ],
            [text("Issued", small), text(document.issue_date.isoformat(), bold_right)],
            [text("Due", small), text(due, bold_right)],
        ],
        colWidths=[24 * MM, 36 * MM],
        style=TableStyle(
            [
                *flush,
                ("SPAN", (0, 0), (-1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 4),
            ]
        ),
    )
    header = Table(
        [[practice, facts]],
        colWidths=[WIDTH - 60 * MM, 60 * MM],
        style=TableStyle(
            [
                *flush,
                ("RIGHTPADDING", (0, 0), (0, 0), 6 * MM),  # a long practice name wraps before the dates
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    story: list[Any] = [header, Spacer(0, 7 * MM)]
    if document.patient_name:
        story += [text("Bill to", small), text(document.patient_name, heading), Spacer(0, 5 * MM)]

    # every line; the table breaks across pages with its heading repeated
    # the number columns are as wide as their widest figure (plus the cells' padding), so no amount wraps
    def widest(texts: list[str], style: ParagraphStyle) -> float:
        return max(stringWidth(t, style.fontName, style.fontSize) for t in texts) + 12

    figures = [document.subtotal, document.total, document.paid, document.discount_amount]
    figures += [figure for line in document.lines for figure in (line.unit_price, line.amount)]
    code_w = 20 * MM
    qty_w = max(14 * MM, widest(["Qty", *(quantity(line.quantity) for line in document.lines)], cell))
    money_w = max(
        28 * MM,
        widest([f"-{money(figure, currency)}" for figure in figures], right),
        widest([money(document.remaining, currency)], strong_right),
    )
    qty_w, money_w = min(qty_w, 24 * MM), min(money_w, 50 * MM)  # past these, a figure wraps
    widths = [code_w, WIDTH - code_w - qty_w - 2 * money_w, qty_w, money_w, money_w]

    def fit(value: str, column: int, style: ParagraphStyle) -> str | Paragraph:
        """A plain string, drawn by the table (five times cheaper than a Paragraph), when it fits on one
        line; a Paragraph, which wraps, when it does not."""
        if "\n" not in value and stringWidth(value, style.fontName, style.fontSize) + 12 <= widths[column]:
            return value
        return text(value, style)

    rows: list[list[Any]] = [["Code", "Description", "Qty", "Unit price", "Amount"]]
    rows += [
        [
            fit(line.code or "", 0, cell),
            fit(line.description, 1, cell),
            fit(quantity(line.quantity), 2, number),
            fit(money(line.unit_price, currency), 3, number),
            fit(money(line.amount, currency), 4, number),
        ]
        for line in document.lines
    ]
    lines = Table(
        rows,
        colWidths=widths,
        repeatRows=1,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, cell.fontSize, cell.leading),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(INK)),
                ("FONT", (0, 0), (-1, 0), BOLD, cell.fontSize, cell.leading),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT)),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor(BAND)]),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor(RULE)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        ),
    )
    story += [lines, Spacer(0, 4 * MM)]

    # the sums, right-aligned under the amounts
    sums: list[tuple[str, str]] = [("Subtotal", money(document.subtotal, currency))]
    if document.discount_amount or not document.discount_percent:
        sums.append(("Discount", money(-document.discount_amount, currency)))
    if document.discount_percent:
        label = f"Discount ({quantity(document.discount_percent)}%)"
        sums.append((label, money(-percent_discount(document), currency)))
    sums += [
        ("Total", money(document.total, currency)),
        ("Paid", money(document.paid, currency)),
    ]
    totals = Table(
        [[text(label, right), text(value, right)] for label, value in sums]
        + [[text("Remaining", strong_right), text(money(document.remaining, currency), strong_right)]],
        colWidths=[money_w + qty_w + 10 * MM, money_w],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("LINEABOVE", (0, -3), (-1, -3), 0.5, colors.HexColor(RULE)),  # above Total
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor(ACCENT)),  # above Remaining
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, -1), (-1, -1), 3),
            ]
        ),
    )

    # how to pay: the link as text and as a QR code
    link = escape(document.payment_url)
    if document.remaining > 0:
        ask = f"Pay the remaining {money(document.remaining, currency)} online at:"
    else:
        ask = "Nothing is left to pay. The invoice is online at:"
    pay = [
        text("How to pay", heading),
        text(ask, body),
        Spacer(0, 1 * MM),
        Paragraph(
            f'<link href="{link}" color="#1f5fa8">{link}</link>',
            ParagraphStyle("url", parent=body, fontSize=8),
        ),
        Spacer(0, 3 * MM),
        text("Or scan the code with your phone's camera.", small),
        text(f"Please quote invoice {document.reg_number} when you contact the practice.", small),
    ]
    how_to_pay = Table(
        [[pay, _qr_code()(document.payment_url, QR_SIZE)]],
        colWidths=[WIDTH - QR_SIZE - 2 * MM, QR_SIZE + 2 * MM],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor(RULE)),
                ("LEFTPADDING", (0, 0), (0, 0), 4 * MM),
                ("LEFTPADDING", (1, 0), (1, 0), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 2 * MM),
                ("TOPPADDING", (0, 0), (-1, -1), 2 * MM),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * MM),
            ]
        ),
    )
    story.append(KeepTogether([totals, Spacer(0, 8 * MM), how_to_pay]))

    footer = f"{document.practice_name} · Invoice {document.reg_number}"
    canvas = partial(_numbered_canvas(), footer=footer)
    out = io.BytesIO()
    template = BaseDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Invoice {document.reg_number}",
        author=document.practice_name,
        creator="invoice-hub",
        invariant=1,
    )
    frame = Frame(MARGIN, MARGIN, WIDTH, PAGE[1] - 2 * MARGIN, 0, 0, 0, 0, id="body")
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    template.build(story, canvasmaker=canvas)
    return out.getvalue()
