"""`make bench`, part 7: the AWS calls of one scheduling round (ScheduledRetry) with 10,000 patient sends
waiting for their rule's next method, of which 100 are due.

The sends are written straight to the table, each in the work index (GSI5) at its next send time: 100 a
minute before the round's clock, the rest spread over the following 30 days. The round runs in-process on
a clock of its own, in 2020, so that nothing else the bench made is due to it; a botocore hook counts its
calls by operation. The goal: calls proportional to the 100 due, not to the 10,000 waiting.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_calls import CallLog, delivery
from bench_sending import store

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.queue_client import send_queue
from invoice_hub.domain.delivery import DeliveryStatus
from invoice_hub.logic.redrive import run_schedule
from invoice_hub_local.seed import demo_tenant_id

#: the round's own clock: long before anything else the bench writes
ROUND = datetime(2020, 1, 1, tzinfo=UTC)
WAITING, DUE = 10_000, 100


def waiting_sends(total: int, due: int) -> list[Any]:
    """`total` PENDING sends at their rule's next step: `due` of them due before ROUND, the rest later."""
    tenant = demo_tenant_id("demo-practice")
    made = []
    for n in range(total):
        at = ROUND - timedelta(minutes=1) if n < due else ROUND + timedelta(minutes=1 + n * 4)
        one = delivery(tenant, DeliveryStatus.PENDING, ROUND - timedelta(days=1))
        made.append(one.model_copy(update={"send_time": at, "check_at": at, "attempts": 1}))
    return made


def schedule_round(log: CallLog, total: int = WAITING, due: int = DUE) -> dict[str, Any]:
    settings = get_settings()
    began = time.perf_counter()
    store(waiting_sends(total, due))
    written = time.perf_counter() - began
    before = Counter(log.total)
    started = time.perf_counter()
    run = run_schedule(
        delivery_repository(settings),
        send_queue(settings),
        timedelta(seconds=settings.stuck_after_seconds),
        clock=lambda: ROUND,
    )
    seconds = time.perf_counter() - started
    calls = Counter(log.total)
    calls.subtract(before)
    used = {name: count for name, count in sorted(calls.items()) if count}
    report = {
        "waiting": total,
        "due": due,
        "enqueued": len(run.enqueued),
        "calls": used,
        "total": sum(used.values()),
        "seconds": seconds,
        "written_seconds": written,
    }
    print(f"\n== 7. One scheduling round: {total:,} sends waiting for their next method, {due} due")
    print(f"   ({total:,} written in {written:.0f} s; the round ran in {seconds:.2f} s locally)")
    for name, count in used.items():
        print(f"   {name:<34} {count:>6}")
    print(
        f"   total {report['total']} AWS calls; enqueued {len(run.enqueued)}: "
        f"{report['total'] / max(due, 1):.2f} calls per due send, "
        f"{report['total'] / total:.4f} per waiting send"
    )
    return report
