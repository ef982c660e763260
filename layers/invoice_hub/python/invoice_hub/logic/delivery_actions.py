"""What people do to sends: pause, resume, cancel, send now, retry with another method, cancel an
invoice's sends. Each is a version-conditional write; a delivery put back to work is enqueued."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.queue_client import SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.domain.errors import IllegalTransition, NotFound, VersionConflict
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.outbox import dispatch

ATTEMPTS = 3
CANCELLABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.PAUSED})


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _change(action: Action) -> Callable[[Delivery, datetime], Delivery]:
    return {Action.PAUSE: states.paused, Action.RESUME: states.resumed, Action.CANCEL: states.cancelled}[
        action
    ]


def apply(repo: DeliveryRepository, delivery: Delivery, change: Callable[[Delivery], Delivery]) -> Delivery:
    """Writes `change(delivery)`; if the Sender wrote meanwhile (a claim, a retry), reads again and
    applies the change to what is there now, which may refuse it."""
    for _ in range(ATTEMPTS):
        changed = change(delivery)
        try:
            repo.save(changed)
        except VersionConflict:
            delivery = repo.get(delivery.tenant_id, delivery.id)
            continue
        return changed
    raise VersionConflict("the send kept changing; retry shortly")


def execute(
    repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, ids: Sequence[UUID], action: Action
) -> list[Delivery]:
    """Applies the action to every named delivery; all are read and checked before any is written."""
    now = utcnow()
    change = _change(action)
    current = [repo.get(tenant_id, delivery_id) for delivery_id in dict.fromkeys(ids)]
    for delivery in current:
        change(delivery, now)  # raises IllegalTransition before any write
    changed = [apply(repo, delivery, lambda d: change(d, now)) for delivery in current]
    dispatch(queue, changed, now)
    return changed


def send_now(repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, delivery_id: UUID) -> Delivery:
    now = utcnow()
    changed = apply(repo, repo.get(tenant_id, delivery_id), lambda d: states.send_now(d, now))
    dispatch(queue, [changed], now)
    return changed


def retry_with(
    repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, delivery_id: UUID, method: Method
) -> Delivery:
    now = utcnow()
    delivery = repo.get(tenant_id, delivery_id)
    if delivery.destination.kind != "patient_channel":
        raise IllegalTransition("only a send to a patient can change its method")
    changed = apply(repo, delivery, lambda d: states.with_method(d, now, method))
    dispatch(queue, [changed], now)
    return changed


def cancel_invoice(repo: DeliveryRepository, tenant_id: UUID, invoice_id: UUID) -> list[Delivery]:
    """Cancels the invoice's sends that have not gone out (pending, failed or paused); an invoice with no
    sends in the practice (another practice's included) is not found, as the operation documents."""
    now = utcnow()
    sends = repo.of_invoice(tenant_id, invoice_id)
    if not sends:
        raise NotFound("the invoice has no sends in this practice")
    return [
        apply(repo, delivery, lambda d: states.cancelled(d, now))
        for delivery in sends
        if delivery.status in CANCELLABLE
    ]


def reschedule(
    repo: DeliveryRepository,
    queue: SendQueue,
    tenant_id: UUID,
    delivery_id: UUID,
    method: Method,
    send_time: datetime | None,
) -> Delivery:
    """Changes how and when the send's next message goes; one due now (or within SQS's delay) is queued."""
    now = utcnow()
    delivery = repo.get(tenant_id, delivery_id)
    if delivery.destination.kind != "patient_channel":
        raise IllegalTransition("only a send to a patient has a method to change")
    changed = apply(repo, delivery, lambda d: states.rescheduled(d, now, method, send_time))
    dispatch(queue, [changed], now)
    return changed
