"""Invoice API (seed 003): what comes in and what goes out, snake_case, exactly as the contract shows it.

The invoices' models; a patient's contact is in `patients` (only its three functions load it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, PlainSerializer, StringConstraints

from invoice_hub.contracts.wire import (
    MONEY_SCHEMA,
    NOT_BLANK,
    PERCENT_SCHEMA,
    QUANTITY_SCHEMA,
    EchoedDateTime,
    IsoDateTime,
    WireModel,
)
from invoice_hub.domain.invoice import (
    Invoice,
    InvoiceDraft,
    InvoiceQuery,
    InvoiceStatus,
    LineDraft,
    LineItem,
)


def _json_number(value: Decimal) -> int | float:
    """A JSON number as the contract's samples show them: 0 and 120, or 120.5 (exact to the cent)."""
    return int(value) if value == value.to_integral_value() else float(value)


#: Money in: at most two decimals; out: a JSON number (the contract's samples show numbers).
MoneyIn = Annotated[Decimal, Field(ge=0, le=Decimal("999999999.99"), decimal_places=2), MONEY_SCHEMA]
Money = Annotated[Decimal, PlainSerializer(_json_number, return_type=int | float, when_used="json")]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2), PERCENT_SCHEMA]
Quantity = Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=3), QUANTITY_SCHEMA]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NOT_BLANK]

ORDER_FIELDS = (
    "created_at",
    "updated_at",
    "issue_date",
    "due_date",
    "reg_number",
    "status",
    "subtotal",
    "total_amount",
    "remaining_amount",
    "paid_amount",
    "discount_amount",
    "patient_id",
    "appointment_id",
)
OrderBy = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "issue_date",
    "-issue_date",
    "due_date",
    "-due_date",
    "reg_number",
    "-reg_number",
    "status",
    "-status",
    "subtotal",
    "-subtotal",
    "total_amount",
    "-total_amount",
    "remaining_amount",
    "-remaining_amount",
    "paid_amount",
    "-paid_amount",
    "discount_amount",
    "-discount_amount",
    "patient_id",
    "-patient_id",
    "appointment_id",
    "-appointment_id",
]


class InvoiceItemIn(WireModel):
    id: UUID | None = Field(
        default=None, description="Keep an existing item's id on update; new items get one"
    )
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NOT_BLANK
    ]
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    quantity: Quantity = Decimal(1)
    unit_price: MoneyIn


class InvoiceIn(WireModel):
    """Body of POST /invoice/ and PUT /invoice/{id}."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "issue_date": "2026-06-01T05:53:48.451968",
                "due_date": "2026-07-01T00:00:00Z",
                "status": "DRAFT",
                "discount_amount": 0,
                "discount_percent": 0,
                "paid_amount": 0,
                "appointment_id": "6f8caf1e-9cec-4512-96b8-aa79cae19152",
                "patient_id": "875b72c7-6e02-4a20-89c8-e5a7c8f3a286",
                "items": [{"description": "Consultation", "code": "0190", "quantity": 1, "unit_price": 120}],
            }
        }
    )

    issue_date: IsoDateTime | None = Field(default=None, description="Defaults to the time of creation")
    due_date: IsoDateTime | None = None
    status: InvoiceStatus = InvoiceStatus.DRAFT
    discount_amount: MoneyIn = Decimal(0)
    discount_percent: Percent = Decimal(0)
    paid_amount: MoneyIn = Decimal(0)
    appointment_id: UUID | None = None
    patient_id: UUID
    items: list[InvoiceItemIn] = Field(default_factory=list, max_length=200)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NOT_BLANK]
        | None
    ) = Field(default=None, description="The billing organisation's own invoice number")

    def draft(self) -> InvoiceDraft:
        return InvoiceDraft(
            patient_id=self.patient_id,
            status=self.status,
            items=tuple(
                LineDraft(
                    id=item.id,
                    description=item.description,
                    code=item.code,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                )
                for item in self.items
            ),
            discount_amount=self.discount_amount,
            discount_percent=self.discount_percent,
            paid_amount=self.paid_amount,
            issue_date=self.issue_date,
            due_date=self.due_date,
            appointment_id=self.appointment_id,
            tags=tuple(self.tags),
            external_id=self.external_id,
        )


class InvoiceItemOut(WireModel):
    id: UUID
    description: str
    code: str | None
    quantity: Money
    unit_price: Money
    amount: Money

    @classmethod
    def of(cls, item: LineItem) -> InvoiceItemOut:
        return cls(
            id=item.id,
            description=item.description,
            code=item.code,
            quantity=item.quantity,
            unit_price=item.unit_price,
            amount=item.amount,
        )


class InvoiceOut(WireModel):
    """An invoice as the Invoice API returns it."""

    issue_date: EchoedDateTime
    due_date: EchoedDateTime | None
    status: InvoiceStatus
    discount_amount: Money
    discount_percent: Money
    paid_amount: Money
    appointment_id: UUID | None
    patient_id: UUID
    id: UUID
    subtotal: Money
    remaining_amount: Money
    total_amount: Money
    reg_number: str
    items: list[InvoiceItemOut]
    tags: list[str]
    external_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        charges = invoice.charges
        return cls(
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            status=invoice.status,
            discount_amount=charges.discount_amount,
            discount_percent=charges.discount_percent,
            paid_amount=charges.paid_amount,
            appointment_id=invoice.appointment_id,
            patient_id=invoice.patient_id,
            id=invoice.id,
            subtotal=charges.subtotal,
            remaining_amount=charges.remaining_amount,
            total_amount=charges.total_amount,
            reg_number=invoice.reg_number,
            items=[InvoiceItemOut.of(item) for item in charges.items],
            tags=list(invoice.tags),
            external_id=invoice.external_id,
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
        )


class InvoicePage(WireModel):
    total: int
    offset: int
    limit: int
    data: list[InvoiceOut]

    @classmethod
    def of(cls, total: int, query: InvoiceQuery, invoices: list[Invoice]) -> InvoicePage:
        return cls(
            total=total, offset=query.offset, limit=query.limit, data=[InvoiceOut.of(i) for i in invoices]
        )
