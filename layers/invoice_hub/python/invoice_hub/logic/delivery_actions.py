"""What people do to sends: pause, resume, cancel, send now, retry with another method, cancel an
invoice's sends. Each is a version-conditional write; a delivery put back to work is enqueued."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.queue import SendQueue
from invoice_hub.errors import IllegalTransition
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.sending import dispatch
from invoice_hub.models.delivery import Delivery, DeliveryStatus, Method


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


def execute(
    repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, ids: Sequence[UUID], action: Action
) -> list[Delivery]:
    """Applies the action to every named delivery, or to none: all are read and checked first."""
    now = utcnow()
    change = _change(action)
    current = [repo.get(tenant_id, delivery_id) for delivery_id in dict.fromkeys(ids)]
    changed = [change(delivery, now) for delivery in current]  # raises IllegalTransition before any write
    for delivery in changed:
        repo.save(delivery)
    dispatch(queue, changed, now)
    return changed


def send_now(repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, delivery_id: UUID) -> Delivery:
    now = utcnow()
    changed = states.send_now(repo.get(tenant_id, delivery_id), now)
    repo.save(changed)
    dispatch(queue, [changed], now)
    return changed


def retry_with(
    repo: DeliveryRepository, queue: SendQueue, tenant_id: UUID, delivery_id: UUID, method: Method
) -> Delivery:
    now = utcnow()
    delivery = repo.get(tenant_id, delivery_id)
    if delivery.destination.kind != "patient_channel":
        raise IllegalTransition("only a send to a patient can change its method")
    changed = states.with_method(delivery, now, method)
    repo.save(changed)
    dispatch(queue, [changed], now)
    return changed


CANCELLABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.PAUSED})


def cancel_invoice(repo: DeliveryRepository, tenant_id: UUID, invoice_id: UUID) -> list[Delivery]:
    """Cancels the invoice's sends that have not gone out (pending, failed or paused)."""
    now = utcnow()
    cancelled = []
    for delivery in repo.of_invoice(tenant_id, invoice_id):
        if delivery.status in CANCELLABLE:
            changed = states.cancelled(delivery, now)
            repo.save(changed)
            cancelled.append(changed)
    return cancelled
