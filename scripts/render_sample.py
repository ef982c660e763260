"""`python scripts/render_sample.py`: renders a sample invoice and writes page 1 as docs/invoice-sample.png
(to look at the document; the PDF itself is not kept)."""

from __future__ import annotations

import sys
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from invoice_hub.connectors.pdf import render
from invoice_hub.domain.document import DocumentLine, InvoiceDocument

ROOT = Path(__file__).resolve().parents[1]


def sample(lines: int = 3) -> InvoiceDocument:
    catalogue = [
        ("99213", "Office visit, established patient (15 min)", Decimal(1), Decimal("120.00")),
        ("80053", "Comprehensive metabolic panel", Decimal(1), Decimal("42.50")),
        ("90686", "Influenza vaccine, quadrivalent", Decimal(2), Decimal("31.25")),
    ]
    chosen = [catalogue[n % len(catalogue)] for n in range(lines)]
    document_lines = tuple(
        DocumentLine(d, c, q, p, (q * p).quantize(Decimal("0.01"))) for c, d, q, p in chosen
    )
    subtotal = sum((line.amount for line in document_lines), Decimal(0))
    discount = Decimal("10.00")
    total = subtotal - discount
    paid = Decimal("50.00")
    return InvoiceDocument(
        practice_name="Harbour Family Practice",
        practice_address="1 Harbour Street, Springfield, IL 62701",
        patient_name="Zoë Müller-Łukasiewicz",
        reg_number="INV-000042",
        issue_date=date(2026, 12, 5),
        due_date=date(2027, 1, 4),
        lines=document_lines,
        subtotal=subtotal,
        discount_amount=discount,
        discount_percent=Decimal(0),
        total=total,
        paid=paid,
        remaining=total - paid,
        payment_url=f"https://pay.invoice-hub.example/invoices/{uuid.UUID(int=42)}",
    )


def main() -> None:
    import pypdfium2  # here, so that importing sample() (scripts/bench_render.py) costs no rasteriser

    pdf = render(sample())
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=100 / 72).to_pil()
    target = ROOT / "docs" / "invoice-sample.png"
    # an adaptive 64-colour palette keeps the colours and the file small (tens of kilobytes)
    image.convert("RGB").quantize(colors=64).save(target, optimize=True)
    print(
        f"{target.relative_to(ROOT)}: {target.stat().st_size} bytes, from a {len(pdf)}-byte PDF",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
