"""The patient-facing invoice document: what the PDF shows, gathered from the invoice, the practice and
the patient's contact. It holds patient data (the name): it is rendered, never logged or keyed by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoice_hub.domain.invoice import Invoice


@dataclass(frozen=True)
class DocumentLine:
    description: str
    code: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    practice_name: str
    practice_address: str | None
    patient_name: str | None
    reg_number: str
    issue_date: date
    due_date: date | None
    lines: tuple[DocumentLine, ...]
    subtotal: Decimal
    discount_amount: Decimal
    discount_percent: Decimal
    total: Decimal
    paid: Decimal
    remaining: Decimal
    payment_url: str
    currency: str = "USD"

    @classmethod
    def of(
        cls,
        invoice: Invoice,
        *,
        practice_name: str,
        practice_address: str | None,
        patient_name: str | None,
        payment_url: str,
    ) -> InvoiceDocument:
        charges = invoice.charges
        return cls(
            practice_name=practice_name,
            practice_address=practice_address,
            patient_name=patient_name,
            reg_number=invoice.reg_number,
            issue_date=invoice.issue_date.date(),
            due_date=invoice.due_date.date() if invoice.due_date else None,
            lines=tuple(
                DocumentLine(item.description, item.code, item.quantity, item.unit_price, item.amount)
                for item in charges.items
            ),
            subtotal=charges.subtotal,
            discount_amount=charges.discount_amount,
            discount_percent=charges.discount_percent,
            total=charges.total_amount,
            paid=charges.paid_amount,
            remaining=charges.remaining_amount,
            payment_url=payment_url,
        )
