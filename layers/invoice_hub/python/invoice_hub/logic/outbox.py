"""New deliveries: what issuing an invoice sends, and handing deliveries to SendQueue."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, HistoryEntry, Method
from invoice_hub.domain.invoice import Invoice
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.domain.tenant import Tenant


@dataclass(frozen=True)
class Outbox:
    """Where new deliveries go: the tenant's destinations, delivery storage and SendQueue."""

    tenants: TenantRepository
    deliveries: DeliveryRepository
    queue: SendQueue
    stuck_after: timedelta


def new_delivery(
    *,
    tenant_id: uuid.UUID,
    destination: Destination,
    method: Method,
    now: datetime,
    stuck_after: timedelta,
    submission_id: uuid.UUID | None = None,
    invoice_ids: Sequence[uuid.UUID] = (),
    amount_cents: int = 0,
    send_time: datetime | None = None,
    **details: object,
) -> Delivery:
    """A PENDING delivery. One due now is queued at once (and enqueued again by the schedule if it is
    still PENDING after `stuck_after`); one scheduled later waits for the schedule."""
    later = send_time is not None and send_time > now
    history = [HistoryEntry(status="received", at=now)]
    if not later:
        history.append(HistoryEntry(status="queued", at=now))
    return Delivery.model_validate(
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "submission_id": submission_id or uuid.uuid4(),
            "invoice_ids": tuple(invoice_ids),
            "destination": destination,
            "method": method,
            "amount_cents": amount_cents,
            "status": DeliveryStatus.PENDING,
            "send_time": send_time,
            "check_at": send_time if later else now + stuck_after,
            "history": tuple(history),
            "created_at": now,
            "updated_at": now,
            **details,
        }
    )


def deliveries_for_issue(
    tenant: Tenant, invoice: Invoice, now: datetime, stuck_after: timedelta
) -> list[Delivery]:
    """Issuing an invoice sends it to each of the tenant's configured destinations (one submission)."""
    submission = uuid.uuid4()
    return [
        new_delivery(
            tenant_id=tenant.id,
            destination=destination,
            method=destination.method,
            now=now,
            stuck_after=stuck_after,
            submission_id=submission,
            invoice_ids=(invoice.id,),
            amount_cents=as_integer_cents(invoice.charges.remaining_amount),
            patient_id=invoice.patient_id,
            appointment_id=invoice.appointment_id,
        )
        for destination in tenant.destinations
    ]


#: the longest SQS holds a message back (DelaySeconds)
SQS_MAX_DELAY = timedelta(minutes=15)


def dispatch(queue: SendQueue, deliveries: Sequence[Delivery], now: datetime) -> None:
    """Enqueues the deliveries that are due, and those due within SQS's longest delay as delayed
    messages; a later one waits for the schedule (the work index), and so does what SQS refuses."""
    pending = [d for d in deliveries if d.status is DeliveryStatus.PENDING]
    due = [DeliveryRef(d.tenant_id, d.id) for d in pending if d.due(now)]
    if due:
        queue.enqueue(due)
    for d in pending:
        if d.send_time is not None and now < d.send_time <= now + SQS_MAX_DELAY:
            seconds = math.ceil((d.send_time - now).total_seconds())
            queue.enqueue_later(DeliveryRef(d.tenant_id, d.id), seconds)
