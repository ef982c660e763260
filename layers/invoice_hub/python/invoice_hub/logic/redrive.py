"""Putting failed deliveries back to work: retry-all (API), the schedule, and what a console re-drive does.

A re-drive never loses a delivery and never sends one twice: each delivery changes state with a
version-conditional write, so retry-all and the schedule cannot both take the same one, and the Sender's
claim makes a second message for a delivery harmless. Every delivery put back to work counts one
`Redrives` (invoice_hub.metrics).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from invoice_hub import metrics
from invoice_hub.dal.deliveries import DeliveryNotFound, DeliveryRepository
from invoice_hub.dal.queue_client import DeliveryRef, MoveTask, SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.domain.errors import ServiceBusy, VersionConflict
from invoice_hub.logic import delivery_states as states

S = DeliveryStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


#: deliveries one retry-all request puts back at most, oldest first: one 1 MB Query page (~1.1 KB an
#: item), and a bounded answer (~270 bytes each; Lambda answers at most 6 MB). The rest wait, FAILED and
#: listed, for the next call.
RETRY_ALL_LIMIT = 500
#: time one request may spend writing, from its first write, before it starts no further one (the
#: function's timeout is 10 s, API Gateway's 29 s; the read comes before, the writes under way, the
#: move task and the enqueue after). Counted from the first write so that every call makes progress.
RETRY_ALL_BUDGET = timedelta(seconds=4)
#: writes in flight at once (boto3 clients are thread-safe; on AWS a PutItem waits 5-10 ms)
RETRY_ALL_WORKERS = 16


@dataclass(frozen=True)
class RetryAll:
    move_task: MoveTask
    put_back: list[Delivery]
    #: FAILED deliveries were left for a later call (the limit or the time budget was reached)
    remaining: bool = False


#: a partial call starts no move task: MoveTask(started=False, status=NOT_STARTED)
NOT_STARTED = "NOT_STARTED"


def retry_all_failed(
    repo: DeliveryRepository,
    queue: SendQueue,
    tenant_id: UUID,
    stuck_after: timedelta,
    now: datetime | None = None,
    *,
    limit: int | None = RETRY_ALL_LIMIT,
    budget: timedelta | None = RETRY_ALL_BUDGET,
    workers: int = RETRY_ALL_WORKERS,
    timer: Callable[[], float] = time.monotonic,
) -> RetryAll:
    """Puts the tenant's FAILED deliveries back to PENDING, oldest first, at most `limit` of them and no
    new write once `budget` has passed since the first (None: no bound), `workers` writes at a time;
    then re-drives SendDLQ (StartMessageMoveTask, unless one is running).

    A delivery whose DLQ message has expired (past `dlq_until`) is enqueued afresh, and so is every one
    when a move task was already running (it moves only what the DLQ held when it started); the others
    come back with the move task. One whose message is gone otherwise (the DLQ was purged) is still
    PENDING after `stuck_after`, and the schedule enqueues it then.

    When the bound leaves FAILED deliveries behind (`remaining`), no move task is started: it would move
    their messages before they are PENDING. Every delivery this call put back is enqueued afresh instead;
    the rest stay FAILED and listed, and the next call takes them (the transient ones the schedule
    re-drives on its own too). The call that leaves none behind starts the move task; messages of
    deliveries already sent then find them SENT and are acknowledged without a send."""
    moment = now or utcnow()
    if limit is None:
        found = repo.by_status(tenant_id, S.FAILED)
    else:
        found = repo.oldest_by_status(tenant_id, S.FAILED, limit + 1)  # one more: are there others?
    remaining = limit is not None and len(found) > limit
    deadline = None if budget is None else timer() + budget.total_seconds()
    outcomes = _put_back(repo, found[:limit], moment, stuck_after, deadline, workers, timer)
    put_back = [changed for changed in outcomes if isinstance(changed, Delivery)]
    if not put_back and any(outcome == BUSY for outcome in outcomes):
        raise ServiceBusy()  # nothing done: the client retries after Retry-After
    remaining = remaining or any(outcome in (LATER, BUSY) for outcome in outcomes)
    if remaining:
        task = MoveTask(started=False, status=NOT_STARTED, task_handle=None)
        fresh = [DeliveryRef(tenant_id, d.id) for d in put_back]
    else:
        in_dlq = {  # deliveries whose message should still be in the DLQ
            d.id for d in found if d.dlq_until is not None and d.dlq_until > moment
        }
        # Only now move the DLQ back: a moved message must find its delivery PENDING already, or the
        # Sender would take it for a send being decided elsewhere and let it go.
        task = queue.redrive_dlq()
        # a move task that was already running moves only what the DLQ held when it started
        fresh = [DeliveryRef(tenant_id, d.id) for d in put_back if not (task.started and d.id in in_dlq)]
    if fresh:
        queue.enqueue(fresh, workers=workers)
    metrics.count(metrics.REDRIVES, len(put_back))
    return RetryAll(move_task=task, put_back=put_back, remaining=remaining)


#: what became of a delivery retry-all read: put back (the saved Delivery), or one of these
TAKEN = "taken"  # the schedule or another retry-all wrote it first
LATER = "later"  # not tried: the time budget was spent, or the store was busy
BUSY = "busy"  # its write was throttled past the SDK's retries


def _put_back(
    repo: DeliveryRepository,
    failed: list[Delivery],
    moment: datetime,
    stuck_after: timedelta,
    deadline: float | None,
    workers: int,
    timer: Callable[[], float],
) -> list[Delivery | str]:
    """Each delivery saved PENDING (version-conditional), `workers` at a time; the outcomes in order.
    Once the deadline has passed or the store is busy, the deliveries not yet tried are left FAILED."""
    stop = threading.Event()

    def one(delivery: Delivery) -> Delivery | str:
        if stop.is_set() or (deadline is not None and timer() >= deadline):
            stop.set()
            return LATER
        changed = states.redriven(delivery, moment, "retry-all", moment + stuck_after)
        try:
            repo.save(changed)
        except VersionConflict:
            return TAKEN
        except ServiceBusy:
            stop.set()
            return BUSY
        except Exception:
            stop.set()  # the writes under way finish; the error is the answer
            raise
        return changed

    if workers <= 1 or len(failed) <= 1:
        return [one(delivery) for delivery in failed]
    with ThreadPoolExecutor(max_workers=min(workers, len(failed))) as pool:
        return list(pool.map(one, failed))


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
        due = repo.redrive.due(delivery)
        if due is None or due > now:
            return None
        changed = states.redriven(delivery, now, "schedule", now + stuck_after)
    else:
        return None
    repo.save(changed)
    return changed
