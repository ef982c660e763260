"""The fake external server's channel providers behave as their real kinds do where a client can tell:
Stripe through its official SDK (success, each decline, idempotent replays and their mismatch, a bad key,
outages), the voice and print-and-mail APIs (validation, replays), and `/_outbox` lists what each carried
once, and forgets it on `/_reset`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from invoice_hub_local.fake_external import FakeExternal

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def fake() -> Iterator[FakeExternal]:
    with FakeExternal(port=0) as server:
        yield server


def client(fake: FakeExternal, key: str = "sk_test_local") -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": fake.url},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
    )


def charge(
    fake: FakeExternal, method: str, key: str | None = None, amount: int = 4550, secret: str = "sk_test_local"
) -> Any:
    params: Any = {
        "amount": amount,
        "currency": "usd",
        "payment_method": method,
        "confirm": True,
        "off_session": True,
        "metadata": {"delivery_id": key or "none"},
    }
    return client(fake, secret).v1.payment_intents.create(
        params=params, options={"idempotency_key": key or str(uuid.uuid4())}
    )


def outbox(fake: FakeExternal) -> list[dict[str, Any]]:
    return list(httpx.get(f"{fake.url}/_outbox").json()["messages"])


def test_a_charge_succeeds_and_is_replayed_for_its_key_not_made_twice(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    first = charge(fake, "pm_card_visa", key)
    again = charge(fake, "pm_card_visa", key)
    assert (first.status, first.amount_received) == ("succeeded", 4550)
    assert again.id == first.id
    [carried] = outbox(fake)
    assert (carried["channel"], carried["to"], carried["text"], carried["delivery_id"]) == (
        "CHARGE_CARD",
        "pm_card_visa",
        "USD 45.50",
        key,
    )
    assert client(fake).v1.payment_intents.retrieve(first.id).status == "succeeded"


def test_the_same_key_with_other_parameters_is_stripes_idempotency_error(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    charge(fake, "pm_card_visa", key)
    with pytest.raises(stripe.IdempotencyError):
        charge(fake, "pm_card_visa", key, amount=1)


@pytest.mark.parametrize(
    ("method", "code", "decline"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_authenticationRequired", "authentication_required", "authentication_required"),
    ],
)
def test_stripes_test_cards_decline_as_stripe_does(
    fake: FakeExternal, method: str, code: str, decline: str
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        charge(fake, method)
    assert (raised.value.http_status, raised.value.code) == (402, code)
    assert raised.value.error is not None
    assert raised.value.error.decline_code == decline
    assert raised.value.user_message
    assert outbox(fake) == []


def test_a_key_that_is_not_a_test_key_is_refused(fake: FakeExternal) -> None:
    with pytest.raises(stripe.AuthenticationError):
        charge(fake, "pm_card_visa", secret="rk_live_nope")


@pytest.mark.parametrize(
    ("mode", "error"),
    [("fail", stripe.APIError), ("throttle", stripe.RateLimitError), ("reject", stripe.InvalidRequestError)],
)
def test_an_outage_reaches_the_sdk_as_stripes_errors(fake: FakeExternal, mode: str, error: type) -> None:
    fake.control(mode)
    with pytest.raises(error):
        charge(fake, "pm_card_visa")
    fake.control("ok")
    assert outbox(fake) == []


def test_a_call_is_placed_once_per_key_and_an_unanswered_number_says_so(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    headers = {"Authorization": "Bearer k", "Idempotency-Key": key}
    url = f"{fake.url}/voice/v1/calls"
    first = httpx.post(url, json={"to": "+15555550100", "message": "Hello"}, headers=headers)
    again = httpx.post(url, json={"to": "+15555550100", "message": "Hello"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["status"] == "completed"
    unanswered = httpx.post(
        url, json={"to": "+15555550199", "message": "Hello"}, headers={"Authorization": "Bearer k"}
    )
    assert unanswered.json()["status"] == "no-answer"
    assert (
        httpx.post(
            url, json={"to": "555-0100", "message": "x"}, headers=headers | {"Idempotency-Key": "b"}
        ).status_code
        == 400
    )
    assert httpx.post(url, json={"to": "+15555550100", "message": "x"}).status_code == 401
    assert [m["to"] for m in outbox(fake)] == ["+15555550100", "+15555550199"]
    read = httpx.get(f"{url}/{first.json()['id']}", headers={"Authorization": "Bearer k"})
    assert read.json() == first.json()


def test_a_letter_needs_a_pdf_and_an_address_and_is_listed_with_its_attachment(fake: FakeExternal) -> None:
    url = f"{fake.url}/print-mail/v1/letters"
    fields = {"to_name": "Ann Lee", "to_address_line1": "1 Main St", "to_address_city": "Springfield",
              "to_address_state": "IL", "to_address_zip": "62701", "description": "Invoice"}  # fmt: skip
    headers = {"Authorization": "Bearer k", "Idempotency-Key": "letter-1"}
    sent = httpx.post(
        url, data=fields, files={"file": ("invoice.pdf", PDF, "application/pdf")}, headers=headers
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["id"].startswith("ltr_")
    not_a_pdf = httpx.post(
        url,
        data=fields,
        files={"file": ("x.pdf", b"hello", "application/pdf")},
        headers={"Authorization": "Bearer k"},
    )
    assert not_a_pdf.status_code == 422
    no_address = {k: v for k, v in fields.items() if k != "to_address_line1"}
    assert (
        httpx.post(
            url,
            data=no_address,
            files={"file": ("x.pdf", PDF, "application/pdf")},
            headers={"Authorization": "Bearer k"},
        ).status_code
        == 422
    )
    [letter] = outbox(fake)
    assert (letter["to"], letter["delivery_id"]) == ("1 Main St, Springfield, IL 62701", "letter-1")
    assert letter["attachments"] == [
        {"filename": "invoice.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]


def test_reset_forgets_the_outbox_and_the_keys(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    charge(fake, "pm_card_visa", key)
    assert httpx.post(f"{fake.url}/_reset").status_code == 200
    assert outbox(fake) == []
    charge(fake, "pm_card_visa", key, amount=1)  # the key is free again: no idempotency error
    assert len(outbox(fake)) == 1
