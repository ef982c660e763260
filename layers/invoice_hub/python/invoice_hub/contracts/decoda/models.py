"""Decoda Health billing API (seed 004): camelCase, amounts in integer cents."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from invoice_hub.contracts.wire import EMAIL_PATTERN, ISO_DATE, NOT_BLANK, Number, WireModel
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.domain.patient import PatientContact, PostalAddress, e164
from invoice_hub.domain.rules import REQUIRED_PLACEHOLDERS, Rule, RuleSet, missing_placeholders


class InvoiceMethod(StrEnum):
    CHARGE_CARD = "CHARGE_CARD"
    SMS = "SMS"
    EMAIL = "EMAIL"
    CALL = "CALL"
    MAIL = "MAIL"
    EXPIRY = "EXPIRY"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NOT_BLANK]
Cents = Annotated[int, Field(ge=0, le=99_999_999_999), Number]


def _phone_or_none(value: str | None) -> str | None:
    try:
        return e164(value) if value else None
    except ValueError:
        return None


def _email_or_none(value: str | None) -> str | None:
    return value if value and re.fullmatch(EMAIL_PATTERN, value) else None


def _date_or_none(value: object) -> date | None:
    """Any text (the document says so); kept as a date when it starts with one."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 254:
        raise ValueError("Input should be a text of at most 254 characters")
    try:
        return date.fromisoformat(value.strip()[:10]) if ISO_DATE.match(value.strip()) else None
    except ValueError:
        return None


def _none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


#: Decoda's patient record is Decoda's: any text is taken, what reads as a name, an address, an e-mail,
#: a phone number or a date is kept, and what does not is not (a send that needs it then fails saying it
#: is missing); an empty field says nothing
BlankIsNone = BeforeValidator(_none_if_blank)
ContactText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None, BlankIsNone
]
Kept = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None


class PatientDetail(WireModel):
    """The charge's patient as Decoda sends it. What the channels need is kept as the patient's contact
    (patient data: encrypted at rest, never logged, erasable); the rest of it (medications, tags, meta,
    ...) is accepted and dropped, never stored."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=128)
    firstName: ContactText = None
    lastName: ContactText = None
    phoneNumber: Annotated[Kept, AfterValidator(_phone_or_none)] = Field(
        default=None, description="Kept in E.164 when it reads as a phone number (10 digits: +1)"
    )
    email: Annotated[Kept, AfterValidator(_email_or_none)] = Field(
        default=None, description="Kept when it reads as an e-mail address"
    )
    address: ContactText = None
    addressLineTwo: ContactText = None
    city: ContactText = None
    state: ContactText = None
    zipCode: Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None, BlankIsNone
    ] = None
    country: ContactText = None
    dateOfBirth: Annotated[
        date | None,
        BeforeValidator(_date_or_none),
        WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 254}, {"type": "null"}]}),
    ] = Field(default=None, description="Kept when it reads as an ISO 8601 date (yyyy-mm-dd...)")

    def contact(self, tenant_id: UUID, patient_id: UUID, now: datetime) -> PatientContact:
        return PatientContact(
            tenant_id=tenant_id,
            patient_id=patient_id,
            first_name=self.firstName or None,
            last_name=self.lastName or None,
            email=self.email or None,
            phone=self.phoneNumber,
            address=(
                PostalAddress(
                    line1=self.address,
                    line2=self.addressLineTwo or None,
                    city=self.city or None,
                    state=self.state or None,
                    zip_code=self.zipCode or None,
                    country=self.country or None,
                )
                if self.address
                else None
            ),
            date_of_birth=self.dateOfBirth,
            updated_at=now,
        )


class ChargeDetail(WireModel):
    """A charge to invoice. Only what billing needs is read, and the patient's contact; the rest of
    Decoda's charge is accepted and dropped, never stored."""

    model_config = ConfigDict(extra="ignore")

    patientId: str | None = Field(default=None, max_length=128)
    patient: PatientDetail | None = None
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


class RuleDetails(WireModel):
    """A sending rule, as answered (and as stored with the send)."""

    id: str | None = None
    name: str | None = Field(default=None, max_length=200)
    methods: list[InvoiceMethod] = Field(default_factory=list)
    delayInDays: Annotated[int, Field(ge=0, le=365)] = 0
    message: str | None = Field(default=None, max_length=1000)


def _has_placeholders(message: str | None) -> str | None:
    missing = missing_placeholders(message) if message is not None else []
    if missing:
        raise ValueError(f"a rule's message must contain {' and '.join(REQUIRED_PLACEHOLDERS)}")
    return message


