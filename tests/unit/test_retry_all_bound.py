"""Retry-all does a bounded amount of work per request, and what it leaves is taken by the next call
(no network: a repository in memory with version-conditional saves, a queue that records, a fake timer).

What an admin relies on at 10,000 failed sends: the request answers within the function's timeout, every
failed send is put back exactly once over the calls it takes, and no DLQ message is moved before its
delivery is PENDING.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.queue_client import DeliveryRef, MoveTask, SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, Method
from invoice_hub.domain.errors import ServiceBusy, VersionConflict
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.redrive import (
    NOT_STARTED,
    RETRY_ALL_BUDGET,
    RETRY_ALL_LIMIT,
    RETRY_ALL_WORKERS,
    RetryAll,
    retry_all_failed,
)

S = DeliveryStatus
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
STUCK_AFTER = timedelta(minutes=15)
HUB = Destination(name="hub", kind="payer_hub", endpoint_url="https://hub.example/send")
TENANT = uuid.uuid4()


def failed(n: int, in_dlq: bool = True) -> Delivery:
    """The n-th oldest failure of the tenant; its DLQ message is there (or expired)."""
    at = T0 - timedelta(days=1) + timedelta(seconds=n)
    pending = Delivery.model_validate(
        {
            "id": uuid.uuid4(),
            "tenant_id": TENANT,
            "submission_id": uuid.uuid4(),
            "destination": HUB,
            "method": Method.EMAIL,
            "created_at": at,
            "updated_at": at,
        }
    )
    claimed = states.attempt(pending, at, at + timedelta(seconds=30))
    dlq_until = T0 + (timedelta(days=13) if in_dlq else -timedelta(days=1))
    return states.failed(claimed, at, "rejected: 400", True, dlq_until)


class Timer:
    """A monotonic clock that moves only when a save is made (each takes `per_save` seconds)."""

    def __init__(self, per_save: float = 0.0) -> None:
        self.now = 0.0
        self.per_save = per_save
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        with self.lock:
            self.now += self.per_save


class Store(DeliveryRepository):
    """Deliveries in memory; saves are version-conditional, as the table's; every step is logged."""

    def __init__(self, deliveries: Sequence[Delivery], log: list[str], timer: Timer) -> None:
        self.items = {d.id: d for d in deliveries}
        self.log = log
        self.timer = timer
        self.lock = threading.Lock()
        self.saves = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.busy_after: int | None = None  # throttled past the SDK's retries from this save on
        self.reads: list[int] = []
        self.delay = 0.0

    def oldest_by_status(self, tenant_id: UUID, status: DeliveryStatus, limit: int) -> list[Delivery]:
        self.reads.append(limit)
        found = [d for d in self.items.values() if d.tenant_id == tenant_id and d.status is status]
        return sorted(found, key=lambda d: (d.updated_at, str(d.id)))[:limit]

    def by_status(self, tenant_id: UUID, status: DeliveryStatus, prefix: str = "") -> list[Delivery]:
        return self.oldest_by_status(tenant_id, status, len(self.items))

    def save(self, delivery: Delivery) -> None:
        with self.lock:
            if self.busy_after is not None and self.saves >= self.busy_after:
                raise ServiceBusy()
            self.saves += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        self.timer.tick()
        with self.lock:
            self.in_flight -= 1
            if self.items[delivery.id].version != delivery.version - 1:
                raise VersionConflict("the delivery changed meanwhile")
            self.items[delivery.id] = delivery
            self.log.append(f"saved {delivery.id}")

    def failed_now(self) -> set[UUID]:
        return {d.id for d in self.items.values() if d.status is S.FAILED}


class Queue(SendQueue):
    def __init__(self, log: list[str], running: bool = False) -> None:
        self.log = log
        self.running = running
        self.enqueued: list[DeliveryRef] = []

    def enqueue(self, refs: Sequence[DeliveryRef], workers: int = 1) -> list[DeliveryRef]:
        self.enqueued += refs
        self.log += [f"enqueued {r.delivery_id}" for r in refs]
        return []

    def redrive_dlq(self) -> MoveTask:
        self.log.append("move task")
        if self.running:
            return MoveTask(started=False, status="RUNNING", task_handle="theirs")
        return MoveTask(started=True, status="RUNNING", task_handle="ours")


def call(
    store: Store,
    queue: Queue,
    timer: Timer,
    limit: int = RETRY_ALL_LIMIT,
    budget: timedelta = RETRY_ALL_BUDGET,
    workers: int = RETRY_ALL_WORKERS,
) -> RetryAll:
    return retry_all_failed(
        store, queue, TENANT, STUCK_AFTER, now=T0, limit=limit, budget=budget, workers=workers, timer=timer
    )


def world(count: int, per_save: float = 0.0, in_dlq: bool = True) -> tuple[Store, Queue, Timer, list[str]]:
    log: list[str] = []
    timer = Timer(per_save)
    return Store([failed(n, in_dlq) for n in range(count)], log, timer), Queue(log), timer, log


