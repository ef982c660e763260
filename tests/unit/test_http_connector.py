"""How a send's HTTP answer is read: success, permanent rejection or a transient failure (no network:
httpx's MockTransport stands in for the external system)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from invoice_hub.connectors.base import Parcel
from invoice_hub.connectors.http import HttpConnector, retry_after_seconds
from invoice_hub.domain.delivery import Delivery, Destination, Method

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def delivery() -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        destination=Destination(name="hub", kind="payer_hub", endpoint_url="https://hub.example/send"),
        method=Method.EBILL,
        amount_cents=12000,
        created_at=NOW,
        updated_at=NOW,
    )


def connector(handler: httpx.MockTransport) -> HttpConnector:
    sender = HttpConnector(timeout_seconds=2)
    sender.client = httpx.Client(transport=handler)
    return sender


def test_a_2xx_is_sent_with_the_external_reference_and_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "ext-42"})

    sent = delivery()
    result = connector(httpx.MockTransport(answer)).send(Parcel(sent, "secret-token"))
    assert result.ok
    assert result.external_reference == "ext-42"
    assert seen[0].headers["Idempotency-Key"] == str(sent.id)
    assert seen[0].headers["Authorization"] == "Bearer secret-token"
    assert json.loads(seen[0].content)["amount_cents"] == 12000


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (401, True),
        (404, True),
        (422, True),
        (408, False),
        (429, False),
        (500, False),
        (503, False),
    ],
)
def test_4xx_other_than_408_and_429_is_permanent(status: int, permanent: bool) -> None:
    result = connector(httpx.MockTransport(lambda _: httpx.Response(status))).send(Parcel(delivery()))
    assert not result.ok
    assert result.permanent is permanent
    assert str(status) in result.reason


def test_throttling_honours_retry_after() -> None:
    answer = httpx.MockTransport(lambda _: httpx.Response(429, headers={"Retry-After": "7"}))
    assert connector(answer).send(Parcel(delivery())).retry_after == 7


def test_timeouts_and_connection_failures_are_transient() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert connector(httpx.MockTransport(slow)).send(Parcel(delivery())).reason == "timeout"
    result = connector(httpx.MockTransport(down)).send(Parcel(delivery()))
    assert not result.permanent
    assert result.reason == "connection failed: ConnectError"


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("12") == 12
    assert retry_after_seconds("Sat, 21 Nov 2026 00:00:30 GMT", NOW) == 30
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