class RuleIn(RuleDetails):
    """A sending rule in a request: its delay only as a JSON number; its message, when it has one, with
    `{url}` and `{first_name}` (Decoda requires both)."""

    delayInDays: Annotated[int, Field(ge=0, le=365), Number] = 0
    message: Annotated[str | None, AfterValidator(_has_placeholders)] = Field(
        default=None,
        max_length=1000,
        description="Sent by the rule's methods; must contain {url} and {first_name}",
    )


class CreateManualInvoice(WireModel):
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
    rule: RuleIn | None = Field(
        default=None,
        description=(
            "Schedules the send delayInDays later; with methods, escalates through them (the next one "
            "delayInDays after each send, at once after a permanent failure) until the invoice is paid. "
            "An escalating rule's message (its own, else this request's) must contain {url} and {first_name}"
        ),
    )

    @model_validator(mode="after")
    def _escalation_message(self) -> CreateManualInvoice:
        if self.rule is not None and self.rule.methods and self.rule.message is None:
            _has_placeholders(self.message)
        return self


class ActionType(StrEnum):
    RESUME = "resume"
    PAUSE = "pause"
    CHANGE_RULE_SET = "change rule set"
    TO_COLLECTIONS = "to-collections"
    CANCEL = "cancel"
    WRITE_OFF = "write-off"


#: the field each action needs besides the ids
NEEDS = {ActionType.CHANGE_RULE_SET: "ruleSetId", ActionType.WRITE_OFF: "writeOffReason"}


class ExecuteAction(WireModel):
    """Body of PUT /billing/invoice/execute-action (Decoda's InvoiceAction): `change rule set` needs
    `ruleSetId`, `write-off` needs `writeOffReason` (422 at the missing field)."""

    invoiceSetIds: list[UUID] = Field(min_length=1, max_length=100)
    actionType: Annotated[
        ActionType, BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value)
    ]
    ruleSetId: UUID | None = Field(default=None, validate_default=True, description="For `change rule set`")
    writeOffReason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None
    ) = Field(default=None, validate_default=True, description="For `write-off`")

    @field_validator("ruleSetId", "writeOffReason", mode="after")
    @classmethod
    def _needed(cls, value: object, info: ValidationInfo) -> object:
        action = info.data.get("actionType")
        if action in NEEDS and NEEDS[action] == info.field_name and not value:
            raise ValueError(f"{info.field_name} is required for the action {action}")
        return value


class RetryMethod(WireModel):
    """Body of PUT /billing/invoice/retry-method."""

    invoiceId: UUID
    invoiceMethod: InvoiceMethod


Bound = Annotated[int, Field(ge=0, le=99_999_999_999), Number] | None
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK]
RuleMessage = Annotated[str | None, AfterValidator(_has_placeholders)]
RULE_MESSAGE = (
    "Message to be sent when applying this rule, must contain the {url} and {first_name} placeholders."
)


class RuleCreateWithoutId(WireModel):
    """A rule made with its rule set."""

    name: RuleName
    delayInDays: Annotated[int, Field(ge=0, le=365), Number]
    amountLessThan: Bound = Field(default=None, description="Upper bound for the amount, exclusive.")
    amountGreaterThan: Bound = Field(default=None, description="Lower bound for the amount, exclusive.")
    lessThanOrEqualTo: Bound = Field(default=None, description="Upper bound for the amount, inclusive.")
    methods: list[InvoiceMethod] = Field(min_length=1, max_length=6)
    message: RuleMessage = Field(default=None, max_length=1000, description=RULE_MESSAGE)


class RuleUpdate(WireModel):
    """A rule in a rule set's edit: with an id, that rule is updated (a null field is kept); without, it is
    added."""

    id: UUID | None = Field(
        default=None, description="Optional ID of the rule. If present, the rule will be updated."
    )
    name: RuleName
    ruleSetId: str = Field(max_length=64)
    delayInDays: Annotated[int, Field(ge=0, le=365), Number] | None = None
    amountLessThan: Bound = None
    amountGreaterThan: Bound = None
    lessThanOrEqualTo: Bound = None
    methods: list[InvoiceMethod] | None = Field(default=None, min_length=1, max_length=6)
    message: RuleMessage = Field(default=None, max_length=1000, description=RULE_MESSAGE)


