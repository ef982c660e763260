"""eBillingHub (seed 002 and its Submission API): PascalCase, dates like `2018-07-07T23:32:57` (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from invoice_hub.contracts.wire import MONEY_SCHEMA, NOT_BLANK, QUANTITY_SCHEMA, IsoDate, WireModel

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NOT_BLANK]


def ebh_time(value: datetime) -> str:
    """`2018-07-07T23:32:57`: UTC, whole seconds, no zone, as the contract's sample shows."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    return utc.replace(microsecond=0, tzinfo=None).isoformat()


EbhTime = Annotated[datetime, PlainSerializer(ebh_time, return_type=str, when_used="json")]


class Line(WireModel):
    Description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NOT_BLANK
    ]
    Code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    Quantity: Annotated[Decimal, Field(gt=0, le=1_000_000, decimal_places=3), QUANTITY_SCHEMA] = Decimal(1)
    UnitPrice: Annotated[Decimal, Field(ge=0, le=Decimal("999999999.99"), decimal_places=2), MONEY_SCHEMA]


class Payor(WireModel):
    PayorOrgId: Id
    PayorOrgEBillingId: Id


class Submission(WireModel):
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


class SubmissionCreated(WireModel):
    SubmissionId: UUID


class SubmissionRequestCreated(WireModel):
    """201 of SubmissionRequests: "the response provides us with a generated Submission id and Invoice ID"
    (the Submission API's use cases; the portal's example body is not public, so the names are the ones
    the status API uses for the same values)."""

    SubmissionId: UUID = Field(description="The submission's id, which the status API takes")
    InvoiceId: str = Field(description="The billing organisation's invoice id (the eSF invoice/id)")


class StatusEntry(WireModel):
    Status: str
    StatusDate: EbhTime


class PayorInvoiceStatus(WireModel):
    """One payer's history of an invoice (EBH calls it InvoiceStatus; the OpenAPI document has that name
    for the invoice's status enum, and one name can describe only one schema)."""

    SubmissionId: UUID
    InvoiceId: str
    PayorOrgId: str
    PayorOrgEBillingId: str
    StatusHistory: list[StatusEntry]


class InvoiceStatuses(WireModel):
    InvoiceStatuses: list[PayorInvoiceStatus]


# -- the Status API's details, search and update -------------------------------------------------------
def us_date(value: date | None) -> str:
    """`5/15/2020` (M/D/YYYY), as the details' example shows; "" when there is none."""
    return f"{value.month}/{value.day}/{value.year}" if value else ""


def ebh_time_or_empty(value: datetime | None) -> str:
    """A moment as the history gives it; "" when there is none (the details' TransmitDateTime example)."""
    return ebh_time(value) if value else ""


class PayorInvoiceDetail(WireModel):
    """One payor's invoice in the status details: the published names (InvoiceId to ApprovedDateTime,
    EBHRecipient, Vendor, ClientName, ClientId) and the use case's list in PascalCase for the rest; the
    submission and payor ids are this service's additions."""

    InvoiceId: str
    HubReferenceNumber: int = Field(description="The reference the hub gave the invoice's submission")
    InvoiceDate: str = Field(description="M/D/YYYY")
    StartDate: str = Field(description='M/D/YYYY; "" when the invoice gives no billing period')
    EndDate: str = Field(description='M/D/YYYY; "" when the invoice gives no billing period')
    TransmitDateTime: str = Field(description='When it was last forwarded to the payor; "" if never')
    ApprovedDateTime: str = Field(description='When the payor approved it; "" if it has not')
    CurrentHubStatus: str
    ChangedDateTime: str = Field(description="When its status last changed")
    MatterId: str = Field(description="The billing organisation's matter id (several: joined by ', ')")
    MatterDescription: str
    StatusNote: str = Field(description="The comment of the last status update")
    EBHRecipient: str
    Vendor: str
    ClientName: str
    ClientId: str = Field(description="The payor org's e-billing id")
    SubmissionId: UUID
    PayorOrgId: str
    PayorOrgEBillingId: str


class PayorInvoiceList(WireModel):
    ListOfInvoices: list[PayorInvoiceDetail]


class StatusDetails(WireModel):
    InvoiceList: PayorInvoiceList


class StatusSearchResult(WireModel):
    """The status search's answer: the details of each match, a page of them."""

    InvoiceList: PayorInvoiceList
    Page: int = Field(description="This page (1 for the first)")
    PageSize: int
    TotalCount: int = Field(description="How many invoices match, on every page")


#: the forms of a date the search takes, for the document (a date the calendar lacks is refused too)
MOMENT_PATTERN = (
    r"^(|\d{1,2}/\d{1,2}/\d{4}"
    r"|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?)$"
)


def moment_text(value: Any) -> Any:
    """`5/16/2018`, `2018-05-16` or `2018-05-16T05:50:06` (UTC when no zone is given); blank is none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("a date is given as text")  # not a number of seconds, as lax reading would take it
    text = value.strip()
    if not text:
        return None
    if not re.fullmatch(MOMENT_PATTERN, text):
        raise ValueError("a date like 5/16/2018, 2018-05-16 or 2018-05-16T05:50:06")
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if us:
        month, day, year = (int(part) for part in us.groups())
        return datetime(year, month, day, tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day_end_text(value: Any) -> Any:
    """As moment_text; a date alone is the end of that day (an end date includes its day)."""
    moment = moment_text(value)
    if isinstance(moment, datetime) and "T" not in str(value):
        return moment + timedelta(days=1) - timedelta(microseconds=1)
    return moment


MOMENT_SCHEMA = WithJsonSchema(
    {
        "anyOf": [{"type": "string", "pattern": MOMENT_PATTERN}, {"type": "null"}],
        "description": 'UTC: 5/16/2018, 2018-05-16 or 2018-05-16T05:50:06 ("" or null for none)',
    }
)
UtcDayEnd = Annotated[datetime | None, BeforeValidator(day_end_text), MOMENT_SCHEMA]
UtcMoment = Annotated[datetime | None, BeforeValidator(moment_text), MOMENT_SCHEMA]
IdList = Annotated[list[Id], Field(max_length=100)]


class StatusSearchRequest(WireModel):
    """POST search's body. Property names are matched whatever their case (eBillingHub's own example
    writes `submissionid`); PageSize and Page are this service's (the contract has no paging)."""

    PayorOrgId: Id | None = None
    PayorOrgEBillingId: Id | None = None
    SubmissionId: Annotated[list[UUID], Field(max_length=100)] = Field(default_factory=list)
    InvoiceId: IdList = Field(default_factory=list)
    MatterId: IdList = Field(default_factory=list)
    StartDate: UtcMoment = None
    EndDate: UtcDayEnd = None
    IsActive: StrictBool = False
    PageSize: int = Field(default=100, ge=1, le=500)
    Page: int = Field(default=1, ge=1, le=100_000)

    @model_validator(mode="before")
    @classmethod
    def _any_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = {name.lower(): name for name in cls.model_fields}
        return {names.get(str(key).lower(), key): value for key, value in data.items()}


PayerStatus = Literal[
    "received",
    "forwarded",
    "hold",
    "ebilled",
    "in review",
    "approved",
    "reduced",
    "payment sent",
    "paid",
    "rejected",
    "appealed",
    "more info required",
    "dead",
]


def lower_text(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class StatusUpdate(WireModel):
    """PUT invoice's body: the status to set (eBillingHub's, any case) and why."""

    Status: Annotated[PayerStatus, BeforeValidator(lower_text)]
    Comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NOT_BLANK]
