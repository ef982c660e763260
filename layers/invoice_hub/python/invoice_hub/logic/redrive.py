"""Putting failed deliveries back to work: retry-all (API), the schedule, and what a console re-drive does.

A re-drive never loses a delivery and never sends one twice: each delivery changes state with a
version-conditional write, so retry-all and the schedule cannot both take the same one, and the Sender's
claim makes a second message for a delivery harmless. Every delivery put back to work counts one
`Redrives` (invoice_hub.metrics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from invoice_hub import metrics
from invoice_hub.dal.deliveries import DeliveryNotFound, DeliveryRepository, retry_due
from invoice_hub.dal.queue import DeliveryRef, MoveTask, SendQueue
from invoice_hub.errors import VersionConflict
from invoice_hub.logic import delivery_states as states
from invoice_hub.models.delivery import Delivery, DeliveryStatus

S = DeliveryStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryAll:
    move_task: MoveTask
    put_back: list[Delivery]


def retry_all_failed(
    repo: DeliveryRepository,
    queue: SendQueue,
    tenant_id: UUID,
    stuck_after: timedelta,
    now: datetime | None = None,
) -> RetryAll:
    """Re-drives SendDLQ (StartMessageMoveTask, unless one is running) and puts every FAILED delivery of
    the tenant back to PENDING. A delivery whose DLQ message has expired (past `dlq_until`) is enqueued
    afresh, and so is every one when a move task was already running (it moves only what the DLQ held
    when it started); the others come back with the move task. One whose message is gone otherwise (the
    DLQ was purged) is still PENDING after `stuck_after`, and the schedule enqueues it then."""
    moment = now or utcnow()
    put_back: list[Delivery] = []
    in_dlq: set[UUID] = set()  # deliveries whose message should still be in the DLQ
    for delivery in repo.by_status(tenant_id, S.FAILED):
        changed = states.redriven(delivery, moment, "retry-all", moment + stuck_after)
        try:
            repo.save(changed)
        except VersionConflict:
            continue  # the schedule or another retry-all took it
        put_back.append(changed)
        if delivery.dlq_until is not None and delivery.dlq_until > moment:
            in_dlq.add(delivery.id)
    # Only now move the DLQ back: a moved message must find its delivery PENDING already, or the Sender
    # would take it for a send being decided elsewhere and let it go.
    task = queue.redrive_dlq()
    # a move task that was already running moves only what the DLQ held when it started
    fresh = [DeliveryRef(tenant_id, d.id) for d in put_back if not (task.started and d.id in in_dlq)]
    if fresh:
        queue.enqueue(fresh)
    metrics.count(metrics.REDRIVES, len(put_back))
    return RetryAll(move_task=task, put_back=put_back)


@dataclass
class ScheduleRun:
    enqueued: list[UUID] = field(default_factory=list)  # due scheduled sends and stuck PENDING ones
    redriven: list[UUID] = field(default_factory=list)  # transient failures re-driven automatically
    skipped: int = 0


def run_schedule(
    repo: DeliveryRepository,
    queue: SendQueue,
    stuck_after: timedelta,
    clock: Callable[[], datetime] = utcnow,
) -> ScheduleRun:
    """One run of the schedule, over every tenant's due work (the sparse work index)."""
    now = clock()
    run = ScheduleRun()
    refs: list[DeliveryRef] = []
    for tenant_id, delivery_id in repo.due_work(now):
        try:
            delivery = repo.get(tenant_id, delivery_id)
            changed = _work(repo, delivery, now, stuck_after)
        except (DeliveryNotFound, VersionConflict):
            run.skipped += 1
            continue
        if changed is None:
            run.skipped += 1
            continue
        refs.append(DeliveryRef(tenant_id, delivery_id))
        (run.redriven if delivery.status is S.FAILED else run.enqueued).append(delivery_id)
    if refs:
        queue.enqueue(refs)
    metrics.count(metrics.REDRIVES, len(run.redriven))
    return run


def _work(
    repo: DeliveryRepository, delivery: Delivery, now: datetime, stuck_after: timedelta
) -> Delivery | None:
    """The delivery's next state if the schedule should enqueue it now, saved; None if not."""
    if delivery.status is S.PENDING:
        if delivery.check_at is None or delivery.check_at > now or states.in_flight(delivery, now):
            return None
        changed = states.queued(delivery, now, now + stuck_after)
    elif delivery.status is S.FAILED:
        due = retry_due(delivery, repo.retry_backoff, repo.max_redrive_rounds)
        if due is None or due > now:
            return None
        changed = states.redriven(delivery, now, "schedule", now + stuck_after)
    else:
        return None
    repo.save(changed)
    return changed
