"""Decoda's webhooks (docs.decodahealth.com/webhooks, api-reference/webhooks/webhook-create,
webhook-events-list, webhook-event-get, external/webhook-event-send): the webhook, the event as delivered
and as listed, and each event type's `data`.

`data` per type, as the pages document it and with the field names of the schemas of the union they
list (openapi.yaml: Payment, RefundSummary, AdjustmentSummary, ChargeSummary, MessageSummary), plus an
`invoiceId` naming the invoice; INVOICE_SENT and INVOICE_FAILED carry the invoice as the create answers
it. What this service does not keep is null or zero (a processor's fee, a payin, a location), and where
Decoda names an object this service does not have, the invoice stands for it: a refund's `paymentId`
and an adjustment's `chargeId` are the invoice's id (payments are recorded against invoices here).

No event carries patient contact data: an event's body is kept for its retries and resends, and the
patient's contact lives only in the contact record (encrypted, erasable), so `smsContent` is null in
events and a message's `content` is absent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from invoice_hub.contracts.wire import EMAIL_PATTERN, WireModel
from invoice_hub.domain.delivery import Method
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.domain.webhook import EventType, Webhook

if TYPE_CHECKING:
    from invoice_hub.domain.delivery import Delivery
    from invoice_hub.logic.webhooks import Fact

WebhookEventType = StrEnum("WebhookEventType", {t.value: t.value for t in EventType})  # type: ignore[misc]
WebhookEventType.__doc__ = "The event types this service sends (Decoda's names)."

#: the document's length bounds hold for the text as sent; the surrounding spaces are dropped after (a URL
#: left too short by that is the webhook URL check's to refuse, as any URL that is not https)
Url = Annotated[str, StringConstraints(min_length=8, max_length=2048), AfterValidator(str.strip)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)]


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Subscriptions = Annotated[
    list[WebhookEventType], Field(min_length=1, max_length=len(EventType)), AfterValidator(_distinct)
]


class WebhookCreate(WireModel):
    """Body of POST /v1/webhook/create."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "url": "https://billing.example.com/decoda-events",
                "subscriptions": ["INVOICE_SENT", "INVOICE_FAILED"],
                "notificationEmail": "billing-team@example.com",
            }
        }
    )

    url: Url = Field(
        description="The URL where the webhook will send notifications (https, a public address)"
    )
    subscriptions: Subscriptions = Field(description="List of event types the webhook subscribes to.")
    notificationEmail: Email | None = Field(
        default=None, description="Email address for sending notifications about delivery failures."
    )


class WebhookUpdate(WireModel):
    """Body of PUT /v1/webhook/update/{webhook_id}: what changes (a field left out is kept; a null
    notificationEmail stops the failure e-mails)."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"subscriptions": ["INVOICE_SENT", "INVOICE_FAILED"]}}
    )

    url: Url | None = Field(default=None, description="The URL where the webhook will send notifications.")
    subscriptions: Subscriptions | None = Field(
        default=None, description="List of event types the webhook subscribes to."
    )
    notificationEmail: Email | None = Field(
        default=None, description="Email address for sending notifications about delivery failures."
    )


#: what reads show for the secret: Decoda shows it once, when the webhook is created ("If you lose the
#: secret, you must delete the webhook and create a new one"), while its schema requires the field
MASKED_SECRET = "*" * 32


class WebhookSummary(WireModel):
    """A webhook, as Decoda's WebhookSummary (its secret is shown only when it is created)."""

    createdDate: datetime = Field(description="The date and time when the webhook was created.")
    id: str = Field(description="Unique identifier for the webhook.")
    notificationEmail: str | None = Field(
        description="Email address for sending notifications about delivery failures."
    )
    secret: str = Field(
        default=MASKED_SECRET,
        description="The secret the webhook payloads are signed with (shown by the create, masked after)",
    )
    subscriptions: list[WebhookEventType] = Field(
        description="List of event types the webhook is subscribed to."
    )
    updatedDate: datetime | None = Field(description="The date and time when the webhook was last updated.")
    url: str = Field(description="The URL where the webhook sends notifications.")

    @classmethod
    def of(cls, webhook: Webhook, secret: str = MASKED_SECRET) -> WebhookSummary:
        return cls(
            createdDate=webhook.created_at,
            id=str(webhook.id),
            notificationEmail=webhook.notification_email,
            secret=secret,
            subscriptions=[WebhookEventType(str(s)) for s in webhook.subscriptions],
            updatedDate=webhook.updated_at,
            url=webhook.url,
        )


class WebhookEventDetails(WireModel):
    """An Event in Decoda's system: one event to one webhook (its id is the delivery attempt's)."""

    id: str = Field(description="Unique identifier for the webhook delivery attempt.")
    type: WebhookEventType
    data: dict[str, Any]
    createdDate: datetime
    alertId: str
    deliveredDate: datetime | None
    lastDeliveryAttemptDate: datetime | None
    lastDeliveryAttemptStatus: int | None = Field(description="The HTTP status of the last delivery attempt.")
    lastDeliveryAttemptError: str | None

    @classmethod
    def of(cls, delivery: Delivery) -> WebhookEventDetails:
        import json

        if delivery.event is None:
            raise ValueError("not a webhook event")
        body = json.loads(delivery.event.body)
        status = delivery.channel_statuses.get(str(Method.WEBHOOK))
        return cls(
            id=str(delivery.id),
            type=WebhookEventType(delivery.event.type),
            data=body.get("data") or {},
            createdDate=body.get("createdDate") or delivery.created_at,
            alertId=str(delivery.event.alert_id),
            deliveredDate=delivery.sent_at,
            lastDeliveryAttemptDate=delivery.last_attempt_at,
            lastDeliveryAttemptStatus=int(status) if status and status.isdigit() else None,
            lastDeliveryAttemptError=delivery.failed_reason,
        )


