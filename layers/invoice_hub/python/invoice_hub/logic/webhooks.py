"""Practices' webhooks: the events of what happened, each sent to the webhooks subscribed to its type.

Facts are read from the table's changes (its stream), not told by each use case: whatever wrote a send's
"sent" or an invoice's payment, in whichever function, the change is there once the write is, and a
change that was not written is no event. Each fact has a stable id (`alert_id`: the item, its history
entry or version, and the type), so a stream record read twice makes the same events.

An event to a webhook is a send like any other (method WEBHOOK): a delivery whose id is the event's id
(the same fact to the same webhook is created once), carrying its body as first made. It goes through
SendQueue and the Sender (retries with back-off, the DLQ after the last receive, the schedule's
re-drives, the failed list, retry-all and the console's re-drive); when it has failed for good, the
webhook's notificationEmail is told.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from invoice_hub.connectors.webhooks import UnsafeUrl, checked
from invoice_hub.dal.changes import Change
from invoice_hub.dal.deliveries import DeliveryNotFound, DeliveryRepository
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.dal.webhooks import MAX_WEBHOOKS, WebhookRepository, new_secret
from invoice_hub.domain.delivery import Delivery, Destination, Method, WebhookEvent
from invoice_hub.domain.errors import BusinessRuleViolation, NotFound
from invoice_hub.domain.invoice import Invoice, InvoiceStatus
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.domain.webhook import EventType, Webhook
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.outbox import dispatch, new_delivery

if TYPE_CHECKING:  # the Sender (and every channel it imports) is built by the resend that needs it
    from invoice_hub.logic.delivering import Sender

E = EventType
NAMESPACE = uuid5(NAMESPACE_URL, "https://invoice-hub.example/webhook-events")

#: a send's history entry -> the events it is (by the method that was sent)
SENT_BY_METHOD = {
    Method.EMAIL: E.EMAIL_SENT,
    Method.SMS: E.MESSAGE_SENT,
    Method.MAIL: E.MAIL_SENT,
    Method.CALL: E.CALL_MADE,
}
FAILED_BY_METHOD = {Method.SMS: E.MESSAGE_FAILED, Method.MAIL: E.MAIL_DELIVERY_FAILED}
#: what a channel reported (its history entry and source) -> the event it is
REPORTED: dict[tuple[str, str | None], EventType] = {
    ("delivered", "End User Messaging"): E.MESSAGE_DELIVERED,
    ("undelivered", "End User Messaging"): E.MESSAGE_FAILED,
    ("returned_to_sender", "print-mail"): E.MAIL_DELIVERY_FAILED,
}


@dataclass(frozen=True)
class Fact:
    """Something that happened that a webhook may be told: its type, its stable id, when, and the send or
    invoice it happened to (as it was just after)."""

    type: EventType
    alert_id: UUID
    tenant_id: UUID
    at: datetime
    delivery: Delivery | None = None
    invoice: Invoice | None = None
    method: Method | None = None  # the method the fact is about (a send's sent method)
    amount_cents: int = 0  # a payment's, a refund's or an adjustment's
    detail: str | None = None


def _alert(item: UUID, position: int | str, event_type: EventType) -> UUID:
    return uuid5(NAMESPACE, f"{item}:{position}:{event_type}")


def _of_send(before: Delivery | None, after: Delivery) -> list[Fact]:
    if after.destination.kind != "patient_channel":
        return []  # payer submissions have eBillingHub's statuses; webhook sends are no one's facts
    known = len(before.history) if before is not None else 0
    facts: list[Fact] = []
    for position, entry in enumerate(after.history[known:], start=known):
        method = before.method if before is not None else after.method
        types: list[EventType] = []
        if entry.status == "sent":
            types = [E.INVOICE_SENT, *([SENT_BY_METHOD[method]] if method in SENT_BY_METHOD else [])]
        elif entry.status == "failed":
            types = [E.INVOICE_FAILED, *([FAILED_BY_METHOD[method]] if method in FAILED_BY_METHOD else [])]
        elif entry.status == "payment_failed":
            types = [E.PAYMENT_FAILED]
        elif (entry.status, entry.source) in REPORTED:
            types = [REPORTED[(entry.status, entry.source)]]
        facts.extend(
            Fact(
                type=t,
                alert_id=_alert(after.id, position, t),
                tenant_id=after.tenant_id,
                at=entry.at,
                delivery=after,
                method=method,
                amount_cents=after.amount_cents,
                detail=entry.detail,
            )
            for t in types
        )
    return facts


def _of_invoice(before: Invoice | None, after: Invoice) -> list[Fact]:
    facts: list[Fact] = []

    def fact(event_type: EventType, cents: int, detail: str | None = None) -> None:
        facts.append(
            Fact(
                type=event_type,
                alert_id=_alert(after.id, after.version, event_type),
                tenant_id=after.tenant_id,
                at=after.updated_at,
                invoice=after,
                amount_cents=cents,
                detail=detail,
            )
        )

    if after.status is not InvoiceStatus.DRAFT and (before is None or before.status is InvoiceStatus.DRAFT):
        fact(E.CHARGE_CREATED, as_integer_cents(after.charges.remaining_amount))
    paid_before = before.charges.paid_amount if before is not None else after.charges.paid_amount
    paid = as_integer_cents(after.charges.paid_amount) - as_integer_cents(paid_before)
    if paid > 0:
        fact(E.PAYMENT_CREATED, paid)
        fact(E.PAYMENT_SUCCEEDED, paid)
    elif paid < 0:
        fact(E.REFUND_CREATED, -paid)
    if after.status is InvoiceStatus.WRITTEN_OFF and (before is None or before.status is not after.status):
        fact(E.ADJUSTMENT_CREATED, as_integer_cents(after.charges.remaining_amount), after.write_off_reason)
    return facts


def facts_of(change: Change) -> list[Fact]:
    """The facts one write of the table tells (none for a deletion)."""
    before, after = change.before, change.after
    if isinstance(after, Delivery) and (before is None or isinstance(before, Delivery)):
        return _of_send(before, after)
    if isinstance(after, Invoice) and (before is None or isinstance(before, Invoice)):
        return _of_invoice(before, after)
    return []


def event_body(event_id: UUID, fact: Fact, data: dict[str, Any]) -> str:
    """An event as Decoda POSTs it, serialised as Python's json.dumps does (the separators its documented
    receiver re-serialises with, so that its example check of Decoda-Signature holds)."""
    return json.dumps(
        {
            "id": str(event_id),
            "type": str(fact.type),
            "data": data,
            "createdDate": fact.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "alertId": str(fact.alert_id),
        }
    )


def webhook_destination(webhook: Webhook) -> Destination:
    return Destination(name="webhook", kind="webhook", method=Method.WEBHOOK, endpoint_url=webhook.url)


@dataclass
class Fanout:
    """Facts to the webhooks subscribed to them: one send per (fact, webhook), created once."""

    webhooks: WebhookRepository
    deliveries: DeliveryRepository
    queue: SendQueue
    data: Callable[[Fact], dict[str, Any]]
    stuck_after: timedelta
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def publish(self, facts: Iterable[Fact]) -> list[Delivery]:
        by_tenant: dict[UUID, list[Webhook]] = {}
        made: list[Delivery] = []
        for fact in facts:
            if fact.tenant_id not in by_tenant:
                by_tenant[fact.tenant_id] = self.webhooks.of_tenant(fact.tenant_id)
            for webhook in by_tenant[fact.tenant_id]:
                if webhook.wants(fact.type):
                    made.extend(self._event(webhook, fact))
        dispatch(self.queue, made, self.clock())
        return made

    def _event(self, webhook: Webhook, fact: Fact) -> list[Delivery]:
        event_id = uuid5(webhook.id, str(fact.alert_id))
        event = WebhookEvent(
            webhook_id=webhook.id,
            alert_id=fact.alert_id,
            type=str(fact.type),
            body=event_body(event_id, fact, self.data(fact)),
        )
        delivery = new_delivery(
            tenant_id=webhook.tenant_id,
            destination=webhook_destination(webhook),
            method=Method.WEBHOOK,
            now=self.clock(),
            stuck_after=self.stuck_after,
            id=event_id,
            event=event,
        )
        return [delivery] if self.deliveries.create_once(delivery) else []


@dataclass(frozen=True)
class EventFilter:
    """Decoda's filters of a webhook's events (delivered: a 2xx was received for it), its order and page."""

    event_type: str | None = None
    is_delivered: bool | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    delivered_before: datetime | None = None
    delivered_after: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    newest_first: bool = True
    by_delivery: bool = False  # sorted by delivery date (undelivered last), else by creation
    limit: int = 10
    offset: int = 0

    def keeps(self, d: Delivery) -> bool:
        status = d.channel_statuses.get(str(Method.WEBHOOK))
        sent = d.sent_at
        return (
            (self.event_type is None or (d.event is not None and d.event.type == self.event_type))
            and (self.is_delivered is None or (sent is not None) is self.is_delivered)
            and (self.created_before is None or d.created_at < self.created_before)
            and (self.created_after is None or d.created_at > self.created_after)
            and (self.delivered_before is None or (sent is not None and sent < self.delivered_before))
            and (self.delivered_after is None or (sent is not None and sent > self.delivered_after))
            and (self.last_status is None or status == self.last_status)
            and (
                self.last_error is None
                or (d.failed_reason is not None and self.last_error in d.failed_reason)
            )
        )

    def page(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        kept = [d for d in deliveries if self.keeps(d)]
        if self.by_delivery:
            dated = sorted((d for d in kept if d.sent_at), key=lambda d: d.sent_at or d.created_at)
            ordered = (dated[::-1] if self.newest_first else dated) + [d for d in kept if not d.sent_at]
        else:
            ordered = sorted(kept, key=lambda d: (d.created_at, str(d.id)), reverse=self.newest_first)
        return ordered[self.offset : self.offset + self.limit]


@dataclass(frozen=True)
class FailureNotice:
    """Tells a webhook's notificationEmail that one of its events failed for good (after the last retry):
    the event's id and type, the webhook's URL and the last answer; no event data. From the practice's
    own verified identity; a webhook without a notification e-mail (or deleted since) is told nothing."""

    webhooks: WebhookRepository
    tenants: TenantRepository
    send_email: Callable[[str, str, str, str], None]  # (from, to, subject, text)

    def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        if event is None or not event.notify_failure:
            return
        try:
            webhook = self.webhooks.get(delivery.tenant_id, event.webhook_id)
        except NotFound:
            return
        sender = self.tenants.get(delivery.tenant_id).email_identity
        if not webhook.notification_email or not sender:
            return
        text = (
            f"An event could not be delivered to your webhook {webhook.url} and will not be retried.\n\n"
            f"Event: {delivery.id} ({event.type})\n"
            f"Last attempt: {delivery.last_attempt_at.isoformat() if delivery.last_attempt_at else '-'}\n"
            f"Last answer: {delivery.channel_statuses.get(str(Method.WEBHOOK), '-')} "
            f"{delivery.failed_reason or ''}\n\n"
            f"Send it again: GET /v1/webhook/events/{delivery.id}/send\n"
        )
        self.send_email(sender, webhook.notification_email, f"Webhook event {event.type} not delivered", text)


@dataclass(frozen=True)
class Webhooks:
    """What a practice does with its webhooks and their events. A URL is checked where it leads when it is
    set (and again at every send); another practice's webhooks and events are not found."""

    repo: WebhookRepository
    deliveries: DeliveryRepository
    queue: SendQueue
    allow_loopback: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _url(self, url: str) -> str:
        try:
            checked(url, self.allow_loopback)
        except UnsafeUrl as error:
            raise BusinessRuleViolation(str(error), "url") from error
        return url

    def create(
        self, tenant_id: UUID, url: str, subscriptions: Sequence[EventType], notification_email: str | None
    ) -> tuple[Webhook, str]:
        """The new webhook and its secret (shown once)."""
        if len(self.repo.of_tenant(tenant_id)) >= MAX_WEBHOOKS:
            raise BusinessRuleViolation(
                f"the webhook's practice has {MAX_WEBHOOKS} webhooks, the most it may", "url"
            )
        webhook = Webhook(
            id=uuid4(),
            tenant_id=tenant_id,
            url=self._url(url),
            subscriptions=tuple(subscriptions),
            notification_email=notification_email,
            created_at=self.clock(),
        )
        secret = new_secret()
        self.repo.create(webhook, secret)
        return webhook, secret

    def update(
        self,
        tenant_id: UUID,
        webhook_id: UUID,
        url: str | None,
        subscriptions: Sequence[EventType] | None,
        notification_email: str | None,
        clear_email: bool = False,
    ) -> Webhook:
        """Changes what is given (None: kept; `clear_email`: the e-mail given, even None, replaces it)."""
        current = self.repo.get(tenant_id, webhook_id)
        changed = current.model_copy(
            update={
                "url": self._url(url) if url is not None else current.url,
                "subscriptions": tuple(subscriptions) if subscriptions is not None else current.subscriptions,
                "notification_email": notification_email
                if clear_email or notification_email is not None
                else current.notification_email,
                "updated_at": self.clock(),
            }
        )
        self.repo.update(changed)
        return changed

    def events(self, tenant_id: UUID, webhook_id: UUID) -> list[Delivery]:
        self.repo.get(tenant_id, webhook_id)  # another practice's webhook: not found
        return self.deliveries.events_of_webhook(tenant_id, webhook_id)

    def event(self, tenant_id: UUID, event_id: UUID) -> Delivery:
        """A webhook event of the practice (another practice's, or a send that is not an event: not
        found)."""
        try:
            delivery = self.deliveries.get(tenant_id, event_id)
        except DeliveryNotFound as error:
            raise NotFound("Webhook event not found") from error
        if delivery.event is None:
            raise NotFound("Webhook event not found")
        return delivery

    def resend(
        self, tenant_id: UUID, event_id: UUID, notify_failure: bool, sender: Callable[[], Sender]
    ) -> Delivery:
        """Sends the event again now, with the same id and body, and answers what this attempt did; an
        attempt that failed for a while is retried later from the queue, as any send. The Sender is built
        (`sender()`) once the event is found and put back: an unknown event or one being sent costs
        nothing of it."""
        now = self.clock()
        event = self.event(tenant_id, event_id)
        resend = states.resent(event, now, notify_failure)
        self.deliveries.save(resend)
        ref = DeliveryRef(tenant_id, event_id)
        attempt = sender().handle(ref, receive_count=1)
        if attempt.outcome == "retry":
            self.queue.enqueue_later(ref, min(attempt.backoff_seconds, 900))
        return self.deliveries.get(tenant_id, event_id)
