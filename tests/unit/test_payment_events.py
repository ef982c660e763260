"""What Stripe's events tell the service, and how a refund is taken back from the invoices a payment paid
(no network)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from invoice_hub.connectors import provider_events
from invoice_hub.connectors.stripe_events import Paid, PaymentFailed, Refunded, Unauthentic, read, verified
from invoice_hub.logic.payments import taken_back
from invoice_hub_local.fake_events import lob_signature, stripe_signature

TENANT, INVOICE, DELIVERY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SECRET = "whsec_test"


def event(kind: str, thing: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": kind, "data": {"object": thing}}


def test_a_succeeded_intent_is_a_payment_of_the_invoice_its_metadata_names() -> None:
    meta = {"tenant_id": str(TENANT), "invoice_id": str(INVOICE), "delivery_id": str(DELIVERY)}
    told = read(event("payment_intent.succeeded", {"id": "pi_1", "amount_received": 4550, "metadata": meta}))
    assert told == Paid("evt_1", "pi_1", TENANT, (INVOICE,), 4550, DELIVERY)


def test_a_paid_checkout_names_the_invoice_by_its_client_reference() -> None:
    session = {
        "id": "cs_1",
        "payment_status": "paid",
        "amount_total": 100,
        "payment_intent": "pi_2",
        "client_reference_id": f"{TENANT}_{INVOICE}",
    }
    assert read(event("checkout.session.completed", session)) == Paid(
        "evt_1", "pi_2", TENANT, (INVOICE,), 100
    )
    unpaid = {**session, "payment_status": "unpaid"}  # a delayed payment method: not yet a payment
    assert read(event("checkout.session.completed", unpaid)) is None


@pytest.mark.parametrize(
    "thing",
    [
        {"id": "pi_3", "amount_received": 100, "metadata": {}},  # not one of ours
        {"id": "pi_3", "amount_received": 100, "metadata": {"tenant_id": "x", "invoice_id": "y"}},
        {
            "id": "pi_3",
            "amount_received": "100",
            "metadata": {"tenant_id": str(TENANT), "invoice_id": str(INVOICE)},
        },
    ],
)
def test_a_payment_that_names_no_invoice_of_ours_tells_nothing(thing: dict[str, Any]) -> None:
    assert read(event("payment_intent.succeeded", thing)) is None


def test_refunds_and_declines() -> None:
    refund = read(event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 500}))
    assert refund == Refunded("evt_1", "pi_1", 500)
    intent = {
        "id": "pi_4",
        "metadata": {"tenant_id": str(TENANT), "delivery_id": str(DELIVERY)},
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"},
    }
    declined = read(event("payment_intent.payment_failed", intent))
    assert declined == PaymentFailed("evt_1", "pi_4", TENANT, DELIVERY, "insufficient_funds")
    assert read(event("customer.created", {"id": "cus_1"})) is None


def test_only_a_fresh_event_signed_with_the_secret_verifies() -> None:
    body = json.dumps(event("charge.refunded", {"id": "ch_1"}))
    now = int(time.time())
    assert verified(body, stripe_signature(SECRET, body, now), SECRET)["id"] == "evt_1"
    for signature in (
        None,
        stripe_signature("whsec_other", body, now),
        stripe_signature(SECRET, body, now - 3600),
    ):
        with pytest.raises(Unauthentic):
            verified(body, signature, SECRET)
    with pytest.raises(Unauthentic):
        verified(body + " ", stripe_signature(SECRET, body, now), SECRET)  # the body changed


def test_a_refund_takes_back_from_the_last_invoice_paid_first() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    applied = ((first, 3000), (second, 2000))
    assert taken_back(applied, 500) == {second: 500, first: 0}
    assert taken_back(applied, 2500) == {second: 2000, first: 500}
    assert taken_back(applied, 9999) == {second: 2000, first: 3000}  # never more than was paid


@pytest.mark.parametrize(
    "check",
    [
        lambda: provider_events.verified_call_event("{}", "t=" + "9" * 400 + ",v1=aa", SECRET),  # beyond time
        lambda: provider_events.verified_call_event("{}", f"t={int(time.time())},v1=é", SECRET),  # not ASCII
        lambda: provider_events.verified_letter_event("{}", "é", str(int(time.time())), SECRET),
        lambda: provider_events.verified_letter_event("{}", "00", "9" * 400, SECRET),
        lambda: verified("{}", "t=1,v1=é", SECRET),
        lambda: verified("{}", "t=" + "9" * 400 + ",v1=aa", SECRET),
    ],
    ids=[
        "voice-huge-time",
        "voice-non-ascii",
        "letter-non-ascii",
        "letter-huge-time",
        "stripe-non-ascii",
        "stripe-huge-time",
    ],
)
def test_a_signature_of_any_text_is_refused_not_a_crash(check: Any) -> None:
    with pytest.raises(Unauthentic):
        check()


def test_a_provider_event_verifies_only_with_its_secret_and_time() -> None:
    body, now = '{"id": "vev_1", "type": "call.completed"}', int(time.time())
    assert (
        provider_events.verified_call_event(body, stripe_signature(SECRET, body, now), SECRET)["id"]
        == "vev_1"
    )
    with pytest.raises(Unauthentic):
        provider_events.verified_call_event(body, stripe_signature(SECRET, body, now - 301), SECRET)
    lob = lob_signature(SECRET, body, now)
    assert provider_events.verified_letter_event(body, lob, str(now), SECRET)["type"] == "call.completed"
    with pytest.raises(Unauthentic):
        provider_events.verified_letter_event(body, lob, str(now + 1), SECRET)  # the timestamp is signed too
