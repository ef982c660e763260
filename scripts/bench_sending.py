"""`make bench`, parts 3 and 4: the Sender's batch against a slow external system, messages per second
through the local pipeline, and retry-all at 10,000 failed deliveries (called again, as a client does,
until none is left FAILED: each answer does a bounded amount of work).

Everything runs against the local stack (moto, the gateway, the fake external systems), with the
template's SendQueue poller driven by hand: no schedule runs meanwhile.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import boto3
import httpx
from bench_calls import CallLog, Write, breakdown, call, delivery
from bench_cost import MILLION, Usage, messages_per_batch, traces
from botocore.config import Config

from invoice_hub.config import get_settings
from invoice_hub.dal import keys
from invoice_hub.dal.deliveries import DeliveryRepository, delivery_repository
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue, send_queue
from invoice_hub.dal.tenants import tenant_repository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.logic import redrive
from invoice_hub.logic.outbox import new_delivery
from invoice_hub_local.pollers import QueuePoller
from invoice_hub_local.seed import demo_tenant_id
from invoice_hub_local.stack import LocalStack

EXTERNAL_MS = 100  # the slow external system
BATCH = 10
BATCHES = 8  # measured batches per setting, after one warm-up batch
PIPELINE = 300  # sends through the pipeline for messages per second
RETRY_ALL = 10_000
RETRY_ALL_REQUESTS = 5  # answers measured; the requests the rest would take are estimated from them
FUNCTION_TIMEOUT_S = 10  # the template's Globals Timeout
SEED_CHUNK = 500
AWS_CALL_MS = (5, 10)  # a DynamoDB GetItem / PutItem in the same region, typical and slow


def pending(tenant_id: UUID, count: int) -> list[Delivery]:
    """`count` PENDING sends to the practice's payer hub (the fake external system), as issuing an invoice
    makes them (`outbox.new_delivery`: received and queued, due now)."""
    tenant = tenant_repository(get_settings()).get(tenant_id)
    now = datetime.now(UTC)
    return [
        new_delivery(
            tenant_id=tenant_id,
            destination=tenant.destinations[0],
            method=tenant.destinations[0].method,
            now=now,
            stuck_after=timedelta(seconds=get_settings().stuck_after_seconds),
            invoice_ids=(uuid.uuid4(),),
            amount_cents=12000,
            patient_id=uuid.uuid4(),
            appointment_id=uuid.uuid4(),
        )
        for _ in range(count)
    ]


def store(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """Writes deliveries as the dal stores them, 25 a BatchWriteItem with a client of the bench's own (its
    calls are not counted, and a slow moto gets a longer timeout than the functions' client); returns the
    items written."""
    settings = get_settings()
    repo = delivery_repository(settings)
    client = bench_client()
    items = [repo.to_item(d) for d in deliveries]
    for start in range(0, len(items), 25):
        requests: Any = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={settings.table_name: requests})
    return items


def enqueue(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    items = store(deliveries)
    send_queue(get_settings()).enqueue([DeliveryRef(d.tenant_id, d.id) for d in deliveries])
    return items


def sender_poller(local: LocalStack) -> QueuePoller:
    return next(p for p in local.pollers if p.function_name == "SenderFunction")


@dataclass
class Batch:
    ms: float
    records: int
    calls: int
    wru: float
    rru: float
    log_bytes: int
    writes: list[Write]


def timed_batches(
    poller: QueuePoller, log: CallLog, meter: Any, tenant_id: UUID, batches: int
) -> list[Batch]:
    """`batches` batches of BATCH fresh sends each, as the Sender's handler took them."""
    handler = poller.handler
    results: list[Batch] = []

    def measured(event: dict[str, Any], context: Any) -> Any:
        log.reset()
        logged = meter.bytes
        began = time.perf_counter()
        try:
            return handler(event, context)
        finally:
            ms = (time.perf_counter() - began) * 1000
            records = len(event["Records"])
            results.append(
                Batch(ms, records, len(log.ops), log.wru, log.rru, meter.bytes - logged, list(log.breakdown))
            )

    poller.handler = measured
    try:
        for _ in range(batches):
            for item in enqueue(pending(tenant_id, BATCH)):
                # the claim's index writes depend on the item as issuing wrote it
                log.written[(item["PK"]["S"], item["SK"]["S"])] = item
            while poller.poll_once().received:
                pass
    finally:
        poller.handler = handler
    return results


