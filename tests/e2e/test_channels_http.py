"""Each channel end to end against the local stack: a Decoda manual invoice for a patient whose contact
is kept, sent through the service that carries it (SES and SNS in moto; the voice, print-and-mail and
Stripe providers on the fake external server), and what the patient received, read back from the fake
server's `/_outbox` as a person or a black-box test would."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from invoice_hub.dal import documents
from invoice_hub_local import lambda_invoke
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
CREATE = "/billing/invoice/create"
CONTACT = {
    "first_name": "Zoë",
    "last_name": "Lee",
    "email": "zoe.lee@patient.example",
    "phone": "+15555550123",
    "address": {
        "line1": "1 Main St",
        "line2": "Apt 2",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62701",
    },
    "card": "pm_card_visa",
}


@pytest.fixture
def admin(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


def a_phone() -> str:
    """A number of this test's own (texts are found by number: SNS keeps no id of ours with them); never
    one moto's SNS takes as opted out (ending in 99)."""
    return f"+1555{uuid.uuid4().int % 10**6:06d}1"


def a_patient(http: httpx.Client, practice: Practice, **contact: Any) -> str:
    patient = str(uuid.uuid4())
    given = {**CONTACT, "phone": a_phone(), **contact}
    kept = http.put(f"/patient/{patient}/contact", json=given, headers=practice.headers)
    assert kept.status_code == 200, kept.text
    return patient


def bill(
    http: httpx.Client,
    practice: Practice,
    patient: str,
    method: str,
    message: str = "Your invoice",
    cents: int = 12000,
) -> dict[str, Any]:
    body = {
        "patientId": patient,
        "message": message,
        "invoiceMethod": method,
        "charges": [{"description": "Consultation", "totalOutstanding": cents, "externalId": "99213"}],
    }
    created = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert created.status_code == 200, created.text
    return dict(created.json())