class RuleSetCreate(WireModel):
    """Body of POST /billing/rule-set/create."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "Standard follow-up",
                "rules": [
                    {
                        "name": "Text, then e-mail",
                        "delayInDays": 3,
                        "methods": ["SMS", "EMAIL"],
                        "message": "Hi {first_name}, your invoice is ready: {url}",
                    }
                ],
            }
        }
    )

    name: RuleName = Field(description="Name of the rule set to be created.")
    description: str | None = Field(default=None, max_length=1000)
    rules: list[RuleCreateWithoutId] = Field(default_factory=list, max_length=50)


class RuleSetUpdate(WireModel):
    """Body of PUT /billing/rule-set/edit/{rule_set_id}."""

    name: RuleName = Field(description="Name of the rule set to be updated.")
    description: str | None = Field(default=None, max_length=1000)
    rules: list[RuleUpdate] = Field(default_factory=list, max_length=50)


class RuleSummary(WireModel):
    id: str = Field(description="Unique identifier for the rule.")
    name: str
    delayInDays: int
    ruleSetId: str
    amountLessThan: int | None
    amountGreaterThan: int | None
    lessThanOrEqualTo: int | None
    methods: list[InvoiceMethod]
    message: str | None

    @classmethod
    def of(cls, rule: Rule) -> RuleSummary:
        return cls(
            id=str(rule.id),
            name=rule.name,
            delayInDays=rule.delay_days,
            ruleSetId=str(rule.rule_set_id),
            amountLessThan=rule.amount_less_than,
            amountGreaterThan=rule.amount_greater_than,
            lessThanOrEqualTo=rule.less_than_or_equal_to,
            methods=[InvoiceMethod(m) for m in rule.methods if m in InvoiceMethod.__members__],
            message=rule.message,
        )


class RuleSetSummary(WireModel):
    id: str = Field(description="Unique identifier for the rule set.")
    name: str
    description: str | None
    rules: list[RuleSummary]

    @classmethod
    def of(cls, rule_set: RuleSet) -> RuleSetSummary:
        return cls(
            id=str(rule_set.id),
            name=rule_set.name,
            description=rule_set.description,
            rules=[RuleSummary.of(rule) for rule in rule_set.rules],
        )


class UpdateInvoiceData(WireModel):
    """Body of PUT /billing/invoice/{invoice_id}."""

    method: InvoiceMethod = Field(description="The method used to send an invoice to a patient.")
    sendTime: datetime | None = Field(default=None, description="When the next send goes (null: as planned)")


class InvoiceDetails(WireModel):
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
    def of(
        cls,
        delivery: Delivery,
        rule: RuleDetails | None = None,
        pdf_path: str | None = None,
        sms_content: str | None = None,
    ) -> InvoiceDetails:
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
            pdfPath=pdf_path,
            emailStatus=_channel_status(delivery, Method.EMAIL),
            smsContent=sms_content,
            callStatus=_channel_status(delivery, Method.CALL),
        )


def _channel_status(delivery: Delivery, method: Method) -> str | None:
    """The last word of the method's channel on this send (SES's `DELIVERED` or `BOUNCED`, a call's
    `completed` or `no-answer`); for the current method with no word yet, the send's state; None for a
    method the send never used."""
    said = delivery.channel_statuses.get(str(method))
    if said:
        return said
    if delivery.method is not method:
        return None
    return {
        DeliveryStatus.SENT: "DELIVERED",
        DeliveryStatus.FAILED: "FAILED",
        DeliveryStatus.PAUSED: "PAUSED",
        DeliveryStatus.CANCELLED: "CANCELLED",
    }.get(delivery.status, "PENDING")


class InvoiceSetStatus(StrEnum):
    """The status of an invoice set."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    PAID = "PAID"
    WILL_FAIL = "WILL_FAIL"
    FAILED = "FAILED"


class ChargeInvoicingDetails(WireModel):
    id: str
    createdDate: datetime
    totalOutstanding: int
    total: int
    externalCreatedDate: datetime | None


class PatientInvoicingDetails(WireModel):
    id: str
    firstName: str
    lastName: str | None
    phoneNumber: str | None
    email: str | None
    address: str | None
    addressLineTwo: str | None
    city: str | None
    state: str | None
    zipCode: str | None
    country: str | None
    charges: list[ChargeInvoicingDetails]


class InvoiceSetForTable(WireModel):
    """A row of the invoice table: one send to a patient (an invoice set), its invoice and its patient."""

    id: str
    status: InvoiceSetStatus
    resumedDate: datetime | None
    pausedDate: datetime | None
    createdDate: datetime
    updatedDate: datetime | None
    invoices: list[InvoiceDetails]
    patient: PatientInvoicingDetails


class InvoiceSetPage(WireModel):
    """Page[InvoiceSetForTable]."""

    data: list[InvoiceSetForTable]
    total: int
