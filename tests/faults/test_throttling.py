"""DynamoDB throttling, injected at the wire (tests/faults/conftest.py), against the handlers themselves.

What a practice relies on: when DynamoDB throttles, a request either succeeds within the SDK's retries or
answers 503 with Retry-After — never a 500 — and the store holds all of the request's writes or none of
them (an invoice with its reg_number counter, idempotency record and deliveries; a delivery with its
history); and the client's retry, which the 503 invites, completes the request exactly once.

How: each request is made once without faults (the reference: which DynamoDB calls it makes, what it
writes, in kinds of items); then once per call with that call throttled on every attempt (cycling through
the throttling error codes, and for a transaction also its cancellation for ThrottlingError, which the SDK
does not retry), each followed by the client's retry; then with every call throttled on its first three
attempts, which the SDK's four attempts must absorb. The stack's pollers and schedule are paused meanwhile,
so only the request writes to the tenant.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from moto.dynamodb.models import dynamodb_backends

from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.provision import ACCOUNT, REGION
from invoice_hub_local.sqs_move_tasks import BACKEND_LOCK
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body, load_event
from tests.faults.conftest import CANCELLED, CODES, Throttle, persistent, transient
from tests.integration.handlers import authorized
from tests.report import tried

Event = dict[str, Any]
Answer = tuple[int, dict[str, str], Any]


# -- requests ---------------------------------------------------------------------------------------
def call(stack: LocalStack, function: str, event: Event) -> Answer:
    response = invoke(stack.stack.functions[function], json.loads(json.dumps(event)))
    headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = values[-1]
    body = response.get("body")
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body
    return int(response["statusCode"]), headers, parsed


def with_headers(event: Event, **headers: str) -> Event:
    for name, value in headers.items():
        event["headers"][name] = value
        event.setdefault("multiValueHeaders", {})[name] = [value]
    return event


def with_body(event: Event, body: dict[str, Any]) -> Event:
    event["body"] = json.dumps(body)
    event["headers"].pop("Content-Length", None)
    (event.get("multiValueHeaders") or {}).pop("Content-Length", None)
    return event


def bearer(event: Event, practice: Practice) -> Event:
    for name in ("If-Match", "Idempotency-Key"):
        event["headers"].pop(name, None)
        (event.get("multiValueHeaders") or {}).pop(name, None)
    return authorized(with_headers(event, Authorization=f"Bearer {practice.token}"), practice.token)


def key() -> str:
    return f"faults-{uuid.uuid4()}"


# -- the store, in kinds of items ---------------------------------------------------------------------
@dataclass
class Store:
    """The tenant's items in the table and the idempotency table, as moto holds them.

    Read from moto's tables in this process (its server thread's), not with a Scan: a Scan reads the whole
    table, and the worker's table holds every earlier test's items, so two Scans per request made a test
    of this suite take a minute late in a run that it takes a second early."""

    stack: LocalStack
    tenant_id: uuid.UUID

    def snapshot(self) -> dict[tuple[str, str], dict[str, Any]]:
        prefix = f"T#{self.tenant_id}"
        items: dict[tuple[str, str], dict[str, Any]] = {}
        tables = (
            (self.stack.environment["TABLE_NAME"], "PK"),
            (self.stack.environment["IDEMPOTENCY_TABLE_NAME"], "id"),
        )
        with BACKEND_LOCK:  # moto's server applies one request at a time under it
            backend = dynamodb_backends[ACCOUNT][REGION]
            for table, partition in tables:
                for stored in backend.tables[table].all_items():
                    if str(stored.hash_key.value).startswith(prefix):
                        item = stored.to_json()["Attributes"]
                        items[(table, json.dumps(item[partition]) + json.dumps(item.get("SK")))] = item
        return items


def kind(table_key: tuple[str, str], item: dict[str, Any]) -> str:
    if "PK" not in item:
        return "idempotency record"
    pk, sk = item["PK"]["S"], item["SK"]["S"]
    if sk == "INVOICE":
        return "reg_number counter" if pk.endswith("#SEQ") else "invoice"
    return sk.lower()


def written(before: dict[Any, dict[str, Any]], after: dict[Any, dict[str, Any]]) -> Counter[str]:
    """The kinds of items a request added or changed (and removed), one per item."""
    kinds: Counter[str] = Counter()
    for name, item in after.items():
        if before.get(name) != item:
            kinds[kind(name, item)] += 1
    for name in before.keys() - after.keys():
        kinds[f"removed {kind(name, before[name])}"] += 1
    return kinds


def deliveries_without_history(items: dict[Any, dict[str, Any]]) -> int:
    return sum(
        1 for item in items.values() if item.get("SK", {}).get("S") == "DELIVERY" and not item.get("history")
    )


# -- the requests under test ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A request of one function; `prepare` makes the preconditions of one run (unthrottled) and its event."""

    name: str
    function: str
    prepare: Callable[[LocalStack, Practice], Event]


def create_event(stack: LocalStack, practice: Practice) -> Event:
    event = with_body(bearer(load_event("invoice_create", "create"), practice), invoice_body(status="ISSUED"))
    return with_headers(event, **{"Idempotency-Key": key()})