def sender_batch(local: LocalStack, log: CallLog, meter: Any) -> dict[str, Any]:
    tenant_id = demo_tenant_id("demo-practice")
    poller = sender_poller(local)
    print(
        f"\n== 3. Sender: batches of {BATCH} to a {EXTERNAL_MS} ms external system "
        f"(goal: <= 1.5x {EXTERNAL_MS} ms)"
    )
    timed_batches(
        poller, log, meter, tenant_id, 1
    )  # warm-up: imports the Sender, its clients, the SSM credential
    figures: dict[int, dict[str, Any]] = {}
    for delay in (0, EXTERNAL_MS):
        local.external.control("ok", delay_ms=delay)
        runs = [b for b in timed_batches(poller, log, meter, tenant_id, BATCHES) if b.records == BATCH]
        if not runs:
            raise RuntimeError(f"no batch of {BATCH} was received at {delay} ms")
        figures[delay] = {
            "median": statistics.median(b.ms for b in runs),
            "spread": (min(b.ms for b in runs), max(b.ms for b in runs)),
            "calls": statistics.median(b.calls / b.records for b in runs),
            "wru": statistics.median(b.wru / b.records for b in runs),
            "rru": statistics.median(b.rru / b.records for b in runs),
            "log_bytes": statistics.median(b.log_bytes / b.records for b in runs),
            "batches": len(runs),
            "writes": runs[-1].writes,
        }
    local.external.control("ok")
    slow, fast = figures[EXTERNAL_MS], figures[0]
    ratio = slow["median"] / EXTERNAL_MS
    print(
        f"{'external':<12}{'batches':>8}{'median ms':>11}{'min-max ms':>14}{'AWS calls/msg':>15}"
        f"{'WRU/msg':>9}{'RRU/msg':>9}"
    )
    for delay, f in sorted(figures.items()):
        low, high = f["spread"]
        print(
            f"{f'{delay} ms':<12}{f['batches']:>8}{f['median']:>11.0f}{f'{low:.0f}-{high:.0f}':>14}"
            f"{f['calls']:>15.1f}{f['wru']:>9.1f}{f['rru']:>9.1f}"
        )
    added = (slow["median"] - fast["median"]) / EXTERNAL_MS
    low, high = (EXTERNAL_MS + slow["calls"] * ms for ms in AWS_CALL_MS)
    print(
        f"batch of {BATCH} at {EXTERNAL_MS} ms / {EXTERNAL_MS} ms = {ratio:.2f} "
        f"{'PASS' if ratio <= 1.5 else 'over'} locally, where moto answers one call at a time: the batch at"
        f" 0 ms (AWS calls alone) takes {fast['median']:.0f} ms, and the {BATCH} sends of {EXTERNAL_MS} ms"
        f" added {added:+.2f}x {EXTERNAL_MS} ms (the sends overlap each other and the AWS calls;"
        f" one after another they would add {BATCH}x)"
    )
    print(
        f"on AWS (estimate): each record's {slow['calls']:.0f} calls run in its own thread as its send does:"
        f" {EXTERNAL_MS} ms + {slow['calls']:.0f} x {AWS_CALL_MS[0]}-{AWS_CALL_MS[1]} ms"
        f" = {low:.0f}-{high:.0f} ms"
        f" = {low / EXTERNAL_MS:.2f}-{high / EXTERNAL_MS:.2f}x {EXTERNAL_MS} ms"
    )
    print("a send's writes (the last batch's, per send), as DynamoDB charges them:")
    print("\n".join(breakdown(slow["writes"], per=BATCH)))
    # a batch holds what arrives within the mapping's batching window: at a million sends a month, ~1.4
    batch = messages_per_batch(MILLION)
    usage = Usage(
        label=(
            f"one send, 1/{batch:.2f} of a Sender invocation ({batch:.2f} messages a batch at a million a"
            f" month), its sends at {EXTERNAL_MS} ms (the AWS estimate's top)"
        ),
        lambda_ms=high,  # the batch's sends overlap: an invocation lasts about one send
        invocations=1 / batch,
        wru=slow["wru"],
        rru=slow["rru"],
        sqs_requests=2 / batch,  # the event source mapping's ReceiveMessage and DeleteMessageBatch
        log_bytes=slow["log_bytes"],
        traces=traces(1),  # a send is traced when its create was (SQS carries the trace header)
    )
    return {
        "ratio": ratio,
        "added": added,
        "aws": (low / EXTERNAL_MS, high / EXTERNAL_MS),
        "figures": figures,
        "usage": usage,
    }


