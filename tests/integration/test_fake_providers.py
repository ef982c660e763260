"""The fake external server's channel providers behave as their real kinds do where a client can tell:
Stripe through its official SDK (success, each test-card decline, idempotent replays and their mismatch,
a bad key, outages), the voice and print-and-mail APIs (validation, replays per API key, outages), the
service's own connectors against them, and `/_outbox`: what each channel carried once, e-mails and texts
read from moto's SES v2 in this process and the fake End User Messaging, oldest first, forgotten on
`/_reset`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
import stripe
from botocore.exceptions import ClientError

from invoice_hub.connectors.base import Parcel
from invoice_hub.connectors.cards import CardConnector
from invoice_hub.connectors.email import EmailConnector
from invoice_hub.connectors.http import http_client
from invoice_hub.connectors.letters import LetterConnector
from invoice_hub.connectors.sms import SmsConnector
from invoice_hub.connectors.voice import VoiceConnector
from invoice_hub.domain.delivery import Delivery, Destination, Method
from invoice_hub.domain.patient import PostalAddress
from invoice_hub_local.aws import AwsServer
from invoice_hub_local.fake_external import FakeExternal
from invoice_hub_local.fake_providers import moto_clear, ses_outbox

PDF = b"%PDF-1.4\n%%EOF\n"
ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"  # not the local stack's region: a session's stack shares moto's backends
SENDER = "billing@practice.example"
CALLS, LETTERS = "/voice/v1/calls", "/print-mail/v1/letters"
VOICE_KEY = {"Authorization": "Bearer voice-key"}
ADDRESS = {
    "to_name": "Ann Lee",
    "to_address_line1": "1 Main St",
    "to_address_city": "Springfield",
    "to_address_state": "IL",
    "to_address_zip": "62701",
    "to_address_country": "US",
    "description": "Invoice from Harbour Clinic",
}


@pytest.fixture(scope="module")
def aws() -> Iterator[str]:
    """moto's server in this process (the local stack's kind), for SES v2."""
    server = AwsServer("127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture(scope="module")
def server(aws: str) -> Iterator[FakeExternal]:
    with FakeExternal(
        port=0,
        outbox_sources=[ses_outbox(ACCOUNT, REGION)],
        on_reset=lambda: moto_clear(ACCOUNT, REGION),
    ) as running:
        yield running


@pytest.fixture
def fake(server: FakeExternal) -> FakeExternal:
    server.reset()  # no outage, no keys, an empty outbox (moto's SES too)
    return server


def aws_client(aws: str, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        endpoint_url=aws,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def client(fake: FakeExternal, key: str = "sk_test_local", timeout: float = 10) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": fake.url},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True),
    )


def charge(
    fake: FakeExternal,
    method: str,
    key: str | None = None,
    amount: int = 4550,
    api_key: str = "sk_test_local",
    timeout: float = 10,
) -> Any:
    params: Any = {
        "amount": amount,
        "currency": "usd",
        "payment_method": method,
        "confirm": True,
        "off_session": True,
        "metadata": {"delivery_id": key or "none"},
    }
    return client(fake, api_key, timeout).v1.payment_intents.create(
        params=params, options={"idempotency_key": key or str(uuid.uuid4())}
    )


def outbox(fake: FakeExternal) -> list[dict[str, Any]]:
    return list(httpx.get(f"{fake.url}/_outbox").json()["messages"])


def received(fake: FakeExternal) -> dict[str, Any]:
    return dict(httpx.get(f"{fake.url}/_received").json())


def call(fake: FakeExternal, body: Any, key: str | None = None, **headers: str) -> httpx.Response:
    sent = {**VOICE_KEY, **({"Idempotency-Key": key} if key else {}), **headers}
    return httpx.post(f"{fake.url}{CALLS}", json=body, headers=sent)


def letter(fake: FakeExternal, key: str | None = None, pdf: bytes = PDF, **fields: str) -> httpx.Response:
    headers = {"Authorization": "Bearer mail-key", **({"Idempotency-Key": key} if key else {})}
    return httpx.post(
        f"{fake.url}{LETTERS}",
        data={**ADDRESS, **fields},
        files={"file": ("invoice.pdf", pdf, "application/pdf")},
        headers=headers,
    )


def a_parcel(method: Method, **fields: Any) -> Parcel:
    now = datetime.now(UTC)
    delivery = Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        invoice_ids=(uuid.uuid4(),),
        destination=Destination(
            name="patients", kind="patient_channel", endpoint_url="https://unused.example"
        ),
        method=method,
        amount_cents=4550,
        created_at=now,
        updated_at=now,
    )
    return Parcel(delivery, **fields)


# -- Stripe, through its SDK -------------------------------------------------------------------------
def test_a_charge_succeeds_and_is_replayed_for_its_key_not_made_twice(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    first = charge(fake, "pm_card_visa", key)
    again = charge(fake, "pm_card_visa", key)
    assert (first.object, first.status, first.amount, first.amount_received) == (
        "payment_intent",
        "succeeded",
        4550,
        4550,
    )
    assert first.id.startswith("pi_")
    assert first.latest_charge.startswith("ch_")
    assert (first.metadata["delivery_id"], first.payment_method, first.currency) == (
        key,
        "pm_card_visa",
        "usd",
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    [carried] = outbox(fake)
    assert (carried["channel"], carried["to"], carried["text"], carried["delivery_id"]) == (
        "CHARGE_CARD",
        "pm_card_visa",
        "USD 45.50",
        key,
    )
    assert carried["reference"] == first.id
    assert client(fake).v1.payment_intents.retrieve(first.id).status == "succeeded"
    counts = received(fake)
    assert (counts["sends"], counts["delivered"], counts["duplicates"]) == (2, 1, 1)


def test_the_same_key_with_other_parameters_is_stripes_idempotency_error(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    charge(fake, "pm_card_visa", key)
    with pytest.raises(stripe.IdempotencyError) as raised:
        charge(fake, "pm_card_visa", key, amount=1)
    assert raised.value.http_status == 400
    assert len(outbox(fake)) == 1


def test_the_same_parameters_in_another_order_are_the_same_request(fake: FakeExternal) -> None:
    url, headers = (
        f"{fake.url}/v1/payment_intents",
        {"Authorization": "Bearer sk_test_x", "Idempotency-Key": "k"},
    )
    first = httpx.post(url, content="amount=100&currency=usd&payment_method=pm_card_visa&confirm=true",
                       headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    again = httpx.post(url, content="confirm=true&payment_method=pm_card_visa&currency=usd&amount=100",
                       headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["id"] == first.json()["id"]
    assert first.headers["Request-Id"].startswith("req_")


@pytest.mark.parametrize(
    ("method", "code", "decline"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent"),
        ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_authenticationRequired", "authentication_required", "authentication_required"),
    ],
)
def test_stripes_test_cards_decline_as_stripe_does(
    fake: FakeExternal, method: str, code: str, decline: str
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        charge(fake, method)
    error = raised.value
    assert (error.http_status, error.code) == (402, code)
    assert error.error is not None
    assert error.error.decline_code == decline
    assert error.user_message
    assert str(error.error.charge).startswith("ch_")
    intent = error.error.payment_intent
    assert intent is not None
    assert (intent.status, intent.payment_method) == ("requires_payment_method", method)
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.decline_code == decline
    assert outbox(fake) == []


def test_a_decline_is_saved_and_replayed_for_its_key(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(stripe.CardError) as first:
        charge(fake, "pm_card_chargeDeclinedInsufficientFunds", key)
    with pytest.raises(stripe.CardError) as again:
        charge(fake, "pm_card_chargeDeclinedInsufficientFunds", key)
    assert first.value.error is not None
    assert again.value.error is not None
    declined, replayed = first.value.error.payment_intent, again.value.error.payment_intent
    assert declined is not None
    assert replayed is not None
    assert replayed.id == declined.id
    assert again.value.headers is not None
    assert again.value.headers["Idempotent-Replayed"] == "true"
    retrieved = client(fake).v1.payment_intents.retrieve(declined.id)
    assert retrieved.status == "requires_payment_method"
    assert outbox(fake) == []


def test_a_key_that_is_not_a_test_key_is_refused(fake: FakeExternal) -> None:
    with pytest.raises(stripe.AuthenticationError) as raised:
        charge(fake, "pm_card_visa", api_key="rk_live_nope")
    assert raised.value.http_status == 401
    assert "nope" not in str(raised.value)[:-4]  # the key is masked, as Stripe masks it
    assert outbox(fake) == []


def test_invalid_requests_are_stripes_invalid_request_errors_and_save_nothing(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        charge(fake, "card_123", key)
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "payment_method")
    assert charge(fake, "pm_card_visa", key).status == "succeeded"  # the key was not used up
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client(fake).v1.payment_intents.retrieve("pi_missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_an_intent_created_unconfirmed_waits_and_charges_nothing(fake: FakeExternal) -> None:
    params: Any = {"amount": 100, "currency": "usd", "payment_method": "pm_card_visa"}
    intent = client(fake).v1.payment_intents.create(params=params)
    assert (intent.status, intent.latest_charge) == ("requires_confirmation", None)
    assert outbox(fake) == []


@pytest.mark.parametrize(
    ("mode", "error", "status"),
    [
        ("fail", stripe.APIError, 503),
        ("throttle", stripe.RateLimitError, 429),
        ("reject", stripe.InvalidRequestError, 400),
        ("timeout", stripe.APIError, 504),
    ],
)
def test_an_outage_reaches_the_sdk_as_stripes_errors_and_saves_nothing(
    fake: FakeExternal, mode: str, error: type[stripe.StripeError], status: int
) -> None:
    key = str(uuid.uuid4())
    fake.control(mode, timeout_seconds=0)
    with pytest.raises(error) as raised:
        charge(fake, "pm_card_visa", key)
    assert raised.value.http_status == status
    body: Any = raised.value.json_body
    assert body["error"]["type"] in ("api_error", "invalid_request_error")
    fake.control("ok")
    assert outbox(fake) == []
    assert charge(fake, "pm_card_visa", key).status == "succeeded"  # the retry is a fresh attempt
    assert len(outbox(fake)) == 1


def test_a_held_request_times_the_sdk_out(fake: FakeExternal) -> None:
    fake.control("timeout", timeout_seconds=5)
    with pytest.raises(stripe.APIConnectionError):
        charge(fake, "pm_card_visa", timeout=0.3)


def test_the_card_connector_charges_through_the_fake_and_reads_stripes_reasons(fake: FakeExternal) -> None:
    connector = CardConnector("/unused", fake.url, 5)
    paid = a_parcel(Method.CHARGE_CARD, to="pm_card_visa", credential="sk_test_local")
    result = connector.send(paid)
    assert (result.ok, result.channel_status) == (True, "succeeded")
    [carried] = outbox(fake)
    assert (carried["delivery_id"], carried["reference"]) == (
        str(paid.delivery.id),
        result.external_reference,
    )
    again = connector.send(paid)  # a redelivered message: Stripe's replay, not a second charge
    assert again.external_reference == result.external_reference
    assert len(outbox(fake)) == 1
    poor = connector.send(
        a_parcel(Method.CHARGE_CARD, to="pm_card_chargeDeclinedInsufficientFunds", credential="sk_test_local")
    )
    assert (poor.ok, poor.permanent) == (False, True)
    assert poor.reason == "card declined: insufficient_funds: Your card has insufficient funds."
    busy = connector.send(
        a_parcel(Method.CHARGE_CARD, to="pm_card_chargeDeclinedProcessingError", credential="sk_test_local")
    )
    assert (busy.ok, busy.permanent) == (False, False)


# -- voice calls -------------------------------------------------------------------------------------
def test_a_call_is_placed_once_per_key_and_an_unanswered_number_says_so(fake: FakeExternal) -> None:
    key = str(uuid.uuid4())
    first = call(fake, {"to": "+15555550100", "message": "Hello"}, key)
    again = call(fake, {"to": "+15555550100", "message": "Hello"}, key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    body = first.json()
    assert (body["status"], body["to"], body["duration_seconds"] > 0) == ("completed", "+15555550100", True)
    assert body["id"].startswith("call_")
    assert len(body["id"]) == len("call_") + 24
    unanswered = call(fake, {"to": "+15555550199", "message": "Hello", "from": "+15555550000"})
    assert unanswered.status_code == 201  # placed, not answered
    assert (unanswered.json()["status"], unanswered.json()["from"]) == ("no-answer", "+15555550000")
    assert [(m["channel"], m["to"], m["text"], m["delivery_id"]) for m in outbox(fake)] == [
        ("CALL", "+15555550100", "Hello", key),
        ("CALL", "+15555550199", "Hello", None),
    ]
    read = httpx.get(f"{fake.url}{CALLS}/{body['id']}", headers=VOICE_KEY)
    assert (read.status_code, read.json()) == (200, body)
    assert httpx.get(f"{fake.url}{CALLS}/call_nope", headers=VOICE_KEY).status_code == 404
    assert httpx.get(f"{fake.url}{CALLS}/{body['id']}").status_code == 401
    sends = received(fake)["received"]
    assert [(s["duplicate"], s["delivered"]) for s in sends] == [(False, True), (True, False), (False, True)]
    assert sends[0]["external_id"] == body["id"]
    assert sends[0]["authorization"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"to": "555-0100", "message": "x"}, "invalid_number"),
        ({"to": "15555550100", "message": "x"}, "invalid_number"),
        ({"to": "+1555", "message": "x"}, "invalid_number"),
        ({"to": 15555550100, "message": "x"}, "invalid_number"),
        ({"message": "x"}, "invalid_number"),
        ({"to": "+15555550100", "message": "x", "from": "me"}, "invalid_number"),
        ({"to": "+15555550100"}, "invalid_message"),
        ({"to": "+15555550100", "message": " "}, "invalid_message"),
        (["not", "an", "object"], "malformed_json"),
    ],
)
def test_a_call_the_provider_cannot_place_is_refused_and_uses_up_no_key(
    fake: FakeExternal, body: Any, error: str
) -> None:
    refused = call(fake, body, "key-1")
    assert (refused.status_code, refused.json()["error"]) == (400, error)
    assert call(fake, {"to": "+15555550100", "message": "Hi"}, "key-1").status_code == 201
    assert len(outbox(fake)) == 1


def test_a_call_needs_an_api_key_and_keys_are_each_api_keys_own(fake: FakeExternal) -> None:
    body = {"to": "+15555550100", "message": "Hi"}
    assert httpx.post(f"{fake.url}{CALLS}", json=body).status_code == 401
    mine = call(fake, body, "same-key")
    theirs = call(fake, body, "same-key", Authorization="Bearer another-key")
    assert mine.json()["id"] != theirs.json()["id"]
    assert len(outbox(fake)) == 2


def test_the_voice_connector_gets_the_call_status(fake: FakeExternal) -> None:
    connector = VoiceConnector(http_client(5), fake.url, "/unused")
    answered = connector.send(a_parcel(Method.CALL, to="+15555550100", text="Hi", credential="voice-key"))
    missed = connector.send(a_parcel(Method.CALL, to="+15555550199", text="Hi", credential="voice-key"))
    assert (answered.ok, answered.channel_status) == (True, "completed")
    assert (missed.ok, missed.channel_status) == (True, "no-answer")
    bad = connector.send(a_parcel(Method.CALL, to="0100", text="Hi", credential="voice-key"))
    assert (bad.ok, bad.permanent) == (False, True)


# -- print-and-mail letters ------------------------------------------------------------------------
def test_a_letter_needs_a_pdf_and_an_address_and_is_listed_with_its_attachment(fake: FakeExternal) -> None:
    sent = letter(fake, "letter-1", to_address_line2="Apt 2")
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["id"].startswith("ltr_")
    assert len(body["id"]) == len("ltr_") + 24
    assert body["status"] == "created"
    assert body["expected_delivery_date"] == (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    not_a_pdf = letter(fake, "letter-2", pdf=b"hello")
    assert (not_a_pdf.status_code, not_a_pdf.json()["error"]) == (422, "invalid_file")
    no_line1 = letter(fake, "letter-3", to_address_line1="")
    assert no_line1.status_code == 422
    [carried] = outbox(fake)
    assert (carried["channel"], carried["to"], carried["text"], carried["delivery_id"]) == (
        "MAIL",
        "1 Main St, Apt 2, Springfield, IL 62701",
        "Invoice from Harbour Clinic",
        "letter-1",
    )
    assert carried["attachments"] == [
        {"filename": "invoice.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    assert letter(fake, "letter-2").status_code == 200  # a refused letter's key was not used up


def test_a_letter_is_posted_once_per_key(fake: FakeExternal) -> None:
    first, again = letter(fake, "letter-1"), letter(fake, "letter-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert len(outbox(fake)) == 1
    [sent, repeat] = received(fake)["received"]
    assert (sent["delivered"], repeat["duplicate"]) == (True, True)
    assert sent["body"]["file"] == {
        "filename": "invoice.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
    }
    assert sent["body"]["to_address_line1"] == "1 Main St"


def test_a_letter_abroad_names_its_country_and_needs_a_key(fake: FakeExternal) -> None:
    abroad = letter(
        fake,
        to_address_line1="10 Downing St",
        to_address_city="London",
        to_address_state="",
        to_address_zip="SW1A 2AA",
        to_address_country="GB",
    )
    assert abroad.status_code == 200
    assert outbox(fake)[0]["to"] == "10 Downing St, London, SW1A 2AA, GB"
    anonymous = httpx.post(
        f"{fake.url}{LETTERS}", data=ADDRESS, files={"file": ("invoice.pdf", PDF, "application/pdf")}
    )
    assert anonymous.status_code == 401


def test_the_letter_connector_posts_the_pdf_to_the_address(fake: FakeExternal) -> None:
    address = PostalAddress(
        line1="1 Main St", line2="Apt 2", city="Springfield", state="IL", zip_code="62701"
    )
    sent = a_parcel(Method.MAIL, name="Ann Lee", address=address, document=PDF, practice="Harbour Clinic",
                    credential="mail-key")  # fmt: skip
    result = LetterConnector(http_client(5), fake.url, "/unused").send(sent)
    assert result.ok, result.reason
    [carried] = outbox(fake)
    assert (carried["to"], carried["delivery_id"], carried["reference"]) == (
        "1 Main St, Apt 2, Springfield, IL 62701",
        str(sent.delivery.id),
        result.external_reference,
    )


# -- outages on the HTTP providers -----------------------------------------------------------------
@pytest.mark.parametrize("provider", ["call", "letter"])
@pytest.mark.parametrize(
    ("mode", "status"), [("fail", 503), ("reject", 400), ("throttle", 429), ("timeout", 504)]
)
def test_each_outage_mode_reaches_the_client_as_its_status_and_carries_nothing(
    fake: FakeExternal, provider: str, mode: str, status: int
) -> None:
    fake.control(mode, timeout_seconds=0)
    if provider == "call":
        answer = call(fake, {"to": "+15555550100", "message": "Hi"}, "key-1")
    else:
        answer = letter(fake, "key-1")
    assert answer.status_code == status
    assert answer.json()["error"] == mode
    if mode == "throttle":
        assert answer.headers["Retry-After"] == "1"
    fake.control("ok")
    assert outbox(fake) == []
    retried = (
        call(fake, {"to": "+15555550100", "message": "Hi"}, "key-1")
        if provider == "call"
        else letter(fake, "key-1")
    )
    assert retried.status_code in (200, 201)  # the outage saved nothing: the retry is a fresh attempt
    assert len(outbox(fake)) == 1


def test_a_read_meets_an_outage_but_not_a_rejection(fake: FakeExternal) -> None:
    placed = call(fake, {"to": "+15555550100", "message": "Hi"}).json()
    url = f"{fake.url}{CALLS}/{placed['id']}"
    fake.control("reject")
    assert httpx.get(url, headers=VOICE_KEY).status_code == 200
    fake.control("fail")
    assert httpx.get(url, headers=VOICE_KEY).status_code == 503
    assert received(fake)["sends"] == 1  # reads are not sends


def test_timeout_mode_holds_a_call_so_a_shorter_client_timeout_gives_up(fake: FakeExternal) -> None:
    fake.control("timeout", timeout_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{fake.url}{CALLS}", json={"to": "+15555550100", "message": "Hi"}, headers=VOICE_KEY,
                   timeout=0.2)  # fmt: skip


# -- the outbox: e-mails from moto's SES v2, texts from the fake End User Messaging ---------------------
def test_an_email_sent_through_ses_is_listed_parsed_from_its_mime(fake: FakeExternal, aws: str) -> None:
    ses = aws_client(aws, "sesv2")
    ses.create_email_identity(EmailIdentity=SENDER)
    sent = a_parcel(
        Method.EMAIL,
        to="zoe@patient.example",
        sender=SENDER,
        practice="Harbour Clinic",
        subject="Your invoice from Zoë's clinic",
        text="Hi Zoë, your invoice is ready.",
        document=PDF,
    )
    result = EmailConnector(ses, None).send(sent)
    assert result.ok, result.reason
    [message] = outbox(fake)
    assert message == {
        "channel": "EMAIL",
        "to": "zoe@patient.example",
        "subject": "Your invoice from Zoë's clinic",
        "text": "Hi Zoë, your invoice is ready.",
        "attachments": [{"filename": "invoice.pdf", "content_type": "application/pdf", "size": len(PDF)}],
        "delivery_id": str(sent.delivery.id),
        "at": message["at"],
        "reference": result.external_reference,
    }


def test_a_simple_email_is_listed_without_a_delivery_id(fake: FakeExternal, aws: str) -> None:
    ses = aws_client(aws, "sesv2")
    ses.create_email_identity(EmailIdentity=SENDER)
    ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["ann@patient.example"]},
        Content={"Simple": {"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Your invoice"}}}},
    )
    [message] = outbox(fake)
    assert (message["channel"], message["to"], message["subject"], message["text"]) == (
        "EMAIL",
        "ann@patient.example",
        "Hello",
        "Your invoice",
    )
    assert (message["attachments"], message["delivery_id"]) == ([], None)


def test_ses_sends_nothing_from_an_unverified_identity(fake: FakeExternal, aws: str) -> None:
    ses = aws_client(aws, "sesv2")
    with pytest.raises(ClientError) as raised:
        ses.send_email(
            FromEmailAddress="nobody@unverified.example",
            Destination={"ToAddresses": ["ann@patient.example"]},
            Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "x"}}}},
        )
    assert raised.value.response["Error"]["Code"] == "MessageRejected"
    assert outbox(fake) == []


def test_a_text_sent_through_end_user_messaging_is_listed(fake: FakeExternal) -> None:
    sent = a_parcel(Method.SMS, to="+15555550123", text="Hi Zoë, $45.50 is due")
    result = SmsConnector(aws_client(fake.url, "pinpoint-sms-voice-v2")).send(sent)
    assert result.ok, result.reason
    [text] = outbox(fake)
    assert (text["channel"], text["to"], text["text"], text["subject"], text["attachments"]) == (
        "SMS",
        "+15555550123",
        "Hi Zoë, $45.50 is due",
        None,
        [],
    )
    assert text["delivery_id"] == str(sent.delivery.id)  # the message's Context names it
    assert text["reference"] == result.external_reference  # the MessageId, kept by the connector


def test_the_outbox_lists_every_channel_oldest_first_and_reset_forgets_it(
    fake: FakeExternal, aws: str
) -> None:
    ses, sms = aws_client(aws, "sesv2"), aws_client(fake.url, "pinpoint-sms-voice-v2")
    ses.create_email_identity(EmailIdentity=SENDER)
    charge(fake, "pm_card_visa", "d-charge")
    EmailConnector(ses, None).send(a_parcel(Method.EMAIL, to="a@patient.example", sender=SENDER, text="E"))
    call(fake, {"to": "+15555550100", "message": "Hi"}, "d-call")
    SmsConnector(sms).send(a_parcel(Method.SMS, to="+15555550101", text="T"))
    letter(fake, "d-letter")
    messages = outbox(fake)
    assert [m["channel"] for m in messages] == ["CHARGE_CARD", "EMAIL", "CALL", "SMS", "MAIL"]
    keys = {"channel", "to", "subject", "text", "attachments", "delivery_id", "at", "reference"}
    assert all(set(m) == keys for m in messages)
    assert [m["at"] for m in messages] == sorted(m["at"] for m in messages)
    assert all(datetime.fromisoformat(m["at"]).tzinfo is not None for m in messages)

    assert httpx.post(f"{fake.url}/_reset").status_code == 200

    assert outbox(fake) == []
    charge(fake, "pm_card_visa", "d-charge", amount=1)  # the key is free again: no idempotency error
    assert len(outbox(fake)) == 1