def update_event(stack: LocalStack, practice: Practice) -> Event:
    status, _, created = call(stack, "InvoiceCreateFunction", create_event_draft(practice))
    assert status == 201, created
    event = with_body(bearer(load_event("invoice_update", "issue"), practice), invoice_body(status="ISSUED"))
    invoice_id = created["id"]
    event["pathParameters"] = {"id": invoice_id}
    event["path"] = f"/invoice/{invoice_id}"
    event["requestContext"]["path"] = f"/dev/invoice/{invoice_id}"
    return event


def create_event_draft(practice: Practice) -> Event:
    return with_body(bearer(load_event("invoice_create", "create"), practice), invoice_body(status="DRAFT"))


def list_event(stack: LocalStack, practice: Practice) -> Event:
    return bearer(load_event("invoice_list", "default"), practice)


def ebh_event(stack: LocalStack, practice: Practice) -> Event:
    event = load_event("ebh_submit", "two_payers")
    for name in ("Producerid", "Providerkey"):
        event["headers"].pop(name, None)
        event["multiValueHeaders"].pop(name, None)
    body = json.loads(event["body"])
    body["InvoiceId"] = f"F-{uuid.uuid4().hex[:10]}"
    return with_headers(with_body(event, body), **practice.ebh_headers, **{"Idempotency-Key": key()})


def decoda_event(stack: LocalStack, practice: Practice) -> Event:
    event = load_event("decoda_create", "create")
    for name in ("Tenant", "Api-Key"):
        event["headers"].pop(name, None)
        event["multiValueHeaders"].pop(name, None)
    return with_headers(event, **practice.decoda_headers, **{"Idempotency-Key": key()})


REQUESTS = [
    Request("create an issued invoice", "InvoiceCreateFunction", create_event),
    Request("issue a draft (update)", "InvoiceUpdateFunction", update_event),
    Request("list invoices", "InvoiceListFunction", list_event),
    Request("Decoda create", "DecodaCreateFunction", decoda_event),
    Request("eBillingHub submission", "EbhSubmitFunction", ebh_event),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.name)
def test_throttling_answers_503_or_succeeds_and_never_half_writes(
    request_: Request,
    quiet_stack: LocalStack,
    throttle: Throttle,
    new_practice: Callable[..., Practice],
) -> None:
    stack = quiet_stack
    practice = new_practice()
    store = Store(stack, practice.tenant.id)

    def run(event: Event) -> tuple[Answer, Counter[str]]:
        before = store.snapshot()
        answer = call(stack, request_.function, event)
        return answer, written(before, store.snapshot())

    # given the request's reference run, with no faults
    throttle.reset()
    event = request_.prepare(stack, practice)
    throttle.reset()
    (status, _, body), full = run(event)
    assert status < 300, body
    assert bool(full) == (request_.function != "InvoiceListFunction"), f"the reference run wrote {full}"
    calls = throttle.operations()
    assert calls, "the request made no DynamoDB call from the handler's thread"
    statuses: Counter[int] = Counter()

    # when each of its calls in turn is throttled on every attempt
    for index, operation in enumerate(calls):
        occurrence = calls[:index].count(operation)
        codes = [CODES[index % len(CODES)]] + ([CANCELLED] if operation == "TransactWriteItems" else [])
        for code in codes:
            event = request_.prepare(stack, practice)
            before = store.snapshot()
            throttle.reset(persistent(operation, occurrence, code))
            (faulted, headers, body), writes = run(event)
            if not throttle.throttled_calls():
                continue  # this run did not make that call (a cached read)
            statuses[faulted] += 1
            # then it is a 503 with Retry-After, or a success, and the store has all of it or none of it
            assert faulted == 503 or faulted == status, f"{operation} throttled ({code}): {faulted} {body}"
            if faulted == 503:
                assert int(headers["Retry-After"]) >= 1
            assert writes in (Counter(), full), f"{operation} throttled ({code}) half-wrote {writes}"
            assert deliveries_without_history(store.snapshot()) == 0
            # and the client's retry, unthrottled, completes it exactly once
            throttle.reset()
            retried, _, body = call(stack, request_.function, event)
            assert retried == status, body
            assert written(before, store.snapshot()) == full

    # when every call is throttled on its first three attempts, the SDK's retries absorb it
    absorbed_calls = 0
    for code in CODES:
        event = request_.prepare(stack, practice)
        throttle.reset(transient(3, code))
        (absorbed, _, body), writes = run(event)
        assert absorbed == status, body
        assert writes == full
        assert throttle.throttled_calls() == len(throttle.calls) > 0
        absorbed_calls += len(throttle.calls)

    tried(
        "faults",
        f"throttling, {request_.name}: {len(calls)} DynamoDB calls ({', '.join(calls)}) each throttled "
        f"on every attempt → {dict(sorted(statuses.items()))}, 0 half-written, every client retry "
        f"completed once; {absorbed_calls} calls throttled on 3 of 4 attempts → all {status} "
        f"(SDK back-off skipped: {throttle.waited:.0f} s)",
    )
