"""The invoice document as a patient reads it: every field is in the PDF's text (read back with pypdf), a
long invoice flows onto more pages with every line, names in any script come out as written, and the same
invoice renders to the same bytes."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from invoice_hub.connectors.pdf import money, quantity, render
from invoice_hub.domain.document import DocumentLine, InvoiceDocument

URL = f"https://pay.invoice-hub.example/invoices/{uuid.UUID(int=7)}"


def document(lines: int = 1, patient: str | None = "Zoë Müller-Łukasiewicz") -> InvoiceDocument:
    items = tuple(
        DocumentLine(
            f"Service {n}",
            f"C{n:04d}",
            Decimal(n % 3 + 1),
            Decimal("12.50") + n,
            (Decimal(n % 3 + 1) * (Decimal("12.50") + n)),
        )
        for n in range(lines)
    )
    subtotal = sum((line.amount for line in items), Decimal(0))
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
        total=subtotal - Decimal(5) - subtotal / 10,
        paid=Decimal("20.00"),
        remaining=subtotal - Decimal(25) - subtotal / 10,
        payment_url=URL,
    )


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_every_field_of_a_one_line_invoice_is_in_its_text() -> None:
    doc = document(1)
    text = "\n".join(pages(render(doc)))
    [line] = doc.lines
    for field in (
        doc.practice_name,
        doc.practice_address,
        doc.patient_name,
        doc.reg_number,
        "2026-12-05",
        "2027-01-04",
        line.code,
        line.description,
        quantity(line.quantity),
        money(line.unit_price, "USD"),
        money(line.amount, "USD"),
        "Discount",
        money(-doc.discount_amount, "USD"),
        "Discount (10%)",
        money(doc.total, "USD"),
        money(doc.paid, "USD"),
        money(doc.remaining, "USD"),
        URL,
    ):
        assert field, "every field is given"
        assert field in text, field


def test_fifty_lines_flow_onto_more_pages_with_every_line() -> None:
    doc = document(50)
    rendered = pages(render(doc))
    assert len(rendered) >= 2
    text = "\n".join(rendered)
    for line in doc.lines:
        assert line.code in text and money(line.amount, "USD") in text, line.code  # noqa: PT018
    assert "Unit price" in rendered[1]  # the heading repeated on the next page
    assert URL in rendered[-1]


def test_the_qr_code_and_the_link_are_drawn() -> None:
    reader = PdfReader(io.BytesIO(render(document(1))))
    links = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    assert [link["/A"]["/URI"] for link in links] == [URL]
    content = reader.pages[0].get_contents()
    assert content is not None
    assert content.get_data().count(b" re") + content.get_data().count(b" l") > 100  # the QR's squares


def test_without_a_patient_name_the_document_still_renders() -> None:
    text = "\n".join(pages(render(document(1, patient=None))))
    assert "Bill to" not in text
    assert "INV-000123" in text


def test_the_same_invoice_renders_to_the_same_bytes() -> None:
    assert render(document(3)) == render(document(3))


@settings(max_examples=15, deadline=None)
@given(
    st.text(
        alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=0x4FF),
        min_size=1,
        max_size=30,
    )
)
def test_a_description_in_any_european_script_comes_back_as_written(description: str) -> None:
    doc = document(1)
    doc = replace(doc, lines=(replace(doc.lines[0], description=description),))
    assert description in "\n".join(pages(render(doc)))
