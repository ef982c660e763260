"""Idempotency of every creating POST that takes an `Idempotency-Key` (the Invoice API's create,
Decoda's create, eBillingHub's submission), over real HTTP: 50 concurrent identical requests with one
key make one resource and get one answer; the key with another body is refused and writes nothing,
even when both bodies race; the same key in two practices makes two resources."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Practice, invoice_body
from tests.report import tried
from tests.security.conftest import SqsMessages, at_once

pytestmark = pytest.mark.e2e
SUITE = "idempotency"
CONCURRENT = 50


@dataclass(frozen=True)
class Creating:
    """A creating endpoint: where it is, how to authenticate, what a body looks like, what it answers."""

    name: str
    url: str
    headers: Callable[[Practice], dict[str, str]]
    body: Callable[[str, int], dict[str, Any]]  # (a marker unique to the test, a variant of the body)
    created: int
    refused: int
    refusal: Callable[[httpx.Response], bool]


def _invoice(marker: str, variant: int) -> dict[str, Any]:
    patient, appointment = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{marker}/{n}")) for n in (1, 2))
    items = [{"description": "Consultation", "code": "0190", "unit_price": 100 + variant}]
    return invoice_body(
        status="ISSUED", patient_id=patient, appointment_id=appointment, items=items, tags=[marker[:20]]
    )


def _decoda(marker: str, variant: int) -> dict[str, Any]:
    return {
        "patientId": f"pat_{marker[:12]}",
        "message": "Your invoice",
        "invoiceMethod": "EMAIL",
        "charges": [{"description": "Visit", "totalOutstanding": 8000 + variant}],
    }


def _ebh(marker: str, variant: int) -> dict[str, Any]:
    return {
        "InvoiceId": marker[:20],
        "Lines": [{"Description": "Consultation", "Code": "0190", "UnitPrice": 120 + variant}],
        "Payors": [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}],
    }


def _fastapi_key_reused(response: httpx.Response) -> bool:
    return bool(response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"])


ENDPOINTS = [
    Creating("Invoice API", "/invoice/", lambda p: p.headers, _invoice, 201, 422, _fastapi_key_reused),
    Creating(
        "Decoda",
        "/billing/invoice/create",
        lambda p: p.decoda_headers,
        _decoda,
        200,
        422,
        _fastapi_key_reused,
    ),
    Creating(
        "eBillingHub",
        "/ebh/submissions/v1",
        lambda p: p.ebh_headers,
        _ebh,
        201,
        400,
        lambda r: "Idempotency-Key" in r.json()["Message"],
    ),
]


def written(http: httpx.Client, practice: Practice, sqs: SqsMessages) -> tuple[int, set[str]]:
    """What the practice has: its invoices (every endpoint here makes one) and the deliveries enqueued."""
    invoices = http.get("/invoice/", params={"limit": 500}, headers=practice.headers).json()["total"]
    deliveries = set()
    for message in list(sqs.sent):
        body = json.loads(message["body"])
        if body["tenant_id"] == str(practice.tenant.id):
            deliveries.add(body["delivery_id"])
    return int(invoices), deliveries


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_concurrent_identical_posts_make_one_resource_and_one_answer(
    http: httpx.Client, practice: Practice, sqs_messages: SqsMessages, endpoint: Creating
) -> None:
    marker = uuid.uuid4().hex
    headers = {**endpoint.headers(practice), "Idempotency-Key": f"key-{marker}"}
    body = endpoint.body(marker, 0)

    responses = at_once([lambda: http.post(endpoint.url, json=body, headers=headers)] * CONCURRENT)

    assert [r.status_code for r in responses] == [endpoint.created] * CONCURRENT
    assert len({r.text for r in responses}) == 1, "every replay answers the first response"
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count("true") == CONCURRENT - 1
    invoices, deliveries = written(http, practice, sqs_messages)
    assert invoices == 1
    assert len(deliveries) == 1
    later = http.post(endpoint.url, json=body, headers=headers)  # a replay after the race, too
    assert (later.status_code, later.text) == (responses[0].status_code, responses[0].text)
    tried(
        SUITE,
        f"{endpoint.name}: {CONCURRENT} concurrent identical POSTs, one key -> {invoices} invoice,"
        f" {len(deliveries)} delivery, {len({r.text for r in responses})} distinct answer"
        f" ({replayed.count('true')} marked replayed)",
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_the_key_with_another_body_is_refused_and_writes_nothing(
    http: httpx.Client, practice: Practice, sqs_messages: SqsMessages, endpoint: Creating
) -> None:
    marker = uuid.uuid4().hex
    headers = {**endpoint.headers(practice), "Idempotency-Key": f"key-{marker}"}
    first = http.post(endpoint.url, json=endpoint.body(marker, 0), headers=headers)
    assert first.status_code == endpoint.created, first.text
    before = written(http, practice, sqs_messages)

    other = http.post(endpoint.url, json=endpoint.body(marker, 1), headers=headers)

    assert other.status_code == endpoint.refused, other.text
    assert endpoint.refusal(other)
    assert written(http, practice, sqs_messages) == before
    again = http.post(endpoint.url, json=endpoint.body(marker, 0), headers=headers)
    assert (again.status_code, again.text) == (first.status_code, first.text)

    # two bodies racing for a fresh key: one wins and is replayed, the other is refused every time
    race_key = {**endpoint.headers(practice), "Idempotency-Key": f"race-{marker}"}
    bodies = [endpoint.body(f"race{marker}", n % 2) for n in range(20)]
    raced = at_once([lambda b=b: http.post(endpoint.url, json=b, headers=race_key) for b in bodies])
    by_variant = [
        {
            (r.status_code, r.text if r.status_code < 300 else "")
            for r, b in zip(raced, bodies, strict=True)
            if b == v
        }
        for v in (bodies[0], bodies[1])
    ]
    outcomes = sorted(len(v) for v in by_variant)
    assert outcomes == [1, 1], by_variant  # each body got one and the same answer throughout
    statuses = sorted(next(iter(v))[0] for v in by_variant)
    assert statuses == sorted([endpoint.created, endpoint.refused])
    invoices, deliveries = written(http, practice, sqs_messages)
    assert (invoices, len(deliveries)) == (before[0] + 1, len(before[1]) + 1)
    refused = sum(r.status_code == endpoint.refused for r in raced)
    tried(
        SUITE,
        f"{endpoint.name}: same key, another body -> {other.status_code}, 0 writes; 20 concurrent POSTs of"
        f" two bodies on one key -> 1 created ({20 - refused} identical answers), {refused} refused",
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_the_same_key_in_two_practices_makes_two_resources(
    http: httpx.Client, new_practice: Callable[..., Practice], sqs_messages: SqsMessages, endpoint: Creating
) -> None:
    first, second = new_practice(), new_practice()
    marker = uuid.uuid4().hex
    body = endpoint.body(marker, 0)
    key = {"Idempotency-Key": f"shared-{marker}"}

    a, b = at_once(
        [
            lambda: http.post(endpoint.url, json=body, headers={**endpoint.headers(first), **key}),
            lambda: http.post(endpoint.url, json=body, headers={**endpoint.headers(second), **key}),
        ]
    )

    assert (a.status_code, b.status_code) == (endpoint.created, endpoint.created)
    assert a.text != b.text  # two resources, two ids
    assert "Idempotent-Replayed" not in a.headers
    assert "Idempotent-Replayed" not in b.headers
    for practice in (first, second):
        invoices, deliveries = written(http, practice, sqs_messages)
        assert (invoices, len(deliveries)) == (1, 1)
    tried(SUITE, f"{endpoint.name}: one key in two practices at once -> 2 resources, one each")


def test_one_key_on_two_endpoints_is_two_operations(
    http: httpx.Client, practice: Practice, sqs_messages: SqsMessages
) -> None:
    """A key is the client's name for one operation: the same string on another endpoint is another."""
    marker = uuid.uuid4().hex
    answers = [
        http.post(e.url, json=e.body(marker, 0), headers={**e.headers(practice), "Idempotency-Key": marker})
        for e in ENDPOINTS
    ]
    assert [r.status_code for r in answers] == [e.created for e in ENDPOINTS]
    invoices, deliveries = written(http, practice, sqs_messages)
    assert (invoices, len(deliveries)) == (len(ENDPOINTS), len(ENDPOINTS))
