"""Stripe's webhooks end to end: the fake Stripe signs its events with the endpoint's secret and POSTs them
to `/webhooks/stripe`, as Stripe does; what they change is read back through the Invoice API and Decoda.
Forged, unsigned, stale and malformed events are refused with a 400 and change nothing; an event told twice
is recorded once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from invoice_hub_local.fake_events import stripe_signature
from invoice_hub_local.seed import STRIPE_WEBHOOK_SECRET
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.e2e.test_channels_http import a_patient, bill, invoices_of, settled
from tests.e2e.test_rules_http import until, with_rule
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
WEBHOOK = "/webhooks/stripe"


def invoice_of(http: httpx.Client, practice: Practice, invoice_id: str) -> dict[str, Any]:
    return dict(http.get(f"/invoice/{invoice_id}", headers=practice.headers).json())


def until_invoice(
    http: httpx.Client, practice: Practice, invoice_id: str, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        invoice = invoice_of(http, practice, invoice_id)
        return invoice if check(invoice) else None

    return wait_for(found, what="the invoice to change")


def answered(stack: LocalStack, event_id: str) -> dict[str, Any]:
    """The fake Stripe's record of delivering the event, once the endpoint answered it."""

    def found() -> dict[str, Any] | None:
        events = httpx.get(f"{stack.external.url}/_events").json()["stripe"]
        return next((e for e in events if e["id"] == event_id and e["answered"] is not None), None)

    return wait_for(found, what=f"Stripe's event {event_id} to be answered")


def pay_by_link(stack: LocalStack, practice: Practice, invoice_id: str, cents: int) -> dict[str, Any]:
    given = {"tenant_id": str(practice.tenant.id), "invoice_id": invoice_id, "amount": cents}
    event = httpx.post(f"{stack.external.url}/_stripe/checkout", json=given)
    assert event.status_code == 200, event.text
    return dict(event.json())


def post_event(
    http: httpx.Client, event: dict[str, Any], secret: str = STRIPE_WEBHOOK_SECRET, **kw: Any
) -> httpx.Response:
    payload = json.dumps(event)
    signature = stripe_signature(secret, payload, kw.get("at", int(time.time())))
    headers = {"Content-Type": "application/json", "Stripe-Signature": kw.get("signature", signature)}
    return http.post(WEBHOOK, content=kw.get("body", payload), headers=headers)


def an_open_invoice(http: httpx.Client, practice: Practice, cents: int = 12000) -> dict[str, Any]:
    patient = a_patient(http, practice)
    bill(http, practice, patient, "EXPIRY", cents=cents)  # carries nothing: the invoice stays open
    [invoice] = invoices_of(http, practice, patient)
    return invoice


def test_a_payment_through_the_link_pays_the_invoice_once(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    invoice = an_open_invoice(http, practice)
    event = pay_by_link(stack, practice, invoice["id"], 5000)  # part of it: a second count would show
    assert answered(stack, event["id"])["answered"] == 200
    paid = invoice_of(http, practice, invoice["id"])
    assert (paid["status"], paid["paid_amount"], paid["remaining_amount"]) == ("PARTIALY_PAID", 50, 70)
    again = post_event(http, event)  # Stripe delivers an event at least once
    assert (again.status_code, again.json()["recorded"]) == (200, False)
    assert invoice_of(http, practice, invoice["id"])["paid_amount"] == 50
    rest = pay_by_link(stack, practice, invoice["id"], 7000)
    answered(stack, rest["id"])
    assert invoice_of(http, practice, invoice["id"])["status"] == "PAID"


def test_a_refund_reopens_the_invoice_and_is_taken_once(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    invoice = an_open_invoice(http, practice)
    payment = pay_by_link(stack, practice, invoice["id"], 12000)
    answered(stack, payment["id"])
    intent = payment["data"]["object"]["payment_intent"]
    refund = httpx.post(
        f"{stack.external.url}/_stripe/refund", json={"payment_intent": intent, "amount": 5000}
    )
    assert answered(stack, refund.json()["id"])["answered"] == 200
    reopened = invoice_of(http, practice, invoice["id"])
    assert (reopened["status"], reopened["paid_amount"]) == ("PARTIALY_PAID", 70)
    assert post_event(http, refund.json()).json()["recorded"] is False
    assert invoice_of(http, practice, invoice["id"])["paid_amount"] == 70


def test_a_card_charge_and_its_webhook_leave_one_consistent_payment(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "CHARGE_CARD", cents=4550)["id"])
    assert sent["status"] == "SENT"
    events = httpx.get(f"{stack.external.url}/_events").json()["stripe"]
    [invoice] = invoices_of(http, practice, patient)
    succeeded = [e for e in events if e["type"] == "payment_intent.succeeded"]
    assert succeeded  # the fake Stripe told of the charge too
    for event in succeeded:
        answered(stack, event["id"])
    paid = invoice_of(http, practice, invoice["id"])
    assert (paid["status"], paid["paid_amount"]) == ("PAID", 45.5)


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "whsec_someone_else"},
        {"signature": ""},
        {"signature": "t=1,v1=00"},
        {"at": int(time.time()) - 3600},  # signed an hour ago: a replay
        {"body": "{not json"},
    ],
    ids=["wrong-secret", "unsigned", "garbage-signature", "stale", "malformed"],
)
def test_an_event_not_signed_by_stripe_is_400_and_changes_nothing(
    http: httpx.Client, practice: Practice, forgery: dict[str, Any]
) -> None:
    invoice = an_open_invoice(http, practice)
    forged = {
        "id": "evt_forged",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_forged",
                "object": "checkout.session",
                "amount_total": 12000,
                "client_reference_id": f"{practice.tenant.id}_{invoice['id']}",
                "payment_intent": "pi_forged",
                "payment_status": "paid",
            }
        },
    }
    refused = post_event(http, forged, **forgery)
    assert refused.status_code == 400, refused.text
    assert "error" in refused.json()
    assert invoice_of(http, practice, invoice["id"])["paid_amount"] == 0


def test_a_payment_stops_the_rule_at_once(stack: LocalStack, http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["SMS", "EMAIL", "CALL"], days=6)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    until(http, practice, created["id"], methodsAttempted=["SMS"], method="EMAIL", status="PENDING")
    [invoice] = invoices_of(http, practice, patient)
    answered(stack, pay_by_link(stack, practice, invoice["id"], 12000)["id"])
    stopped = http.get(f"/billing/invoice/{created['id']}", headers=practice.decoda_headers).json()
    assert (stopped["status"], stopped["methodsAttempted"]) == ("SENT", ["SMS"])
