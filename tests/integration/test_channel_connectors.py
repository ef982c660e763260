"""Each channel's connector against its provider as a client sees it: SES v2 in the local stack's moto
server (over HTTP; `mock_aws` would reset the backends that server shares this process with), End User
Messaging SMS on the fake external server through the SDK, the voice and print-and-mail providers through
httpx's MockTransport, Stripe's errors as its SDK raises them.
What is asserted is what the patient would receive and how each answer is classified."""

from __future__ import annotations

import email
import json
import uuid
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import httpx
import pytest
import stripe
from botocore.exceptions import ClientError, EndpointConnectionError

from invoice_hub.connectors.aws_errors import refused
from invoice_hub.connectors.base import Parcel, Unconfigured
from invoice_hub.connectors.cards import CardConnector, declined
from invoice_hub.connectors.email import DELIVERY_HEADER, EmailConnector, mime
from invoice_hub.connectors.expiry import ExpiryConnector
from invoice_hub.connectors.letters import LetterConnector
from invoice_hub.connectors.sms import SmsConnector, sms_client
from invoice_hub.connectors.voice import VoiceConnector
from invoice_hub.domain.delivery import Delivery, Destination, Method
from invoice_hub.domain.patient import PostalAddress
from invoice_hub_local.stack import LocalStack

NOW = datetime(2026, 12, 5, tzinfo=UTC)
PDF = b"%PDF-1.4\n% a document\n%%EOF\n"
SENDER = "billing@practice.example"


def delivery(method: Method, amount_cents: int = 12000) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        invoice_ids=(uuid.uuid4(),),
        destination=Destination(
            name="patients", kind="patient_channel", endpoint_url="https://unused.example"
        ),
        method=method,
        amount_cents=amount_cents,
        created_at=NOW,
        updated_at=NOW,
    )


def parcel(method: Method, **fields: Any) -> Parcel:
    return Parcel(delivery(method), **fields)


@pytest.fixture
def ses(stack: LocalStack) -> Any:
    return stack.client("sesv2")


@pytest.fixture
def sms(stack: LocalStack) -> Any:
    """End User Messaging SMS's client, as the Sender builds it (SmsApiUrl: the fake external server)."""
    return sms_client(5.0, stack.external.url)


# -- EMAIL: SES v2 ---------------------------------------------------------------------------------------
def test_an_email_carries_the_text_and_the_pdf_from_the_practice_identity(ses: Any) -> None:
    ses.create_email_identity(EmailIdentity=SENDER)
    configuration_set = f"invoices-{uuid.uuid4().hex[:8]}"
    ses.create_configuration_set(ConfigurationSetName=configuration_set)
    sent = parcel(
        Method.EMAIL,
        to="zoe@patient.example",
        sender=SENDER,
        practice="Harbour Clinic",
        subject="Your invoice INV-000001",
        text="Hi Zoë, your invoice is ready.",
        document=PDF,
    )
    result = EmailConnector(ses, configuration_set).send(sent)
    assert result.ok
    assert result.external_reference
    assert (result.channel_status, result.permanent) == ("SENT", False)
    message = email.message_from_bytes(mime(sent))
    assert message["To"] == "zoe@patient.example"
    assert message[DELIVERY_HEADER] == str(sent.delivery.id)
    parts = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
    assert "Hi Zoë" in _text(parts["text/plain"])
    assert parts["application/pdf"].get_filename() == "invoice.pdf"
    assert parts["application/pdf"].get_payload(decode=True) == PDF


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def test_an_email_from_an_unverified_identity_is_refused_for_good(ses: Any) -> None:
    unverified = f"nobody-{uuid.uuid4().hex[:8]}@unverified.example"
    result = EmailConnector(ses, None).send(
        parcel(Method.EMAIL, to="a@b.example", sender=unverified, text="x")
    )
    assert (result.ok, result.permanent) == (False, True)
    assert result.reason == "SES refused: MessageRejected"


def test_an_email_without_a_practice_identity_is_refused_before_ses() -> None:
    result = EmailConnector(client=None, configuration_set=None).send(parcel(Method.EMAIL, to="a@b.example"))
    assert (result.ok, result.permanent) == (False, True)
    assert "no e-mail identity" in result.reason


# -- SMS: End User Messaging (the local stack's fake of its API, through the SDK) --------------------------
def test_a_text_is_sent_to_the_number_with_the_ids_as_context(stack: LocalStack, sms: Any) -> None:
    sent = parcel(Method.SMS, to="+15555550100", text="Hi Ann")
    result = SmsConnector(sms, "invoice-hub-local-texts", "+12065550152").send(sent)
    assert (result.ok, result.channel_status) == (True, "SENT")
    messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    [text] = [m for m in messages if m["reference"] == result.external_reference]
    assert (text["channel"], text["to"], text["text"]) == ("SMS", "+15555550100", "Hi Ann")
    assert text["delivery_id"] == str(sent.delivery.id)


def test_an_opted_out_number_is_not_texted(sms: Any) -> None:
    # the fake's opt-out list has every number ending in 99, as End User Messaging answers for one
    result = SmsConnector(sms).send(parcel(Method.SMS, to="+15555550199", text="Hi"))
    assert (result.ok, result.permanent, result.channel_status) == (False, True, "OPTED_OUT")
    assert result.reason == "the patient's number has opted out of texts"