def settled(http: httpx.Client, practice: Practice, send_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        got = http.get(f"/billing/invoice/{send_id}", headers=practice.decoda_headers).json()
        return got if got["status"] in ("SENT", "FAILED") else None

    return wait_for(done, what=f"the send {send_id} to settle")


def outbox(stack: LocalStack, send_id: str) -> list[dict[str, Any]]:
    messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    return [m for m in messages if m["delivery_id"] == send_id]


def texts_to(stack: LocalStack, phone: str) -> list[dict[str, Any]]:
    messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    return [m for m in messages if m["channel"] == "SMS" and m["to"] == phone]


def phone_of(http: httpx.Client, practice: Practice, patient: str) -> str:
    return str(http.get(f"/patient/{patient}/contact", headers=practice.headers).json()["phone"])


def pdf_text(content: bytes) -> str:
    """The document's text, its runs of white space (the layout's line breaks) as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_an_emailed_invoice_reaches_the_patient_with_its_pdf(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    sent = settled(
        http, practice, bill(http, practice, patient, "EMAIL", "Hi {first_name}, pay at {url}")["id"]
    )
    assert (sent["status"], sent["emailStatus"]) == ("SENT", "SENT")
    [message] = outbox(stack, sent["id"])
    assert (message["channel"], message["to"]) == ("EMAIL", "zoe.lee@patient.example")
    assert message["text"].startswith("Hi Zoë, pay at https://")
    [attachment] = message["attachments"]
    assert (attachment["filename"], attachment["content_type"]) == ("invoice.pdf", "application/pdf")
    assert attachment["size"] > 1000


def test_a_texted_invoice_carries_the_first_name_and_the_link_and_sms_content_is_it(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    created = bill(http, practice, patient, "SMS", "Hi {first_name}, {amount} is due: {url}")
    sent = settled(http, practice, created["id"])
    assert sent["status"] == "SENT"
    [message] = texts_to(stack, phone_of(http, practice, patient))
    assert message["text"].startswith("Hi Zoë, $120.00 is due: https://")
    assert sent["smsContent"] == message["text"] == created["smsContent"]


def test_a_letter_carries_the_pdf_to_the_postal_address(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "MAIL")["id"])
    assert sent["status"] == "SENT", sent["failedReason"]
    [letter] = outbox(stack, sent["id"])
    assert (letter["channel"], letter["to"]) == ("MAIL", "1 Main St, Apt 2, Springfield, IL 62701")
    [attachment] = letter["attachments"]
    assert attachment["content_type"] == "application/pdf"


def test_a_call_says_the_message_and_call_status_is_the_providers(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "CALL", "Hello {first_name}")["id"])
    assert (sent["status"], sent["callStatus"]) == ("SENT", "completed")
    [call] = outbox(stack, sent["id"])
    assert (call["channel"], call["to"], call["text"]) == (
        "CALL",
        phone_of(http, practice, patient),
        "Hello Zoë",
    )


def invoices_of(http: httpx.Client, practice: Practice, patient: str) -> list[dict[str, Any]]:
    listed = http.get("/invoice/", params={"patient_id": patient}, headers=practice.headers)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["data"])


def test_a_card_charge_pays_the_invoice(stack: LocalStack, http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "CHARGE_CARD", cents=4550)["id"])
    assert sent["status"] == "SENT", sent["failedReason"]
    [invoice] = invoices_of(http, practice, patient)
    assert (invoice["status"], invoice["paid_amount"], invoice["remaining_amount"]) == (
        "PAID",
        45.5,
        0,
    )
    [charge] = outbox(stack, sent["id"])
    assert (charge["channel"], charge["to"]) == ("CHARGE_CARD", "pm_card_visa")


def test_a_declined_card_fails_with_stripes_reason_and_the_invoice_stays_unpaid(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice, card="pm_card_chargeDeclinedInsufficientFunds")
    sent = settled(http, practice, bill(http, practice, patient, "CHARGE_CARD")["id"])
    assert sent["status"] == "FAILED"
    assert sent["failedReason"].startswith("card declined: insufficient_funds: ")
    [invoice] = invoices_of(http, practice, patient)
    assert (invoice["status"], invoice["paid_amount"]) == ("ISSUED", 0)
    assert outbox(stack, sent["id"]) == []


@pytest.mark.parametrize(
    ("method", "removed", "reason"),
    [
        ("EMAIL", {"email": None}, "no e-mail address for the patient (EMAIL)"),
        ("SMS", {"phone": None}, "no phone number for the patient (SMS)"),
        ("MAIL", {"address": None}, "no postal address for the patient (MAIL)"),
        ("CHARGE_CARD", {"card": None}, "no card on file for the patient (CHARGE_CARD)"),
    ],
)
def test_a_send_whose_channel_lacks_what_it_needs_fails_at_once_saying_what(
    http: httpx.Client, practice: Practice, method: str, removed: dict[str, None], reason: str
) -> None:
    contact = {k: v for k, v in CONTACT.items() if k not in removed}
    patient = str(uuid.uuid4())
    assert http.put(f"/patient/{patient}/contact", json=contact, headers=practice.headers).status_code == 200
    sent = settled(http, practice, bill(http, practice, patient, method)["id"])
    assert (sent["status"], sent["failedReason"]) == ("FAILED", reason)


def test_the_pdf_holds_every_field_by_pdf_path_and_by_the_invoice_api(
    http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    created = bill(http, practice, patient, "EMAIL", cents=12345)
    by_path = httpx.get(created["pdfPath"])
    assert by_path.status_code == 200
    assert by_path.content.startswith(b"%PDF-")
    [invoice] = invoices_of(http, practice, patient)
    redirect = http.get(f"/invoice/{invoice['id']}/pdf", headers=practice.headers)
    assert redirect.status_code == 302
    document = httpx.get(redirect.headers["Location"])
    assert document.status_code == 200
    text = pdf_text(document.content)
    for field in (practice.tenant.name, "Zoë Lee", invoice["reg_number"], "Consultation", "99213", "123.45"):
        assert field in text, field
    assert f"/{invoice['id']}" in text  # the payment link


class Renders:
    """Every Invoke of the stack's functions passes here: the render function's calls are kept (the document's
    number), and fail (as on a timeout) while `failing` is set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, failing: bool = True) -> None:
        self.failing = failing
        self.numbers: list[str] = []
        self._run = lambda_invoke.invoke
        monkeypatch.setattr(lambda_invoke, "invoke", self)

    def __call__(self, spec: Any, event: dict[str, Any]) -> Any:
        if spec.logical_id == "RenderFunction":
            self.numbers.append(event.get("reg_number", ""))
            if self.failing:
                raise TimeoutError("Task timed out after 10.00 seconds")
        return self._run(spec, event)


