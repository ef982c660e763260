"""A delivery: one send of one invoice to one destination, with its append-only status history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from invoice_hub.domain.record import Record


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"


class Method(StrEnum):
    CHARGE_CARD = "CHARGE_CARD"
    SMS = "SMS"
    EMAIL = "EMAIL"
    CALL = "CALL"
    MAIL = "MAIL"
    EXPIRY = "EXPIRY"
    EBILL = "EBILL"  # to a payer's e-billing hub
    WEBHOOK = "WEBHOOK"  # an event to a practice's webhook (Decoda's webhooks)


#: a message for a delivery in one of these states is acknowledged without a send
SETTLED = frozenset({DeliveryStatus.SENT, DeliveryStatus.CANCELLED, DeliveryStatus.PAUSED})
#: statuses a send may start from (FAILED: a re-drive, from the API, the schedule or the console)
SENDABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED})


class Destination(Record):
    """An external system a tenant sends to. Credentials are never stored here: only the name of the
    SSM SecureString (or Secrets Manager secret) that holds them."""

    name: str = Field(min_length=1, max_length=64)
    kind: Literal["payer_hub", "patient_channel", "webhook"]
    method: Method = Method.EBILL  # how an issued invoice goes there
    endpoint_url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://")
    credential_parameter: str | None = Field(default=None, max_length=2048)


class HistoryEntry(Record):
    status: str
    at: datetime
    detail: str | None = None
    source: str | None = None  # who said so, when not this service's Sender: SES, the carrier, Stripe


class WebhookEvent(Record):
    """What a send to a webhook carries: one event, its body kept as it was first sent (a retry and a
    resend carry the same bytes and the same id). Ids only beside the body."""

    webhook_id: UUID
    #: the fact's id, the same in each webhook's copy (Decoda's alertId); the send's own id is the event's
    alert_id: UUID
    type: str
    body: str
    notify_failure: bool = True  # the webhook's notificationEmail is told when it fails for good


class Matter(Record):
    """A matter (a case) an invoice to a payer bills, by the billing organisation's id for it."""

    id: str
    description: str | None = None


class PayerInvoice(Record):
    """What a submission to a payer says of its invoice beyond the lines (eBillingHub's details): the
    reference the hub gave it, the period and matters it bills, the payer's name; and whether it is held
    (`new`: waiting for its attachments, or a proforma that is never forwarded)."""

    hub_reference: int
    invoice_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    matters: tuple[Matter, ...] = ()
    payer_name: str | None = None
    proforma: bool = False
    awaits_attachments: bool = False


class Plan(Record):
    """A sending rule's escalation: its methods in order, the time between sends, and where it stands.
    The delivery's `method` is the current step's (a retry with another method changes the method, not
    the step)."""

    methods: tuple[Method, ...]
    delay_seconds: int = Field(default=0, ge=0)
    step: int = Field(default=0, ge=0)

    def next(self) -> Method | None:
        """The method after the current step's, if any."""
        return self.methods[self.step + 1] if self.step + 1 < len(self.methods) else None

    def advanced(self) -> Plan:
        return self.model_copy(update={"step": self.step + 1})


class Delivery(Record):
    id: UUID
    tenant_id: UUID
    invoice_ids: tuple[UUID, ...] = ()
    submission_id: UUID
    destination: Destination
    method: Method
    methods_attempted: tuple[Method, ...] = ()
    patient_id: UUID | None = None
    appointment_id: UUID | None = None
    payor_org_id: str | None = None
    payor_org_ebilling_id: str | None = None
    external_invoice_id: str | None = None  # the billing organisation's invoice number (EBH InvoiceId)
    amount_cents: int = 0
    message: str | None = None
    rule: dict[str, Any] | None = None  # the sending rule that scheduled it (Decoda's RuleDetails)
    rule_set_id: UUID | None = None  # the rule set its rule came from (Decoda's change rule set)
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_attempt_at: datetime | None = None
    send_time: datetime | None = None
    sent_at: datetime | None = None
    paused_at: datetime | None = None
    resumed_at: datetime | None = None
    failed_reason: str | None = None
    failure_kind: Literal["transient", "permanent"] | None = None
    redrive_rounds: int = 0
    claimed_until: datetime | None = None  # a send is under way until then (a crashed one expires)
    check_at: datetime | None = None  # PENDING: when the schedule enqueues it (due, or stuck) if not sent
    dlq_until: datetime | None = None  # FAILED: until when its message is expected in the DLQ
    external_reference: str | None = None
    #: the last word of each method's channel on this delivery (Decoda's emailStatus, callStatus, ...)
    channel_statuses: dict[str, str] = Field(default_factory=dict)
    plan: Plan | None = None  # the sending rule's escalation, while it has methods left
    event: WebhookEvent | None = None  # a send to a webhook: the event it carries
    payer_invoice: PayerInvoice | None = None  # a submission to a payer: what it says of the invoice
    #: ids of the channel and payment events applied to it (each applied once; the last few kept)
    events_applied: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def system(self) -> str:
        return self.destination.name

    @property
    def invoice_id(self) -> UUID | None:
        return self.invoice_ids[0] if self.invoice_ids else None

    def due(self, now: datetime) -> bool:
        return self.send_time is None or self.send_time <= now


@dataclass(frozen=True)
class RedrivePolicy:
    """When the schedule re-drives a FAILED delivery by itself: after a back-off that doubles each round,
    for a bounded number of rounds, and only after a transient failure."""

    backoff: timedelta
    max_rounds: int

    def due(self, delivery: Delivery) -> datetime | None:
        if delivery.status is not DeliveryStatus.FAILED or delivery.failure_kind != "transient":
            return None
        if delivery.redrive_rounds >= self.max_rounds:
            return None
        return delivery.updated_at + self.backoff * (2**delivery.redrive_rounds)