# -- each event type's data ----------------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _payment(fact: Fact, status: str, failed_reason: str | None = None) -> dict[str, Any]:
    """Decoda's Payment object, with what this service knows of the payment (no processor fee, no payin).
    Its paymentMedium: SAVED_PAYMENT_METHOD for a charge of the card on file, else PAYMENT_LINK (the
    patient paid through the link the sends carry)."""
    patient = (
        fact.invoice.patient_id if fact.invoice else (fact.delivery.patient_id if fact.delivery else None)
    )
    return {
        "amount": fact.amount_cents,
        "createdDate": _iso(fact.at),
        "currency": "USD",
        "failedReason": failed_reason,
        "fee": 0,
        "id": str(fact.alert_id),
        "patientId": str(patient) if patient else None,
        "payinConfigId": None,
        "payinId": None,
        "paymentMedium": "SAVED_PAYMENT_METHOD" if fact.method is Method.CHARGE_CARD else "PAYMENT_LINK",
        "paymentMethodId": None,
        "status": status,
        "stripePaymentIntentId": None,
        "updatedDate": _iso(fact.at),
        "feeToPatient": 0,
        "invoiceId": str(fact.invoice.id) if fact.invoice else None,
    }


def _message(fact: Fact) -> dict[str, Any]:
    """Decoda's MessageSummary, without its content (patient data): the send it is of, and its state."""
    delivery = fact.delivery
    return {
        "id": str(fact.alert_id),
        "invoiceId": str(delivery.id) if delivery else None,
        "method": str(fact.method) if fact.method else None,
        "status": "FAILED"
        if fact.type in _FAILURES
        else ("DELIVERED" if fact.type.endswith("DELIVERED") else "SENT"),
        "createdDate": _iso(fact.at),
        "errorMessage": fact.detail if fact.type in _FAILURES else None,
    }


_FAILURES = frozenset({EventType.MESSAGE_FAILED, EventType.MAIL_DELIVERY_FAILED, EventType.INVOICE_FAILED})


def data_of(fact: Fact, pdf_path: str | None = None) -> dict[str, Any]:
    """The `data` of an event of this fact's type."""
    t = fact.type
    if t in {EventType.INVOICE_SENT, EventType.INVOICE_FAILED} and fact.delivery is not None:
        from invoice_hub.contracts.decoda.models import InvoiceDetails, RuleDetails

        delivery = fact.delivery
        rule = RuleDetails.model_validate(delivery.rule) if delivery.rule else None
        return InvoiceDetails.of(delivery, rule, pdf_path, None).model_dump(mode="json")
    if t in {EventType.PAYMENT_CREATED, EventType.PAYMENT_SUCCEEDED}:
        return _payment(fact, "SUCCEEDED")
    if t is EventType.PAYMENT_FAILED:
        return _payment(fact, "FAILED", fact.detail)
    if t is EventType.REFUND_CREATED and fact.invoice is not None:
        return {
            "id": str(fact.alert_id),
            "paymentId": str(fact.invoice.id),
            "amount": fact.amount_cents,
            "reason": "OTHER",
            "createdDate": _iso(fact.at),
            "status": "SUCCEEDED",
            "rainforestRefundId": None,
            "fee": 0,
            "invoiceId": str(fact.invoice.id),
        }
    if t is EventType.ADJUSTMENT_CREATED and fact.invoice is not None:
        return {
            "chargeId": str(fact.invoice.id),
            "providerId": None,
            "locationId": None,
            "id": str(fact.alert_id),
            "amount": fact.amount_cents,
            "reason": fact.detail,
            "createdDate": _iso(fact.at),
            "adjustmentType": "WRITE_OFF",
            "invoiceId": str(fact.invoice.id),
        }
    if t is EventType.CHARGE_CREATED and fact.invoice is not None:
        invoice = fact.invoice
        charges = invoice.charges
        return {
            "id": str(invoice.id),
            "patientId": str(invoice.patient_id),
            "total": as_integer_cents(charges.total_amount),
            "totalOutstanding": fact.amount_cents,
            "description": invoice.reg_number,
            "status": "OUTSTANDING" if fact.amount_cents > 0 else "PAID",
            "discountAmount": as_integer_cents(charges.discount_amount),
            "discountPercentage": float(charges.discount_percent),
            "externalId": invoice.external_id,
            "externalCreatedDate": None,
            "ruleSetId": None,
            "createdDate": _iso(invoice.created_at),
            "invoiceId": str(invoice.id),
        }
    return _message(fact)


def webhook_id(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
