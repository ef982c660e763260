"""Decoda Health billing API (seed 004): camelCase, amounts in integer cents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from invoice_hub.contracts.wire import NOT_BLANK, Number
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method


class InvoiceMethod(StrEnum):
    CHARGE_CARD = "CHARGE_CARD"
    SMS = "SMS"
    EMAIL = "EMAIL"
    CALL = "CALL"
    MAIL = "MAIL"
    EXPIRY = "EXPIRY"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NOT_BLANK]
Cents = Annotated[int, Field(ge=0, le=99_999_999_999), Number]


class ChargeDetail(BaseModel):
    """A charge to invoice. Only what billing needs is read; the rest of Decoda's charge (its nested
    patient with name, phone, date of birth, ...) is accepted and dropped, never stored."""

    model_config = ConfigDict(extra="ignore")

    patientId: str | None = Field(default=None, max_length=128)
    id: str | None = Field(default=None, max_length=128)
    totalOutstanding: Cents | None = None
    total: Cents = 0
    description: str | None = Field(default=None, max_length=500)
    discountAmount: Cents = 0
    discountPercentage: Annotated[float, Field(ge=0, le=100), Number] = 0
    externalId: str | None = Field(default=None, max_length=128)

    @property
    def amount_cents(self) -> int:
        return self.totalOutstanding if self.totalOutstanding is not None else self.total


class RuleDetails(BaseModel):
    """A sending rule, as answered (and as stored with the send)."""

    id: str | None = None
    name: str | None = Field(default=None, max_length=200)
    methods: list[InvoiceMethod] = Field(default_factory=list)
    delayInDays: Annotated[int, Field(ge=0, le=365)] = 0
    message: str | None = Field(default=None, max_length=1000)


class RuleIn(RuleDetails):
    """A sending rule in a request: its delay only as a JSON number."""

    delayInDays: Annotated[int, Field(ge=0, le=365), Number] = 0


class CreateManualInvoice(BaseModel):
    """Body of POST /billing/invoice/create."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "patientId": "pat_8f3b2c",
                "message": "Your invoice from Demo Practice",
                "invoiceMethod": "EMAIL",
                "charges": [{"description": "Consultation", "totalOutstanding": 12000}],
            }
        }
    )

    patientId: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NOT_BLANK
    ]
    message: Text
    invoiceMethod: InvoiceMethod
    charges: list[ChargeDetail] | None = Field(default=None, max_length=100)
    rule: RuleIn | None = Field(default=None, description="Schedules the send delayInDays later")


class ActionType(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


class ExecuteAction(BaseModel):
    """Body of PUT /billing/invoice/execute-action."""

    invoiceSetIds: list[UUID] = Field(min_length=1, max_length=100)
    actionType: Annotated[
        ActionType, BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value)
    ]


class RetryMethod(BaseModel):
    """Body of PUT /billing/invoice/retry-method."""

    invoiceId: UUID
    invoiceMethod: InvoiceMethod


class InvoiceDetails(BaseModel):
    """A sent invoice as Decoda answers it."""

    id: str
    status: DeliveryStatus
    amount: int
    methodsAttempted: list[InvoiceMethod]
    method: InvoiceMethod | None
    rule: RuleDetails | None
    sendTime: datetime | None
    pausedDate: datetime | None
    resumedDate: datetime | None
    failedReason: str | None
    pdfPath: str | None
    emailStatus: str | None
    smsContent: str | None
    callStatus: str | None

    @classmethod
    def of(cls, delivery: Delivery, rule: RuleDetails | None = None) -> InvoiceDetails:
        def decoda(method: Method) -> InvoiceMethod | None:
            return InvoiceMethod(method) if method in InvoiceMethod.__members__ else None

        status = delivery.status
        return cls(
            id=str(delivery.id),
            status=status,
            amount=delivery.amount_cents,
            methodsAttempted=[m for m in (decoda(x) for x in delivery.methods_attempted) if m],
            method=decoda(delivery.method),
            rule=rule,
            sendTime=delivery.send_time or delivery.sent_at,
            pausedDate=delivery.paused_at,
            resumedDate=delivery.resumed_at,
            failedReason=delivery.failed_reason,
            pdfPath=None,
            emailStatus=_channel_status(delivery, Method.EMAIL),
            smsContent=delivery.message if delivery.method is Method.SMS else None,
            callStatus=_channel_status(delivery, Method.CALL),
        )


def _channel_status(delivery: Delivery, method: Method) -> str | None:
    if delivery.method is not method:
        return None
    return {
        DeliveryStatus.SENT: "DELIVERED",
        DeliveryStatus.FAILED: "FAILED",
        DeliveryStatus.PAUSED: "PAUSED",
        DeliveryStatus.CANCELLED: "CANCELLED",
    }.get(delivery.status, "PENDING")
