"""A practice's webhook: where the service POSTs the events it has facts for, each signed with the
webhook's secret. The secret is kept encrypted (dal.webhooks) and shown once, when the webhook is made."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from invoice_hub.domain.record import Record


class EventType(StrEnum):
    """The events this service has facts for (Decoda's names)."""

    INVOICE_SENT = "INVOICE_SENT"
    INVOICE_FAILED = "INVOICE_FAILED"
    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_DELIVERED = "MESSAGE_DELIVERED"
    MESSAGE_FAILED = "MESSAGE_FAILED"
    EMAIL_SENT = "EMAIL_SENT"
    MAIL_SENT = "MAIL_SENT"
    MAIL_DELIVERY_FAILED = "MAIL_DELIVERY_FAILED"
    CALL_MADE = "CALL_MADE"
    CHARGE_CREATED = "CHARGE_CREATED"
    PAYMENT_CREATED = "PAYMENT_CREATED"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REFUND_CREATED = "REFUND_CREATED"
    ADJUSTMENT_CREATED = "ADJUSTMENT_CREATED"


class Webhook(Record):
    id: UUID
    tenant_id: UUID
    url: str
    subscriptions: tuple[EventType, ...]
    notification_email: str | None = None
    created_at: datetime
    updated_at: datetime | None = None

    def wants(self, event_type: EventType) -> bool:
        return event_type in self.subscriptions