def bench_client() -> Any:
    """A DynamoDB client of the bench's own: its calls are not counted, and a busy moto gets time."""
    return boto3.client("dynamodb", config=Config(read_timeout=120, retries={"mode": "standard"}))


def count_status(client: Any, tenant_id: UUID, status: DeliveryStatus = DeliveryStatus.SENT) -> int:
    """The practice's deliveries in `status` (the sparse status index), read with the bench's client."""
    request: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "IndexName": keys.index_name("GSI2"),
        "KeyConditionExpression": "GSI2PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.deliveries_by_status(tenant_id, status)}},
        "Select": "COUNT",
    }
    total = 0
    while True:
        page = client.query(**request)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def pipeline(local: LocalStack, count: int = PIPELINE) -> dict[str, Any]:
    """Enqueue `count` sends, start the template's SendQueue poller, time until every one is SENT."""
    tenant_id = demo_tenant_id("demo-practice")
    client = bench_client()
    poller = sender_poller(local)
    before = count_status(client, tenant_id)
    delivered = local.external.received()["delivered"]
    enqueue(pending(tenant_id, count))
    began = time.perf_counter()
    poller.start()
    try:
        # the fakes' counter first (it costs moto nothing), then the SENT writes that follow each send
        while local.external.received()["delivered"] < delivered + count:
            if time.perf_counter() - began > 600:
                raise RuntimeError(f"{count} sends were not all delivered in 600 s")
            time.sleep(0.1)
        while count_status(client, tenant_id) < before + count:
            time.sleep(0.1)
    finally:
        poller.stop()
    seconds = time.perf_counter() - began
    rate = count / seconds
    print(
        f"\nPipeline: {count} sends enqueued, then the SendQueue poller started with "
        f"{poller.maximum_concurrency} workers (the template's MaximumConcurrency), external 0 ms: "
        f"all SENT in {seconds:.1f} s = {rate:.0f} messages/s"
    )
    return {"count": count, "seconds": seconds, "rate": rate, "workers": poller.maximum_concurrency}


def seed_failed(tenant_id: UUID, count: int) -> float:
    """`count` FAILED deliveries whose messages are in the DLQ (for 14 days), through the dal."""
    began = time.perf_counter()
    now = datetime.now(UTC)
    for start in range(0, count, SEED_CHUNK):
        batch = [
            delivery(tenant_id, DeliveryStatus.FAILED, now, dlq_days=14)
            for _ in range(min(SEED_CHUNK, count - start))
        ]
        store(batch)
    return time.perf_counter() - began


#: the parts of one retry-all answer, timed where the function (run in this process) calls them
PHASES: tuple[tuple[Any, str, str], ...] = (
    (DeliveryRepository, "oldest_by_status", "read"),
    (redrive, "_put_back", "writes"),
    (SendQueue, "enqueue", "enqueue"),
)


