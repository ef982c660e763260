"""Fault injection for the faults suite: DynamoDB throttling at the wire, and a quiet stack.

`Throttle` answers the layer's DynamoDB requests the way DynamoDB does when it throttles — an HTTP 400
whose error code is ProvisionedThroughputExceededException, ThrottlingException or RequestLimitExceeded
(or, for a transaction, TransactionCanceledException with a `ThrottlingError` reason) — before the request
reaches moto, so nothing of a throttled request is applied. It hooks `before-send` of the container's one
DynamoDB client, so the SDK's own retry logic (standard mode, 4 attempts) sees the throttling and retries
as it would on AWS. Only requests made from the test's own thread are touched: the stack's pollers, schedule
and gateway threads share the client and are left alone. A call is one SDK invocation (its
`amz-sdk-invocation-id`), its attempts are counted from `amz-sdk-request`.

The SDK's back-off sleeps are skipped (their would-be total is kept in `Throttle.waited`), and the retry
quota the throttling spent is given back afterwards, so the suite neither waits nor leaves later tests
without retries.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import quota, standard

from invoice_hub.dal.dynamo import dynamodb_client
from invoice_hub_local.stack import LocalStack

ATTEMPT = re.compile(r"attempt=(\d+)")
CANCELLED = "TransactionCanceledException"
#: the error codes DynamoDB throttles with (the SDK retries each of them)
CODES = ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded")


def text(value: str | bytes | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def throttled_response(url: str, code: str, items: int) -> AWSResponse:
    """DynamoDB's answer to a throttled request; a transaction's names a reason per item."""
    body: dict[str, Any] = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "Throttled"}
    if code == CANCELLED:
        reasons = [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"}]
        body["CancellationReasons"] = reasons + [{"Code": "None"}] * max(0, items - 1)
        body["message"] = "Transaction cancelled, please refer cancellation reasons for specific reasons"
    headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "fault-injected"}
    return AWSResponse(url, 400, headers, _Raw(json.dumps(body).encode()))


#: (the throttle, call index, call, attempt) → the error code to answer with, or None to let it through
Plan = Callable[["Throttle", int, "Call", int], str | None]


@dataclass
class Call:
    operation: str
    attempts: int = 0
    throttled: int = 0


@dataclass
class Throttle:
    """Which of the test thread's DynamoDB calls are throttled, and on how many attempts."""

    thread: int = field(default_factory=threading.get_ident)
    calls: dict[str, Call] = field(default_factory=dict)  # by invocation id, in call order
    waited: float = 0.0
    plan: Plan | None = None

    def reset(self, plan: Plan | None = None) -> None:
        self.calls = {}
        self.plan = plan

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls.values()]

    def throttled_calls(self) -> int:
        return sum(1 for call in self.calls.values() if call.throttled)

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        if threading.get_ident() != self.thread:
            return None
        invocation = text(request.headers.get("amz-sdk-invocation-id"))
        target = text(request.headers.get("X-Amz-Target"))
        found = ATTEMPT.search(text(request.headers.get("amz-sdk-request")))
        attempt = int(found.group(1)) if found else 1
        call = self.calls.setdefault(invocation, Call(target.rpartition(".")[2]))
        call.attempts = max(call.attempts, attempt)
        code = self.plan(self, list(self.calls).index(invocation), call, attempt) if self.plan else None
        if code is None:
            return None
        call.throttled += 1
        items = len(json.loads(request.body or b"{}").get("TransactItems", []))
        return throttled_response(request.url, code, items)


def persistent(operation: str, occurrence: int, code: str) -> Plan:
    """The `occurrence`-th call of `operation` is throttled on every attempt (the SDK's retries cannot
    help); every other call passes."""

    def plan(throttle: Throttle, n: int, call: Call, attempt: int) -> str | None:
        earlier = [c.operation for c in list(throttle.calls.values())[:n]].count(operation)
        return code if call.operation == operation and earlier == occurrence else None

    return plan


def transient(attempts: int, code: str) -> Plan:
    """Every call is throttled on its first `attempts` attempts (within the SDK's 4)."""
    return lambda throttle, n, call, attempt: code if attempt <= attempts else None


@pytest.fixture
def throttle(monkeypatch: pytest.MonkeyPatch) -> Iterator[Throttle]:
    injected = Throttle()
    client = dynamodb_client()
    unique = f"faults-throttle-{id(injected)}"
    client.meta.events.register_first("before-send.dynamodb", injected.before_send, unique_id=unique)

    delay_amount = standard.ExponentialBackoff.delay_amount

    def no_wait(self: Any, context: Any) -> float:
        injected.waited += float(delay_amount(self, context))
        return 0.0

    spent: list[tuple[quota.RetryQuota, int]] = []
    acquire = quota.RetryQuota.acquire

    def acquire_and_note(self: quota.RetryQuota, capacity_amount: int) -> bool:
        granted = bool(acquire(self, capacity_amount))
        if granted and threading.get_ident() == injected.thread:
            spent.append((self, capacity_amount))
        return granted

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", no_wait)
    monkeypatch.setattr(quota.RetryQuota, "acquire", acquire_and_note)
    try:
        yield injected
    finally:
        client.meta.events.unregister("before-send.dynamodb", unique_id=unique)
        for retry_quota, amount in spent:
            retry_quota.release(amount)


@pytest.fixture
def quiet_stack(stack: LocalStack) -> Iterator[LocalStack]:
    """The stack with its queue and stream pollers and its schedule paused: while a test compares the store
    before and after a request, nothing else writes to its tenant (queued sends go out once they resume)."""
    running = [poller for poller in [*stack.pollers, *stack.stream_pollers] if poller.running]
    for poller in running:
        poller.stop(timeout=30)
    try:
        with stack.schedule_paused():
            yield stack
    finally:
        for poller in running:
            poller.start()