def test_a_call_puts_back_at_most_the_limit_oldest_first_and_the_next_calls_take_the_rest() -> None:
    # given 2,500 failed sends whose messages are in the DLQ
    store, queue, timer, log = world(2_500)
    oldest_first = sorted(store.items.values(), key=lambda d: d.updated_at)

    # when retry-all is called until it leaves nothing behind
    calls = [call(store, queue, timer, limit=1_000, workers=4)]
    while calls[-1].remaining:
        calls.append(call(store, queue, timer, limit=1_000, workers=4))

    # then each call read one page of at most the limit (and one more, to know) and put back at most that
    assert [len(c.put_back) for c in calls] == [1_000, 1_000, 500]
    assert store.reads == [1_001, 1_001, 1_001]
    assert [d.id for d in calls[0].put_back] == [d.id for d in oldest_first[:1_000]]
    # and every send was put back exactly once, none is left FAILED
    put_back = [d.id for c in calls for d in c.put_back]
    assert sorted(put_back) == sorted(store.items)
    assert not store.failed_now()
    # and the partial calls moved nothing (the rest were still FAILED) but enqueued theirs afresh;
    # the last one started the move task after its last save, and its deliveries come back with it
    assert [c.move_task.started for c in calls] == [False, False, True]
    assert calls[0].move_task.status == NOT_STARTED
    assert {r.delivery_id for r in queue.enqueued} == set(put_back[:2_000])
    assert log.index("move task") > max(i for i, line in enumerate(log) if line.startswith("saved"))


def test_the_time_budget_stops_new_writes_and_what_is_left_stays_failed_for_the_next_call() -> None:
    # given 1,000 failed sends, each write taking 1/64 s (exact in binary), and a budget of 1 s
    store, queue, timer, _ = world(1_000, per_save=1 / 64)

    # when retry-all runs one write at a time
    first = call(store, queue, timer, budget=timedelta(seconds=1), workers=1)

    # then it stopped after 1 s of writes: 64 put back, the other 936 still FAILED and listed
    assert len(first.put_back) == 64
    assert first.remaining
    assert len(store.failed_now()) == 936
    assert not first.move_task.started
    assert len(queue.enqueued) == 64
    # and the next calls take the rest, each within its budget, until none is left
    rest: list[RetryAll] = []
    while store.failed_now():
        began = timer.now
        rest.append(call(store, queue, timer, budget=timedelta(seconds=1), workers=1))
        assert timer.now - began <= 1.0
    assert sum(len(r.put_back) for r in [first, *rest]) == 1_000
    assert not rest[-1].remaining
    assert rest[-1].move_task.started


def test_writes_run_in_parallel_within_the_pool() -> None:
    # given 64 failed sends whose writes each wait 20 ms
    store, queue, timer, _ = world(64)
    store.delay = 0.02

    # when retry-all runs with 8 writers
    began = time.perf_counter()
    result = call(store, queue, timer, workers=8)
    seconds = time.perf_counter() - began

    # then up to 8 writes were in flight at once, and the whole took far less than 64 x 20 ms
    assert len(result.put_back) == 64
    assert not result.remaining
    assert 1 < store.most_in_flight <= 8
    assert seconds < 64 * 0.02 / 2


def test_a_delivery_taken_by_someone_else_is_not_counted_and_does_not_leave_work_behind() -> None:
    # given three failed sends, one of which the schedule re-drove after retry-all read it
    store, queue, timer, _ = world(3, in_dlq=False)
    taken = next(iter(store.items.values()))
    store.items[taken.id] = states.redriven(taken, T0, "schedule", T0 + STUCK_AFTER)
    read = store.oldest_by_status

    def stale(tenant_id: UUID, status: DeliveryStatus, limit: int) -> list[Delivery]:
        return [*read(tenant_id, status, limit), taken]

    store.oldest_by_status = stale  # type: ignore[method-assign]

    # when retry-all writes from what it read
    result = call(store, queue, timer, workers=2)

    # then it put back the other two only, and (nothing left FAILED) it moved the DLQ and enqueued those two
    assert {d.id for d in result.put_back} == set(store.items) - {taken.id}
    assert not result.remaining
    assert result.move_task.started
    assert {r.delivery_id for r in queue.enqueued} == {d.id for d in result.put_back}


def test_a_store_busy_midway_answers_what_was_done_and_a_busy_store_from_the_start_answers_503() -> None:
    # given 50 failed sends and a store that throttles after 20 writes
    store, queue, timer, _ = world(50)
    store.busy_after = 20

    # when retry-all runs
    result = call(store, queue, timer, workers=1)

    # then the 20 are put back and enqueued, the other 30 are left FAILED for the next call
    assert len(result.put_back) == 20
    assert result.remaining
    assert not result.move_task.started
    assert len(store.failed_now()) == 30
    assert len(queue.enqueued) == 20

    # and when the store throttles from the first write, the request is a 503 (ServiceBusy), nothing changed
    store.busy_after = 0
    with pytest.raises(ServiceBusy):
        call(store, queue, timer, workers=4)
    assert len(store.failed_now()) == 30


def test_with_a_move_task_already_running_every_delivery_is_enqueued_afresh() -> None:
    store, _, timer, log = world(10)
    queue = Queue(log, running=True)
    result = call(store, queue, timer)
    assert not result.move_task.started
    assert result.move_task.status == "RUNNING"
    assert {r.delivery_id for r in queue.enqueued} == set(store.items)


def test_a_slow_read_does_not_spend_the_budget_every_call_makes_progress() -> None:
    # given a store whose read takes 10 s, and writes of 1/64 s with a budget of 1 s
    store, queue, timer, _ = world(200, per_save=1 / 64)
    read = store.oldest_by_status

    def slow(tenant_id: UUID, status: DeliveryStatus, limit: int) -> list[Delivery]:
        timer.now += 10
        return read(tenant_id, status, limit)

    store.oldest_by_status = slow  # type: ignore[method-assign]

    # when retry-all runs, then it still writes for its whole budget
    result = call(store, queue, timer, budget=timedelta(seconds=1), workers=1)
    assert len(result.put_back) == 64
    assert result.remaining
