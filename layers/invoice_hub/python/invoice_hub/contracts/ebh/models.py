"""eBillingHub (seed 002 and its Submission API): PascalCase, dates like `2018-07-07T23:32:57` (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

from invoice_hub.contracts.wire import MONEY_SCHEMA, NOT_BLANK, QUANTITY_SCHEMA, IsoDate

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NOT_BLANK]


def ebh_time(value: datetime) -> str:
    """`2018-07-07T23:32:57`: UTC, whole seconds, no zone, as the contract's sample shows."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    return utc.replace(microsecond=0, tzinfo=None).isoformat()


EbhTime = Annotated[datetime, PlainSerializer(ebh_time, return_type=str, when_used="json")]


class Line(BaseModel):
    Description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NOT_BLANK
    ]
    Code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    Quantity: Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=3), QUANTITY_SCHEMA] = Decimal(1)
    UnitPrice: Annotated[Decimal, Field(ge=0, le=Decimal("999999999.99"), decimal_places=2), MONEY_SCHEMA]


class Payor(BaseModel):
    PayorOrgId: Id
    PayorOrgEBillingId: Id


class Submission(BaseModel):
    """Body of POST /ebh/submissions/{v1|v2}: one invoice for one or more payer organisations."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "InvoiceId": "4326",
                "InvoiceDate": "2026-11-21",
                "Lines": [{"Description": "Consultation", "Code": "0190", "Quantity": 1, "UnitPrice": 120.0}],
                "Payors": [
                    {"PayorOrgId": "111", "PayorOrgEBillingId": "222"},
                    {"PayorOrgId": "222", "PayorOrgEBillingId": "444"},
                ],
            }
        }
    )

    InvoiceId: Id
    InvoiceDate: IsoDate | None = None
    PatientId: UUID | None = None
    EncounterId: UUID | None = None
    Lines: list[Line] = Field(min_length=1, max_length=200)
    Payors: list[Payor] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_entry_per_payer(self) -> Submission:
        ids = [payor.PayorOrgId for payor in self.Payors]
        if len(set(ids)) != len(ids):
            raise ValueError("each PayorOrgId may appear once")
        return self


class SubmissionCreated(BaseModel):
    SubmissionId: UUID


class SubmissionRequestCreated(BaseModel):
    """201 of SubmissionRequests: "the response provides us with a generated Submission id and Invoice ID"
    (the Submission API's use cases; the portal's example body is not public, so the names are the ones
    the status API uses for the same values)."""

    SubmissionId: UUID = Field(description="The submission's id, which the status API takes")
    InvoiceId: str = Field(description="The billing organisation's invoice id (the eSF invoice/id)")


class StatusEntry(BaseModel):
    Status: str
    StatusDate: EbhTime


class PayorInvoiceStatus(BaseModel):
    """One payer's history of an invoice (EBH calls it InvoiceStatus; the OpenAPI document has that name
    for the invoice's status enum, and one name can describe only one schema)."""

    SubmissionId: UUID
    InvoiceId: str
    PayorOrgId: str
    PayorOrgEBillingId: str
    StatusHistory: list[StatusEntry]


class InvoiceStatuses(BaseModel):
    InvoiceStatuses: list[PayorInvoiceStatus]
