"""The canonical invoice and its life cycle. Every contract facade translates to and from these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition
from invoice_hub.domain.money import ZERO, to_cents
from invoice_hub.domain.record import Record


class InvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    PARTIALY_PAID = "PARTIALY_PAID"  # the contract's spelling, kept
    PAID = "PAID"
    VOID = "VOID"
    WRITTEN_OFF = "WRITTEN_OFF"


S = InvoiceStatus
#: statuses that payments decide between
PAYMENT_DRIVEN = frozenset({S.ISSUED, S.PARTIALY_PAID, S.PAID})
TERMINAL = frozenset({S.PAID, S.VOID, S.WRITTEN_OFF})
#: status before -> statuses it may become (None: a new invoice)
ALLOWED: dict[InvoiceStatus | None, frozenset[InvoiceStatus]] = {
    None: frozenset({S.DRAFT, S.ISSUED, S.PARTIALY_PAID, S.PAID}),
    S.DRAFT: frozenset({S.DRAFT, S.ISSUED, S.PARTIALY_PAID, S.PAID, S.VOID}),
    S.ISSUED: frozenset({S.ISSUED, S.PARTIALY_PAID, S.PAID, S.VOID, S.WRITTEN_OFF}),
    S.PARTIALY_PAID: frozenset({S.ISSUED, S.PARTIALY_PAID, S.PAID, S.VOID, S.WRITTEN_OFF}),
    S.PAID: frozenset({S.PAID}),
    S.VOID: frozenset({S.VOID}),
    S.WRITTEN_OFF: frozenset({S.WRITTEN_OFF}),
}


class LineItem(Record):
    id: UUID
    description: str
    code: str | None = None
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return to_cents(self.quantity * self.unit_price)

    def same_charge(self, other: LineItem) -> bool:
        return (self.description, self.code, self.quantity, self.unit_price) == (
            other.description,
            other.code,
            other.quantity,
            other.unit_price,
        )


class Charges(Record):
    """What an invoice bills: its items, discounts and payments. Totals are derived, never stored as truth."""

    items: tuple[LineItem, ...] = ()
    discount_amount: Decimal = Decimal(0)
    discount_percent: Decimal = Decimal(0)
    paid_amount: Decimal = Decimal(0)

    @property
    def subtotal(self) -> Decimal:
        return to_cents(sum((item.amount for item in self.items), ZERO))

    @property
    def total_amount(self) -> Decimal:
        subtotal = self.subtotal
        total = subtotal - self.discount_amount - subtotal * self.discount_percent / Decimal(100)
        return max(ZERO, to_cents(total))

    @property
    def remaining_amount(self) -> Decimal:
        return to_cents(self.total_amount - self.paid_amount)

    def same_billing(self, other: Charges) -> bool:
        """Same items and discounts (payments aside)."""
        return (
            len(self.items) == len(other.items)
            and all(a.same_charge(b) for a, b in zip(self.items, other.items, strict=True))
            and self.discount_amount == other.discount_amount
            and self.discount_percent == other.discount_percent
        )


class Invoice(Record):
    id: UUID
    tenant_id: UUID
    reg_number: str
    external_id: str | None = None
    patient_id: UUID
    appointment_id: UUID | None = None
    issue_date: datetime
    due_date: datetime | None = None
    status: InvoiceStatus
    charges: Charges
    tags: tuple[str, ...] = ()
    write_off_reason: str | None = None  # why it was written off, when it was (Decoda's writeOffReason)
    created_at: datetime
    updated_at: datetime
    version: int = 1


def payment_status(charges: Charges) -> InvoiceStatus:
    """The status that payments give an issued invoice."""
    if charges.paid_amount <= ZERO:
        return S.ISSUED
    if charges.paid_amount < charges.total_amount:
        return S.PARTIALY_PAID
    return S.PAID


def next_status(current: Invoice | None, requested: InvoiceStatus, charges: Charges) -> InvoiceStatus:
    """The status an invoice takes when `requested` is asked for with `charges`; raises if not allowed.

    ISSUED, PARTIALY_PAID and PAID are decided by payments: asking for ISSUED with a payment gives
    PARTIALY_PAID or PAID; asking for PAID without the full payment is refused.
    """
    if charges.paid_amount > charges.total_amount:
        raise BusinessRuleViolation(
            f"paid_amount {charges.paid_amount} exceeds total_amount {charges.total_amount}", "paid_amount"
        )
    if requested in PAYMENT_DRIVEN:
        status = payment_status(charges)
        if requested is not S.ISSUED and requested is not status:
            raise IllegalTransition(
                f"status {requested} is set by payments: paid_amount {charges.paid_amount} "
                f"of total_amount {charges.total_amount} makes the invoice {status}"
            )
    else:
        status = requested

    before = current.status if current else None
    if status not in ALLOWED[before]:
        if before is None:
            raise IllegalTransition(
                f"a new invoice cannot be created as {status}; create it as DRAFT or ISSUED"
            )
        raise IllegalTransition(f"invoice status cannot change from {before} to {status}")
    if status is S.DRAFT and charges.paid_amount > ZERO:
        raise IllegalTransition("payments can be recorded only on an issued invoice, not on a DRAFT")
    if current is not None and before is not S.DRAFT and not charges.same_billing(current.charges):
        raise IllegalTransition(f"items and discounts cannot change once an invoice is {before}")
    if current is not None and before in TERMINAL and charges.paid_amount != current.charges.paid_amount:
        raise IllegalTransition(f"payments cannot change once an invoice is {before}")
    return status


#: the most invoices one page of a list holds
MAX_LIMIT = 500


class InvoiceQuery(Record):
    """Filters, order and page of GET /invoice/ (the domain's view of the query string)."""

    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)
    order_by: str = "created_at"
    search: str | None = None
    tags: tuple[str, ...] = ()
    patient_id: UUID | None = None
    appointment_id: UUID | None = None
    status: InvoiceStatus | None = None

    @property
    def descending(self) -> bool:
        return self.order_by.startswith("-")

    @property
    def order_field(self) -> str:
        return self.order_by.lstrip("-")


@dataclass(frozen=True)
class LineDraft:
    """A line a client asks for; `id` names an existing line to keep on a replace."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    code: str | None = None
    id: UUID | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    """What a client asks an invoice to be, on a create or a replace."""

    patient_id: UUID
    status: InvoiceStatus = InvoiceStatus.DRAFT
    items: tuple[LineDraft, ...] = ()
    discount_amount: Decimal = Decimal(0)
    discount_percent: Decimal = Decimal(0)
    paid_amount: Decimal = Decimal(0)
    issue_date: datetime | None = None
    due_date: datetime | None = None
    appointment_id: UUID | None = None
    tags: tuple[str, ...] = ()
    external_id: str | None = None
