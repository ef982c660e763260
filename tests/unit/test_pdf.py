"""The invoice document as a patient reads it: every field is in the PDF's text (read back with pypdf), each
line reads as one row, a long invoice flows onto more pages with every line, the QR code scans to the
payment link, names in any script come out as written, and the same invoice renders to the same bytes in
any process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from invoice_hub.connectors.pdf import money, percent_discount, quantity, render
from invoice_hub.domain.document import DocumentLine, InvoiceDocument
from invoice_hub.domain.money import to_cents

URL = f"https://pay.invoice-hub.example/invoices/{uuid.UUID(int=7)}"


def document(lines: int = 1, patient: str | None = "Zoë Ångström-Łukasiewicz") -> InvoiceDocument:
    items = tuple(
        DocumentLine(
            f"Service {n}: consultation, Łukasz's clinic",
            f"C{n:04d}",
            Decimal(n % 3 + 1) / (2 if n % 4 == 3 else 1),  # 1, 2, 3 and now and then 1.5 or 0.5
            Decimal("12.50") + n,
            to_cents(Decimal(n % 3 + 1) / (2 if n % 4 == 3 else 1) * (Decimal("12.50") + n)),
        )
        for n in range(lines)
    )
    subtotal = sum((line.amount for line in items), Decimal(0))
    total = to_cents(subtotal - Decimal(5) - subtotal / 10)
    return InvoiceDocument(
        practice_name="Praxis Dr. Łucja Nowak",
        practice_address="Rue de l'Église 3, 1201 Genève",
        patient_name=patient,
        reg_number="INV-000123",
        issue_date=date(2026, 12, 5),
        due_date=date(2027, 1, 4),
        lines=items,
        subtotal=subtotal,
        discount_amount=Decimal("5.00"),
        discount_percent=Decimal(10),
        total=total,
        paid=Decimal("20.00"),
        remaining=total - Decimal(20),
        payment_url=URL,
    )


def pages(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace made single spaces (pypdf gives one table cell per text line)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def row(line: DocumentLine) -> str:
    """A line as it reads across its row: code, description, quantity, unit price, amount."""
    cells = [line.code or "", line.description, quantity(line.quantity)]
    return " ".join([*cells, money(line.unit_price, "USD"), money(line.amount, "USD")])


def test_every_field_of_a_one_line_invoice_is_in_its_text() -> None:
    doc = document(1)
    [text] = pages(render(doc))
    [line] = doc.lines
    for field in (
        "Praxis Dr. Łucja Nowak",
        "Rue de l'Église 3, 1201 Genève",
        "Bill to Zoë Ångström-Łukasiewicz",
        "Invoice INV-000123",
        "Issued 2026-12-05",
        "Due 2027-01-04",
        "Code Description Qty Unit price Amount",
        "C0000 Service 0: consultation, Łukasz's clinic 1 $12.50 $12.50",
        "Subtotal $12.50",
        "Discount -$5.00",
        "Discount (10%) -$1.25",
        "Total $6.25",
        "Paid $20.00",
        "Remaining -$13.75",
        URL,
    ):
        assert field in text, field
    assert row(line) in text


def test_fifty_lines_flow_onto_more_pages_with_every_line_in_order() -> None:
    doc = document(50)
    rendered = pages(render(doc))
    assert len(rendered) >= 2
    text = " ".join(rendered)
    at = 0
    for line in doc.lines:
        found = text.find(row(line), at)
        assert found >= 0, line.code
        at = found + 1
    assert {"1.5", "0.5"} <= {quantity(line.quantity) for line in doc.lines}  # fractions shown trimmed
    assert all(page.count("Code Description Qty Unit price Amount") == 1 for page in rendered)  # repeated
    assert all(f"page {n} of {len(rendered)}" in page for n, page in enumerate(rendered, start=1))
    assert f"Remaining {money(doc.remaining, 'USD')}" in rendered[-1]
    assert URL in rendered[-1]


def test_the_qr_code_scans_to_the_payment_link_and_the_link_is_live() -> None:
    pdf = render(document(1))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])] == [URL]
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    assert [(code.format, code.text) for code in zxingcpp.read_barcodes(image)] == [
        (zxingcpp.BarcodeFormat.QRCode, URL)
    ]


def test_without_a_patient_name_or_due_date_the_document_still_renders() -> None:
    [text] = pages(render(replace(document(1, patient=None), due_date=None)))
    assert "Bill to" not in text
    assert "Invoice INV-000123" in text
    assert "Due on receipt" in text


def test_without_discounts_a_zero_discount_row_is_shown() -> None:
    doc = replace(document(1), discount_amount=Decimal(0), discount_percent=Decimal(0))
    [text] = pages(render(doc))
    assert "Subtotal $12.50 Discount $0.00 Total" in text
    assert "%" not in text


def test_other_currencies_show_their_code() -> None:
    [text] = pages(render(replace(document(1), currency="eur")))
    assert "C0000 Service 0: consultation, Łukasz's clinic 1 EUR 12.50 EUR 12.50" in text
    assert "Remaining -EUR 13.75" in text


def test_a_long_description_or_code_wraps_within_its_row_and_every_word_comes_back() -> None:
    long = "Comprehensive dental examination including radiographs, " * 3 + "and a follow-up call"
    doc = document(2)
    doc = replace(
        doc, lines=(replace(doc.lines[0], description=long, code="D0150-EXTENDED-2026"), doc.lines[1])
    )
    doc = replace(doc, practice_address="Rue de l'Église 3\n1201 Genève")
    [text] = pages(render(doc))
    assert f"{long} 1 $12.50 $12.50 C0001" in text
    unspaced = text.replace(" ", "")  # the code is broken over lines in its cell
    assert f"D0150-EXTENDED-2026{long}".replace(" ", "") in unspaced
    assert "Rue de l'Église 3 1201 Genève" in text


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("125"), "USD", "$125.00"),
        (Decimal("1234.005"), "USD", "$1,234.01"),  # half-up, as the invoice rounds
        (Decimal("-10"), "USD", "-$10.00"),
        (Decimal("0.5"), "chf", "CHF 0.50"),
    ],
)
def test_amounts_have_two_decimals_and_the_currency(amount: Decimal, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("2.000"), "2"), (Decimal("1.50"), "1.5"), (Decimal("1E+1"), "10"), (Decimal("0.25"), "0.25")],
)
def test_quantities_have_no_trailing_zeros(value: Decimal, shown: str) -> None:
    assert quantity(value) == shown


def test_the_percent_discount_is_a_share_of_the_subtotal_in_cents() -> None:
    doc = replace(document(1), subtotal=Decimal("33.33"), discount_percent=Decimal("12.5"))
    assert percent_discount(doc) == Decimal("4.17")


def test_the_same_invoice_renders_to_the_same_bytes_in_another_process() -> None:
    script = (
        "import sys; from tests.unit.test_pdf import document; "
        "from invoice_hub.connectors.pdf import render; sys.stdout.buffer.write(render(document(3)))"
    )
    other = subprocess.run(  # noqa: S603 - this interpreter, this test's module
        [sys.executable, "-c", script],
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        timeout=60,
    ).stdout
    assert render(document(3)) == render(document(3)) == other


@settings(max_examples=15, deadline=None)
@given(
    st.text(
        alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=0x4FF), min_size=1, max_size=30
    ),
    st.text(alphabet=st.characters(categories=("Lu", "Ll"), max_codepoint=0x4FF), min_size=1, max_size=20),
)
def test_names_and_descriptions_in_any_european_script_come_back_as_written(
    description: str, patient: str
) -> None:
    doc = document(1, patient=patient)
    doc = replace(doc, lines=(replace(doc.lines[0], description=description),))
    [text] = pages(render(doc))
    assert f"Bill to {patient}" in text
    assert f" {description} 1 $12.50" in text
