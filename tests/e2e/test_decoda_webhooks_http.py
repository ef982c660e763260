"""Decoda's webhooks end to end: a practice creates a webhook on a receiver of its own (here on loopback,
which the local stack allows), and what happens to its invoices reaches it as Decoda's events, each signed
with `Decoda-Signature` and the Standard Webhooks headers; a receiver that fails gets the same event
again; an event can be listed, read and sent again; a URL that leads inside the network is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from standardwebhooks import Webhook as StandardWebhook

from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.e2e.test_channels_http import a_patient, invoices_of
from tests.e2e.test_decoda_http import CREATE, manual
from tests.e2e.test_rules_http import with_rule
from tests.polling import wait_for
from tests.receivers import Received, Receiver, receiving

pytestmark = pytest.mark.e2e
WEBHOOKS = "/v1/webhook"
EVENT_FIELDS = ["id", "type", "data", "createdDate", "alertId"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as state:
        yield state


def create_webhook(
    http: httpx.Client, practice: Practice, url: str, *subscriptions: str, **extra: Any
) -> httpx.Response:
    body = {"url": url, "subscriptions": list(subscriptions or ["INVOICE_SENT"]), **extra}
    return http.post(f"{WEBHOOKS}/create", json=body, headers=practice.decoda_headers)


def a_webhook(
    http: httpx.Client, practice: Practice, receiver: Receiver, *subscriptions: str
) -> dict[str, Any]:
    made = create_webhook(
        http, practice, receiver.url, *subscriptions, notificationEmail="billing@practice.example"
    )
    assert made.status_code == 200, made.text
    return dict(made.json())


def an_invoice_sent(http: httpx.Client, practice: Practice, method: str = "EMAIL") -> dict[str, Any]:
    created = http.post(CREATE, json=manual(invoiceMethod=method), headers=practice.decoda_headers)
    assert created.status_code == 200, created.text
    return dict(created.json())


def told(receiver: Receiver, event_type: str, invoice_id: str, count: int = 1) -> list[Received]:
    def found() -> list[Received] | None:
        mine = [r for r in receiver.of(event_type) if r.event["data"].get("id") == invoice_id]
        return mine if len(mine) >= count else None

    return wait_for(found, what=f"{count} {event_type} event(s) at the receiver")


def test_a_sent_invoice_reaches_the_webhook_signed_as_decoda_and_standard_webhooks_sign(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    webhook = a_webhook(http, practice, receiver, "INVOICE_SENT", "EMAIL_SENT")
    assert list(webhook) == [
        "createdDate",
        "id",
        "notificationEmail",
        "secret",
        "subscriptions",
        "updatedDate",
        "url",
    ]
    secret = webhook["secret"]
    invoice = an_invoice_sent(http, practice)

    [got] = told(receiver, "INVOICE_SENT", invoice["id"])
    event = got.event
    assert list(event) == EVENT_FIELDS
    assert (event["data"]["status"], event["data"]["methodsAttempted"]) == ("SENT", ["EMAIL"])
    assert event["data"]["smsContent"] is None  # a stored event body carries no patient data
    # Decoda-Signature: the hex HMAC-SHA256 of the exact body, keyed with the secret ...
    expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["decoda-signature"], expected)
    # ... which Decoda's documented receiver recomputes from the parsed JSON (json.dumps of request.json())
    redone = hmac.new(secret.encode(), json.dumps(json.loads(got.body)).encode(), hashlib.sha256).hexdigest()
    assert redone == expected
    # the Standard Webhooks headers verify with the standardwebhooks package
    assert StandardWebhook(secret).verify(got.body.decode(), got.headers) == event
    assert got.headers["webhook-id"] == event["id"]
    # a forged body does not verify
    forged = got.body.replace(b'"SENT"', b'"PAID"', 1)
    assert hmac.new(secret.encode(), forged, hashlib.sha256).hexdigest() != got.headers["decoda-signature"]

    # EMAIL_SENT too (subscribed); the event as the API lists it: delivered, with the receiver's 200
    email = wait_for(
        lambda: next(
            (r for r in receiver.of("EMAIL_SENT") if r.event["data"]["invoiceId"] == invoice["id"]), None
        ),
        what="EMAIL_SENT",
    )
    assert (email.event["data"]["method"], email.event["data"]["status"]) == ("EMAIL", "SENT")
    assert email.event["alertId"] != event["alertId"]
    listed = http.get(
        f"{WEBHOOKS}/{webhook['id']}/delivery-attempts/list",
        params={"event_type": "INVOICE_SENT", "is_delivered": "true"},
        headers=practice.decoda_headers,
    )
    assert listed.status_code == 200, listed.text
    [row] = [r for r in listed.json() if r["id"] == event["id"]]
    assert (row["type"], row["alertId"], row["lastDeliveryAttemptStatus"]) == (
        "INVOICE_SENT",
        event["alertId"],
        200,
    )
    assert row["deliveredDate"] is not None
    assert row["lastDeliveryAttemptError"] is None
    assert row["data"] == event["data"]


def test_a_receiver_that_fails_gets_the_same_event_again(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    webhook = a_webhook(http, practice, receiver, "INVOICE_SENT")
    receiver.answers.extend([500])
    invoice = an_invoice_sent(http, practice)

    first, second = told(receiver, "INVOICE_SENT", invoice["id"], count=2)[:2]
    assert first.event["id"] == second.event["id"]
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for attempt in (first, second):  # each attempt signed afresh, each verifying
        StandardWebhook(webhook["secret"]).verify(attempt.body.decode(), attempt.headers)

    def delivered() -> dict[str, Any] | None:
        got = http.get(f"{WEBHOOKS}/events/{first.event['id']}", headers=practice.decoda_headers).json()
        return got if got["deliveredDate"] else None

    assert wait_for(delivered, what="the event delivered")["lastDeliveryAttemptStatus"] == 200


def test_resend_delivers_the_same_event_again(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    a_webhook(http, practice, receiver, "INVOICE_SENT")
    invoice = an_invoice_sent(http, practice)
    [first] = told(receiver, "INVOICE_SENT", invoice["id"])

    receiver.answers.append(503)
    failed = http.get(
        f"{WEBHOOKS}/events/{first.event['id']}/send",
        params={"notify_failure": "false"},
        headers=practice.decoda_headers,
    )
    assert failed.status_code == 200, failed.text
    assert (failed.json()["lastDeliveryAttemptStatus"], failed.json()["lastDeliveryAttemptError"]) == (
        503,
        "503 Service Unavailable",
    )
    resent = http.get(f"{WEBHOOKS}/events/{first.event['id']}/send", headers=practice.decoda_headers)
    assert resent.status_code == 200, resent.text
    answer = resent.json()
    assert list(answer) == [
        "id", "type", "data", "createdDate", "alertId", "deliveredDate", "lastDeliveryAttemptDate",
        "lastDeliveryAttemptStatus", "lastDeliveryAttemptError",
    ]  # fmt: skip
    assert (answer["id"], answer["lastDeliveryAttemptStatus"], answer["lastDeliveryAttemptError"]) == (
        first.event["id"],
        200,
        None,
    )
    copies = told(receiver, "INVOICE_SENT", invoice["id"], count=3)
    assert {c.body for c in copies} == {first.body}


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "ftp://example.com/hook",
    ],
)
def test_a_webhook_into_the_network_is_refused(http: httpx.Client, practice: Practice, url: str) -> None:
    refused = create_webhook(http, practice, url)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "url"]
    listed = http.get(f"{WEBHOOKS}/list", headers=practice.decoda_headers).json()
    assert all(w["url"] != url for w in listed)


def test_unknown_subscriptions_are_refused(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    refused = create_webhook(http, practice, receiver.url, "INVOICE_SENT", "NOT_AN_EVENT")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][:2] == ["body", "subscriptions"]


def test_a_webhook_is_listed_read_updated_and_deleted_with_its_secret_shown_once(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    webhook = a_webhook(http, practice, receiver, "INVOICE_SENT")
    headers = practice.decoda_headers
    [listed] = [w for w in http.get(f"{WEBHOOKS}/list", headers=headers).json() if w["id"] == webhook["id"]]
    assert listed["secret"] != webhook["secret"]
    assert set(listed["secret"]) == {"*"}
    got = http.get(f"{WEBHOOKS}/get/{webhook['id']}", headers=headers).json()
    assert (got["url"], got["subscriptions"]) == (receiver.url, ["INVOICE_SENT"])

    changed = http.put(
        f"{WEBHOOKS}/update/{webhook['id']}", json={"subscriptions": ["INVOICE_FAILED"]}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["subscriptions"], changed.json()["url"]) == (["INVOICE_FAILED"], receiver.url)
    assert changed.json()["notificationEmail"] == "billing@practice.example"  # left out: kept
    assert changed.json()["updatedDate"] is not None

    assert http.delete(f"{WEBHOOKS}/delete/{webhook['id']}", headers=headers).json() is True
    assert http.get(f"{WEBHOOKS}/get/{webhook['id']}", headers=headers).status_code == 404
    assert http.delete(f"{WEBHOOKS}/delete/{webhook['id']}", headers=headers).status_code == 404


def test_another_practice_sees_nothing_of_a_webhook_or_its_events(
    http: httpx.Client, practice: Practice, other_practice: Practice, receiver: Receiver
) -> None:
    webhook = a_webhook(http, practice, receiver, "INVOICE_SENT")
    invoice = an_invoice_sent(http, practice)
    [got] = told(receiver, "INVOICE_SENT", invoice["id"])
    theirs = other_practice.decoda_headers
    for path in (
        f"{WEBHOOKS}/get/{webhook['id']}",
        f"{WEBHOOKS}/{webhook['id']}/delivery-attempts/list",
        f"{WEBHOOKS}/events/{got.event['id']}",
        f"{WEBHOOKS}/events/{got.event['id']}/send",
    ):
        assert http.get(path, headers=theirs).status_code == 404, path
    assert http.delete(f"{WEBHOOKS}/delete/{webhook['id']}", headers=theirs).status_code == 404
    assert all(w["id"] != webhook["id"] for w in http.get(f"{WEBHOOKS}/list", headers=theirs).json())
    assert len(receiver.of("INVOICE_SENT")) == 1  # the resend above was refused: nothing sent


def test_an_event_that_fails_for_good_is_mailed_to_the_notification_address(
    stack: LocalStack, http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    """The URL was checked at creation; at delivery it leads inside the network (its DNS changed, say):
    the send is refused there too, at once and for good, and the notification e-mail says so."""
    webhook = a_webhook(http, practice, receiver, "INVOICE_SENT")
    table = stack.resolved.refs["Table"]
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name="us-east-1")
    dynamodb.update_item(
        TableName=table,
        Key={"PK": {"S": f"T#{practice.tenant.id}#HOOK"}, "SK": {"S": f"HOOK#{webhook['id']}"}},
        UpdateExpression="SET #u = :u",
        ExpressionAttributeNames={"#u": "url"},
        ExpressionAttributeValues={":u": {"S": "http://10.0.0.1/decoda-events"}},
    )
    an_invoice_sent(http, practice)

    def mailed() -> dict[str, Any] | None:
        messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
        return next((m for m in messages if m["to"] == "billing@practice.example"), None)

    mail = wait_for(mailed, what="the failure notice")
    assert "INVOICE_SENT" in mail["subject"]
    assert "http://10.0.0.1/decoda-events" in mail["text"]
    assert receiver.received == []


@pytest.mark.usefixtures("own_redrive")
def test_a_failed_event_is_in_the_failed_list_and_retry_all_sends_it_to_the_mended_url(
    http: httpx.Client, new_practice: Callable[..., Practice], receiver: Receiver
) -> None:
    """A receiver that answers 500 to every attempt: after the last one the event is FAILED and listed with
    the practice's failed sends; the practice points its webhook elsewhere, and retry-all-failed sends the
    same event (same id, same body) to the new URL."""
    admin = new_practice(admin=True)
    with receiving() as broken:
        broken.answers.extend([500] * 20)
        webhook = a_webhook(http, admin, broken, "INVOICE_SENT")
        invoice = an_invoice_sent(http, admin)
        [first] = told(broken, "INVOICE_SENT", invoice["id"])[:1]
        event_id = first.event["id"]

        def failed() -> dict[str, Any] | None:
            rows = http.get("/api/v1/billing/invoices/failed", headers=admin.headers).json()
            return next((row for row in rows if row["InvoiceId"] == event_id), None)

        row = wait_for(failed, what="the event in the failed list")
        assert (row["SendingType"], row["SendingAttempts"]) == ("WEBHOOK", 5)
        assert row["Reason"] == "500 Internal Server Error"
        assert len(broken.of("INVOICE_SENT")) == 5

    moved = http.put(
        f"{WEBHOOKS}/update/{webhook['id']}", json={"url": receiver.url}, headers=admin.decoda_headers
    )
    assert moved.status_code == 200, moved.text
    retried = http.post("/api/v1/billing/invoices/retryallfailed", headers=admin.headers)
    assert retried.json()["Sucess"] is True
    [got] = told(receiver, "INVOICE_SENT", invoice["id"])
    assert (got.event["id"], got.body) == (event_id, first.body)
    StandardWebhook(webhook["secret"]).verify(got.body.decode(), got.headers)

    def delivered() -> dict[str, Any] | None:
        # the attempt is written once the receiver has answered: the receiver may have the event first
        event = http.get(f"{WEBHOOKS}/events/{event_id}", headers=admin.decoda_headers).json()
        return event if event["lastDeliveryAttemptStatus"] != 500 else None

    event = wait_for(delivered, what="the event's attempt to the mended URL")
    assert (event["lastDeliveryAttemptStatus"], event["lastDeliveryAttemptError"]) == (200, None)
    rows = http.get("/api/v1/billing/invoices/failed", headers=admin.headers).json()
    assert all(row["InvoiceId"] != event_id for row in rows)


def test_an_invoices_charge_payment_and_write_off_reach_the_webhook_as_decodas_objects(
    http: httpx.Client, practice: Practice, receiver: Receiver
) -> None:
    a_webhook(http, practice, receiver, "CHARGE_CREATED", "PAYMENT_SUCCEEDED", "ADJUSTMENT_CREATED")
    patient = a_patient(http, practice)
    send = with_rule(http, practice, patient, ["SMS"], 365)
    [invoice] = invoices_of(http, practice, patient)

    def of_invoice(event_type: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            mine = [r for r in receiver.of(event_type) if r.event["data"]["invoiceId"] == invoice["id"]]
            return mine[0].event["data"] if mine else None

        return dict(wait_for(found, what=f"{event_type} at the receiver"))

    charge = of_invoice("CHARGE_CREATED")
    assert (charge["id"], charge["patientId"], charge["status"]) == (invoice["id"], patient, "OUTSTANDING")
    assert (charge["total"], charge["totalOutstanding"]) == (12000, 12000)

    changed = {k: invoice[k] for k in ("patient_id", "status", "items", "tags")} | {"paid_amount": 40}
    assert http.put(f"/invoice/{invoice['id']}", json=changed, headers=practice.headers).status_code == 200
    payment = of_invoice("PAYMENT_SUCCEEDED")
    assert list(payment) == [
        "amount", "createdDate", "currency", "failedReason", "fee", "id", "patientId", "payinConfigId",
        "payinId", "paymentMedium", "paymentMethodId", "status", "stripePaymentIntentId", "updatedDate",
        "feeToPatient", "invoiceId",
    ]  # fmt: skip
    assert (payment["amount"], payment["status"]) == (4000, "SUCCEEDED")
    assert payment["paymentMedium"] == "PAYMENT_LINK"

    written_off = http.put(
        "/billing/invoice/execute-action",
        json={"invoiceSetIds": [send["id"]], "actionType": "write-off", "writeOffReason": "hardship"},
        headers=practice.decoda_headers,
    )
    assert written_off.status_code == 200, written_off.text
    adjustment = of_invoice("ADJUSTMENT_CREATED")
    assert (adjustment["adjustmentType"], adjustment["reason"], adjustment["amount"]) == (
        "WRITE_OFF",
        "hardship",
        8000,
    )
    assert adjustment["chargeId"] == invoice["id"]