def test_a_refused_text_says_why(sms: Any) -> None:
    result = SmsConnector(sms).send(parcel(Method.SMS, to="5555550100", text="Hi"))  # not E.164
    refusal = "End User Messaging refused: ValidationException"
    assert (result.ok, result.permanent, result.reason) == (False, True, refusal)


def test_aws_answers_are_classified_by_their_code() -> None:
    def error(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Send")

    assert refused("SNS", error("Throttling", 400)).permanent is False
    assert refused("SNS", error("InternalError", 500)).permanent is False
    assert refused("SES", error("TooManyRequestsException", 429)).permanent is False
    assert refused("SNS", error("InvalidParameter", 400)).permanent is True
    unreachable = refused("SES", EndpointConnectionError(endpoint_url="https://email.example"))
    assert (unreachable.permanent, unreachable.reason) == (False, "SES unreachable: EndpointConnectionError")


# -- CALL and MAIL: HTTP providers -----------------------------------------------------------------------
def http(answer: Any) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request) if callable(answer) else answer

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def test_a_call_says_the_message_to_the_number_with_the_delivery_as_key() -> None:
    client, seen = http(httpx.Response(201, json={"id": "call_1", "status": "no-answer"}))
    sent = parcel(Method.CALL, to="+15555550100", text="Hi Ann", credential="voice-key")
    result = VoiceConnector(client, "https://voice.example/", "/p/voice").send(sent)
    assert (result.ok, result.external_reference, result.channel_status) == (True, "call_1", "no-answer")
    [request] = seen
    assert str(request.url) == "https://voice.example/voice/v1/calls"
    ids = {"tenant_id": str(sent.delivery.tenant_id), "delivery_id": str(sent.delivery.id)}
    assert json.loads(request.content) == {"to": "+15555550100", "message": "Hi Ann", "metadata": ids}
    assert request.headers["Idempotency-Key"] == str(sent.delivery.id)
    assert request.headers["Authorization"] == "Bearer voice-key"


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (422, True), (429, False), (503, False)])
def test_a_providers_refusal_or_outage_is_classified(status: int, permanent: bool) -> None:
    client, _ = http(httpx.Response(status, json={"error": "x"}))
    result = VoiceConnector(client, "https://voice.example", None).send(
        parcel(Method.CALL, to="+1", text="x")
    )
    assert (result.ok, result.permanent) == (False, permanent)


def test_a_letter_carries_the_pdf_and_the_postal_address() -> None:
    client, seen = http(httpx.Response(200, json={"id": "ltr_1", "status": "created"}))
    address = PostalAddress(
        line1="1 Main St", line2="Apt 2", city="Springfield", state="IL", zip_code="62701"
    )
    sent = parcel(Method.MAIL, name="Ann Lee", address=address, document=PDF, practice="Harbour Clinic")
    result = LetterConnector(client, "https://mail.example", None).send(sent)
    assert (result.ok, result.external_reference) == (True, "ltr_1")
    [request] = seen
    assert request.headers["Idempotency-Key"] == str(sent.delivery.id)
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = request.content
    assert PDF in body
    for value in (b"Ann Lee", b"1 Main St", b"Apt 2", b"Springfield", b"62701", b"application/pdf"):
        assert value in body


def test_a_letter_without_a_document_is_not_posted() -> None:
    client, seen = http(httpx.Response(200, json={"id": "ltr_1"}))
    result = LetterConnector(client, "https://mail.example", None).send(parcel(Method.MAIL))
    assert (result.ok, result.permanent, seen) == (False, True, [])


# -- CHARGE_CARD: Stripe ---------------------------------------------------------------------------------
def card_error(code: str, decline_code: str | None, message: str) -> stripe.CardError:
    body = {"error": {"type": "card_error", "code": code, "decline_code": decline_code, "message": message}}
    return stripe.CardError(message, param=None, code=code, http_status=402, json_body=body)


def test_a_decline_is_permanent_unless_stripe_says_to_try_again() -> None:
    hard = declined(card_error("card_declined", "insufficient_funds", "Your card has insufficient funds."))
    assert (hard.permanent, hard.channel_status) == (True, "insufficient_funds")
    assert hard.reason == "card declined: insufficient_funds: Your card has insufficient funds."
    soft = declined(card_error("card_declined", "try_again_later", "Try again."))
    assert soft.permanent is False
    expired = declined(card_error("expired_card", None, "Your card has expired."))
    assert (expired.permanent, expired.channel_status) == (True, "expired_card")


def test_a_charge_without_a_stripe_key_is_refused() -> None:
    result = CardConnector(None, None, 5).send(parcel(Method.CHARGE_CARD, to="pm_card_visa"))
    assert (result.ok, result.permanent, result.reason) == (False, True, "no Stripe key is configured")


# -- EXPIRY and an unconfigured channel ------------------------------------------------------------------
def test_expiry_carries_nothing_and_is_done() -> None:
    result = ExpiryConnector().send(parcel(Method.EXPIRY))
    assert (result.ok, result.channel_status, result.external_reference) == (True, "EXPIRED", None)


def test_an_unconfigured_channel_fails_saying_which_setting() -> None:
    result = Unconfigured("no voice provider is configured (VoiceApiUrl)").send(parcel(Method.CALL))
    assert (result.ok, result.permanent) == (False, True)
    assert "VoiceApiUrl" in result.reason


def test_a_parcel_shows_no_patient_data_when_printed() -> None:
    sent = parcel(Method.SMS, to="+15555550100", name="Ann Lee", text="Hi Ann")
    assert "Ann" not in repr(sent)
    assert "555" not in repr(sent)
