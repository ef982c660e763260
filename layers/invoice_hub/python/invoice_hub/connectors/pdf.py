"""The patient-facing invoice PDF, drawn with reportlab (docs/decisions/011-the-invoice-document.md).

One page for a short invoice, more for a long one (the lines' table flows on, its heading repeated): the
practice's name and address, the patient's name, the invoice's number and dates, every line (code,
description, quantity, unit price, amount), the discounts, total, paid and remaining, and how to pay: the
payment link as text (and a link) and as a QR code, drawn as vector squares (segno's module matrix), so
no image library is used to draw it.

DejaVu Sans (shipped with its licence in fonts/) is embedded, subset to the characters used, so every
name renders and extracts as written ("Zoë", "Łukasz"); reportlab's core fonts would draw a box for "Ł".
The document is rendered with reportlab's invariant mode: the same invoice gives the same bytes.

reportlab is imported on the first render, not with this module: only the functions that render pay for
it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from invoice_hub.domain.document import InvoiceDocument

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
QR_SIZE = 34 * 2.834645669  # 34 mm in points


def money(amount: Decimal, currency: str) -> str:
    symbol = "$" if currency.upper() == "USD" else f"{currency.upper()} "
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def quantity(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@lru_cache(maxsize=1)
def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def _qr(url: str) -> Any:
    """The payment link as a QR code: a reportlab Drawing of one path of dark squares."""
    import segno
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.shapes import Path as Shape
    from reportlab.lib import colors

    matrix = segno.make(url, error="m", micro=False).matrix
    cells = len(matrix) + 8  # the quiet zone: 4 modules each side
    unit = QR_SIZE / cells
    drawing = Drawing(QR_SIZE, QR_SIZE)
    path = Shape(fillColor=colors.black, strokeColor=None, strokeWidth=0)
    for row_number, row in enumerate(matrix):
        y = QR_SIZE - (row_number + 5) * unit
        start = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:  # one rectangle per run of dark modules
                x0, x1 = (start + 4) * unit, (column + 4) * unit
                path.moveTo(x0, y)
                path.lineTo(x1, y)
                path.lineTo(x1, y + unit)
                path.lineTo(x0, y + unit)
                path.closePath()
                start = None
    drawing.add(path)
    return drawing


def render(document: InvoiceDocument) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5)
    small = ParagraphStyle(
        "small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444")
    )
    title = ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=17, leading=21)
    heading = ParagraphStyle("heading", parent=body, fontName=BOLD, fontSize=10.5, leading=14)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5)
    currency = document.currency

    def text(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    practice = [text(document.practice_name, title)]
    if document.practice_address:
        practice.append(text(document.practice_address, small))
    facts = [
        ["Invoice", document.reg_number],
        ["Issued", document.issue_date.isoformat()],
        ["Due", document.due_date.isoformat() if document.due_date else "on receipt"],
    ]
    facts_table = Table(
        [[text(k, small), text(v, ParagraphStyle("fact", parent=right, fontName=BOLD))] for k, v in facts],
        colWidths=[22 * mm, 42 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]),
    )
    header = Table(
        [[practice, facts_table]],
        colWidths=[110 * mm, 66 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]),
    )
    story: list[Any] = [header, Spacer(0, 6 * mm)]
    if document.patient_name:
        bill_to = Table(
            [[text("Bill to", small)], [text(document.patient_name, heading)]],
            colWidths=[176 * mm],
            style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)]),
        )
        story += [bill_to, Spacer(0, 5 * mm)]

    numbers = ParagraphStyle("numbers", parent=cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=cell, fontName=BOLD, textColor=colors.white)
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    rows: list[list[Any]] = [
        [
            text("Code", head),
            text("Description", head),
            text("Qty", head_right),
            text("Unit price", head_right),
            text("Amount", head_right),
        ]
    ]
    for line in document.lines:
        rows.append(
            [
                text(line.code or "", cell),
                text(line.description, cell),
                text(quantity(line.quantity), numbers),
                text(money(line.unit_price, currency), numbers),
                text(money(line.amount, currency), numbers),
            ]
        )
    lines = Table(rows, colWidths=[22 * mm, 80 * mm, 16 * mm, 29 * mm, 29 * mm], repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#2f4f6f")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f5f8")]),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor("#9aa8b6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story += [lines, Spacer(0, 4 * mm)]

    sums: list[tuple[str, str]] = [("Subtotal", money(document.subtotal, currency))]
    if document.discount_amount:
        sums.append(("Discount", money(-document.discount_amount, currency)))
    if document.discount_percent:
        share = document.subtotal * document.discount_percent / 100
        sums.append((f"Discount ({quantity(document.discount_percent)}%)", money(-share, currency)))
    if not (document.discount_amount or document.discount_percent):
        sums.append(("Discount", money(Decimal(0), currency)))
    sums += [
        ("Total", money(document.total, currency)),
        ("Paid", money(document.paid, currency)),
        ("Remaining", money(document.remaining, currency)),
    ]
    strong = ParagraphStyle("strong", parent=right, fontName=BOLD, fontSize=11)
    totals = Table(
        [
            [
                text(label, right if label != "Remaining" else strong),
                text(value, right if label != "Remaining" else strong),
            ]
            for label, value in sums
        ],
        colWidths=[40 * mm, 33 * mm],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor("#2f4f6f")),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        ),
    )
    story += [totals, Spacer(0, 8 * mm)]

    link = escape(document.payment_url)
    pay = [
        text("How to pay", heading),
        text(f"Pay {money(document.remaining, currency)} online at:", body),
        Paragraph(
            f'<link href="{link}" color="#1f5fa8">{link}</link>',
            ParagraphStyle("url", parent=body, fontSize=8),
        ),
        Spacer(0, 2 * mm),
        text("Or scan the code with your phone's camera.", small),
    ]
    story.append(
        Table(
            [[pay, _qr(document.payment_url)]],
            colWidths=[138 * mm, 38 * mm],
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa8b6")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                ]
            ),
        )
    )

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice {document.reg_number}",
        author=document.practice_name,
        invariant=1,
    ).build(story)
    return out.getvalue()