def test_the_document_is_rendered_by_the_render_function_once_per_version(
    http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = Renders(monkeypatch, failing=False)
    patient = a_patient(http, practice)
    created = bill(http, practice, patient, "EMAIL", cents=4200)
    [invoice] = invoices_of(http, practice, patient)
    redirect = http.get(f"/invoice/{invoice['id']}/pdf", headers=practice.headers)
    assert redirect.status_code == 302
    by_path, by_redirect = httpx.get(created["pdfPath"]), httpx.get(redirect.headers["Location"])
    assert by_path.content.startswith(b"%PDF-")
    assert by_redirect.content == by_path.content
    # the Decoda answer had it rendered; the Invoice API's redirect found it stored
    assert renders.numbers.count(invoice["reg_number"]) == 1


def test_a_create_stores_its_new_invoices_document_without_looking_for_it(
    http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a new invoice (a new id) can have no stored document: Decoda's create renders and stores it at once,
    # where a read of an existing invoice's pdfPath looks for the stored one first (S3's HeadObject)
    looked_up: list[str] = []
    exists = documents.DocumentStore.exists

    def recorded(store: documents.DocumentStore, key: str) -> bool:
        looked_up.append(key)
        return exists(store, key)

    monkeypatch.setattr(documents.DocumentStore, "exists", recorded)
    patient = a_patient(http, practice)
    created = bill(http, practice, patient, "SMS")  # a text: the Sender reads no document
    [invoice] = invoices_of(http, practice, patient)
    after_create = [key for key in looked_up if invoice["id"] in key]
    read = http.get(f"/billing/invoice/{created['id']}", headers=practice.decoda_headers)
    assert read.status_code == 200
    assert httpx.get(created["pdfPath"]).content.startswith(b"%PDF-")
    assert httpx.get(read.json()["pdfPath"]).content == httpx.get(created["pdfPath"]).content
    # the create looked nothing up; the read looked once, and found the create's document stored
    assert after_create == []
    assert len([key for key in looked_up if invoice["id"] in key]) == 1


def test_a_create_whose_document_is_not_rendered_is_503_and_can_be_sent_again(
    http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = Renders(monkeypatch)
    patient = a_patient(http, practice)
    body = {
        "patientId": patient,
        "message": "Your invoice",
        "invoiceMethod": "EMAIL",
        "charges": [{"description": "Consultation", "totalOutstanding": 5000}],
    }
    refused = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"]
    assert renders.numbers  # it was asked for
    assert invoices_of(http, practice, patient) == []  # nothing was written
    renders.failing = False
    created = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert created.status_code == 200, created.text
    assert httpx.get(created.json()["pdfPath"]).content.startswith(b"%PDF-")


def test_a_send_whose_document_is_not_rendered_is_tried_again_and_sent(
    stack: LocalStack, http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = a_patient(http, practice)
    with stack.sends_paused():
        send_id = bill(http, practice, patient, "EMAIL")["id"]  # its document rendered for "Zoë Lee"
        renamed = {**CONTACT, "phone": phone_of(http, practice, patient), "last_name": "Lee-Ng"}
        assert (
            http.put(f"/patient/{patient}/contact", json=renamed, headers=practice.headers).status_code == 200
        )
        renders = Renders(monkeypatch)  # the Sender's document (the new name) fails to render
        [invoice] = invoices_of(http, practice, patient)
    wait_for(lambda: invoice["reg_number"] in renders.numbers, what="the Sender to ask for the document")
    # the send's own answer carries the document too: while it cannot be rendered, a busy service
    assert http.get(f"/billing/invoice/{send_id}", headers=practice.decoda_headers).status_code == 503
    renders.failing = False
    sent = settled(http, practice, send_id)
    assert sent["status"] == "SENT", sent
    [email] = outbox(stack, send_id)
    [attachment] = email["attachments"]
    assert attachment["content_type"] == "application/pdf"
    assert renders.numbers.count(invoice["reg_number"]) >= 2  # failed, then rendered


def test_another_practices_invoice_pdf_is_404(
    http: httpx.Client, practice: Practice, other_practice: Practice
) -> None:
    patient = a_patient(http, practice)
    bill(http, practice, patient, "EMAIL")
    [invoice] = invoices_of(http, practice, patient)
    assert http.get(f"/invoice/{invoice['id']}/pdf", headers=other_practice.headers).status_code == 404


def test_expiry_carries_nothing_to_the_patient_and_is_done(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "EXPIRY")["id"])
    assert (sent["status"], sent["method"], sent["failedReason"]) == ("SENT", "EXPIRY", None)
    assert outbox(stack, sent["id"]) == []
    assert texts_to(stack, phone_of(http, practice, patient)) == []


def test_the_document_is_rendered_again_when_the_invoice_changes(
    http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    bill(http, practice, patient, "EMAIL", cents=10000)
    [invoice] = invoices_of(http, practice, patient)

    def document() -> str:
        redirect = http.get(f"/invoice/{invoice['id']}/pdf", headers=practice.headers)
        assert redirect.status_code == 302, redirect.text
        return pdf_text(httpx.get(redirect.headers["Location"]).content)

    assert "Paid $0.00" in document()
    changed = {k: invoice[k] for k in ("patient_id", "status", "items", "tags")} | {"paid_amount": 40}
    updated = http.put(f"/invoice/{invoice['id']}", json=changed, headers=practice.headers)
    assert updated.status_code == 200, updated.text
    text = document()
    assert "Paid $40.00" in text
    assert "Remaining $60.00" in text


@pytest.mark.usefixtures("own_redrive")
def test_a_providers_outage_ends_in_the_failed_list_and_retry_all_reaches_the_patient_once(
    stack: LocalStack, http: httpx.Client, admin: Practice, outage: Any
) -> None:
    patient = a_patient(http, admin)
    outage("fail")  # the voice provider answers 503 to every call
    send_id = bill(http, admin, patient, "CALL", "Hello {first_name}")["id"]
    [invoice] = invoices_of(http, admin, patient)

    def failed() -> list[dict[str, Any]]:
        rows = http.get("/api/v1/billing/invoices/failed", headers=admin.headers).json()
        return [row for row in rows if row["InvoiceId"] == invoice["id"]]

    [row] = wait_for(failed, what="the call to fail after every receive")
    assert (row["SendingType"], row["SendingAttempts"]) == ("CALL", 5)
    assert row["Reason"].startswith("unavailable: 503")
    assert outbox(stack, send_id) == []
    outage("ok")
    assert (
        http.post("/api/v1/billing/invoices/retryallfailed", headers=admin.headers).json()["Sucess"] is True
    )
    assert settled(http, admin, send_id)["status"] == "SENT"
    [call] = outbox(stack, send_id)
    assert call["text"] == "Hello Zoë"