@contextmanager
def timed_phases() -> Iterator[dict[str, float]]:
    """Seconds spent in each of PHASES since the last `clear()` of the dict it yields."""
    spent: dict[str, float] = {}
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in PHASES]

    def timing(label: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - began

        return timed

    for (owner, name, label), (_, _, original) in zip(PHASES, originals, strict=True):
        setattr(owner, name, timing(label, original))
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def retry_all(http: httpx.Client, log: CallLog, admin_token: str, count: int = RETRY_ALL) -> dict[str, Any]:
    """`count` FAILED deliveries, then `POST retryallfailed` as a client does when an answer leaves some
    behind: again, `RETRY_ALL_REQUESTS` times (or until the practice has none FAILED; locally every call
    costs moto seconds of index reads at 10,000). Each answer is timed and its AWS calls counted."""
    tenant_id = demo_tenant_id("demo-practice")
    print(f"\n== 4. retryallfailed at {count:,} failed deliveries")
    seeded = seed_failed(tenant_id, count)
    already = count_status(bench_client(), tenant_id, DeliveryStatus.FAILED)
    print(f"seeded {count:,} FAILED deliveries in {seeded:.1f} s ({already:,} FAILED in the practice)")
    answers: list[dict[str, Any]] = []
    left = already
    with timed_phases() as spent:
        while left and len(answers) < RETRY_ALL_REQUESTS:
            spent.clear()
            began = time.perf_counter()
            response = call(
                http,
                log,
                "POST",
                "/api/v1/billing/invoices/retryallfailed",
                headers={"Authorization": f"Bearer {admin_token}"},
                timeout=900,
            )
            seconds = time.perf_counter() - began
            phases = dict(spent)
            body = response.json()
            ops = dict(sorted(count_ops(log.ops).items()))
            left = count_status(bench_client(), tenant_id, DeliveryStatus.FAILED)
            answers.append(
                {
                    "seconds": seconds,
                    "phases": phases,
                    "calls": len(log.ops),
                    "ops": ops,
                    "listed": len(body.get("Data", [])),
                    "bytes": len(response.content),
                    "left": left,
                    "message": body.get("ResponseMessage", ""),
                }
            )
    first, last = answers[0], answers[-1]
    for label, answer in (("first", first), ("last", last)):
        print(
            f"{label} answer: {answer['seconds']:.1f} s, {answer['bytes'] / 1e6:.2f} MB, "
            f"{answer['listed']:,} put back, {answer['left']:,} left FAILED; "
            f"AWS calls: {answer['calls']:,} = {answer['ops']}"
        )
    for n, answer in enumerate(answers, 1):
        split = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in answer["phases"].items())
        print(f"answer {n}: {answer['seconds']:.1f} s = {split} + the rest (the gateway, the move task)")
    times = [a["seconds"] for a in answers]
    total_calls = sum(a["calls"] for a in answers)
    put_back = sum(a["listed"] for a in answers)
    more = math.ceil(left / max(put_back / len(answers), 1))
    print(
        f"requests measured: {len(answers)}, about {more} more would leave none FAILED; "
        f"each answer {min(times):.1f}-{max(times):.1f} s "
        f"(median {statistics.median(times):.1f}); {sum(times):.1f} s in all; {put_back:,} put back in all "
        f"({left:,} left); AWS calls {total_calls:,} = {total_calls / max(already, 1):.2f} per failed one"
    )
    print(f"last answer's message: {last['message']}")
    slowest = max(times)
    verdict = (
        f"within the function's {FUNCTION_TIMEOUT_S} s timeout"
        if slowest < FUNCTION_TIMEOUT_S
        else f"over the function's {FUNCTION_TIMEOUT_S} s timeout"
    )
    print(f"slowest answer: {slowest:.1f} s, {verdict} (API Gateway's: 29 s)")
    return {
        "seconds": slowest,
        "calls": max(a["calls"] for a in answers),
        "ops": first["ops"],
        "failed": already,
        "bytes": max(a["bytes"] for a in answers),
        "requests": len(answers),
        "total_seconds": sum(times),
        "total_calls": total_calls,
        "left": left,
    }


def count_ops(ops: list[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for op in ops:
        counted[op] = counted.get(op, 0) + 1
    return counted
