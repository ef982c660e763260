"""Sending rules end to end against the local stack: a Decoda manual invoice with a rule of several
methods escalates through them, one rule day apart (DaySeconds: 5 seconds locally), until the invoice is
paid; a method that fails for good moves on at once; pause keeps the plan and resume continues it.
What the patient received is read back from the fake providers' `/_outbox`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from invoice_hub.entry import wiring
from invoice_hub.observability import logger
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.e2e.test_channels_http import CREATE, a_patient, invoices_of, outbox, phone_of, texts_to
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
MESSAGE = "Hi {first_name}, {amount} is due: {url}"


def with_rule(
    http: httpx.Client, practice: Practice, patient: str, methods: list[str], days: int
) -> dict[str, Any]:
    body = {
        "patientId": patient,
        "message": "Your invoice",
        "invoiceMethod": methods[0],
        "rule": {"name": "until paid", "methods": methods, "delayInDays": days, "message": MESSAGE},
        "charges": [{"description": "Consultation", "totalOutstanding": 12000}],
    }
    created = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert created.status_code == 200, created.text
    return dict(created.json())


def read(http: httpx.Client, practice: Practice, send_id: str) -> dict[str, Any]:
    got = http.get(f"/billing/invoice/{send_id}", headers=practice.decoda_headers)
    assert got.status_code == 200, got.text
    return dict(got.json())


def until(http: httpx.Client, practice: Practice, send_id: str, **expected: Any) -> dict[str, Any]:
    """The send once its read shows every `expected` field."""

    def check() -> dict[str, Any] | None:
        got = read(http, practice, send_id)
        return got if all(got[k] == v for k, v in expected.items()) else None

    return wait_for(check, what=f"the send to show {expected}")


class SendOutcomes(logging.Handler):
    """The Sender's outcome of each message it handles, by delivery id, as its log lines say them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "send outcome":
            self.seen.append((str(getattr(record, "delivery_id", "")), str(getattr(record, "outcome", ""))))


@pytest.fixture
def outcomes() -> Iterator[SendOutcomes]:
    handler = SendOutcomes()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_a_rule_tries_each_method_in_order_until_the_last(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["SMS", "EMAIL", "CALL"], days=1)
    assert (created["method"], created["rule"]["methods"]) == ("SMS", ["SMS", "EMAIL", "CALL"])
    waiting = until(http, practice, created["id"], methodsAttempted=["SMS"], method="EMAIL")
    assert waiting["status"] == "PENDING"  # the rule's next send is planned
    assert datetime.fromisoformat(waiting["sendTime"]) > datetime.now(UTC)
    done = until(http, practice, created["id"], methodsAttempted=["SMS", "EMAIL", "CALL"], status="SENT")
    assert (done["method"], done["callStatus"]) == ("CALL", "completed")
    until(http, practice, created["id"], emailStatus="DELIVERED")  # SES's word on the e-mail, later
    [text] = texts_to(stack, phone_of(http, practice, patient))
    assert text["text"].startswith("Hi Zoë, $120.00 is due: https://")
    assert [m["channel"] for m in outbox(stack, created["id"])] == ["SMS", "EMAIL", "CALL"]  # in order


def test_a_payment_stops_the_rule_and_the_patient_is_not_contacted_again(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["SMS", "EMAIL", "CALL"], days=2)
    waiting = until(http, practice, created["id"], methodsAttempted=["SMS"], method="EMAIL")
    [invoice] = invoices_of(http, practice, patient)
    paid = {k: invoice[k] for k in ("patient_id", "status", "items", "tags")} | {"paid_amount": 120}
    answer = http.put(f"/invoice/{invoice['id']}", json=paid, headers=practice.headers)
    assert answer.json()["status"] == "PAID"
    stopped = read(http, practice, created["id"])  # at once: the update stopped it
    assert (stopped["status"], stopped["methodsAttempted"], stopped["method"]) == ("SENT", ["SMS"], "SMS")
    assert stopped["emailStatus"] is None  # never e-mailed
    assert stopped["sendTime"] != waiting["sendTime"]  # no next send planned: the last one's time
    assert [m["channel"] for m in outbox(stack, created["id"])] == ["SMS"]  # no e-mail, no call
    assert len(texts_to(stack, phone_of(http, practice, patient))) == 1


def test_a_method_that_fails_for_good_moves_on_at_once(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice, email=None)  # EMAIL cannot succeed
    # a month of rule days is two and a half minutes here: moving on "at once" is well within the wait
    created = with_rule(http, practice, patient, ["EMAIL", "SMS"], days=30)
    now = http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    assert now.status_code == 200, now.text
    done = until(http, practice, created["id"], methodsAttempted=["EMAIL", "SMS"], status="SENT")
    assert (done["emailStatus"], done["failedReason"]) == ("FAILED", None)


def test_pause_keeps_the_plan_and_resume_continues_it(
    stack: LocalStack, http: httpx.Client, practice: Practice, outcomes: SendOutcomes
) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["SMS", "EMAIL"], days=1)
    waiting = until(http, practice, created["id"], methodsAttempted=["SMS"], method="EMAIL")
    body = {"invoiceSetIds": [created["id"]], "actionType": "pause"}
    paused = http.put("/billing/invoice/execute-action", json=body, headers=practice.decoda_headers)
    [held] = paused.json()
    assert (held["status"], held["method"], held["sendTime"]) == ("PAUSED", "EMAIL", waiting["sendTime"])
    # the step's delayed message reaches the Sender at the planned time, and is let go
    wait_for(lambda: (created["id"], "skipped") in outcomes.seen, what="the planned send to be let go")
    assert read(http, practice, created["id"])["status"] == "PAUSED"
    assert [m["channel"] for m in outbox(stack, created["id"])] == ["SMS"]
    body["actionType"] = "resume"
    resumed = http.put("/billing/invoice/execute-action", json=body, headers=practice.decoda_headers)
    assert resumed.json()[0]["status"] == "PENDING"
    done = until(http, practice, created["id"], methodsAttempted=["SMS", "EMAIL"], status="SENT")
    assert done["resumedDate"] is not None
    assert [m["channel"] for m in outbox(stack, created["id"])] == ["SMS", "EMAIL"]


@pytest.mark.parametrize(
    ("rule", "message", "loc"),
    [
        ({"methods": ["SMS"], "message": "Pay at {url}"}, "Hi", ["body", "rule", "message"]),
        ({"methods": ["SMS"], "message": "Hi {first_name}"}, "Hi", ["body", "rule", "message"]),
        ({"methods": ["SMS", "EMAIL"]}, "Hi {first_name}", ["body"]),  # the request's message is the rule's
    ],
)
def test_a_rule_whose_message_lacks_a_placeholder_is_refused(
    http: httpx.Client, practice: Practice, rule: dict[str, Any], message: str, loc: list[str]
) -> None:
    body = {
        "patientId": "pat_1",
        "message": message,
        "invoiceMethod": "SMS",
        "rule": rule,
        "charges": [{"totalOutstanding": 100}],
    }
    refused = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == loc
    assert "{url} and {first_name}" in problem["msg"]


def test_a_hard_bounce_moves_the_rule_on_at_once(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    # SES's mailbox simulator: this address bounces (the local SES events play it as SES does)
    patient = a_patient(http, practice, email="bounce@simulator.amazonses.com")
    created = with_rule(http, practice, patient, ["EMAIL", "SMS"], days=30)
    now = http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    assert now.status_code == 200, now.text
    done = until(http, practice, created["id"], methodsAttempted=["EMAIL", "SMS"], status="SENT")
    assert done["emailStatus"] == "BOUNCED"  # SES accepted it (SENT), then the bounce came back
    [text] = texts_to(stack, phone_of(http, practice, patient))
    assert text["text"].startswith("Hi Zoë")


def test_ses_tells_an_e_mail_was_delivered(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["EMAIL"], days=30)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    until(http, practice, created["id"], status="SENT", emailStatus="DELIVERED")


def test_a_number_that_replied_stop_is_not_texted_and_the_rule_moves_on(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice, phone="+15555550199")  # SNS (moto) has numbers ending 99 opted out
    created = with_rule(http, practice, patient, ["SMS", "EMAIL"], days=30)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    until(http, practice, created["id"], methodsAttempted=["SMS", "EMAIL"], status="SENT")
    assert texts_to(stack, "+15555550199") == []
    delivery = wiring.deliveries().get(practice.tenant.id, uuid.UUID(created["id"]))
    assert delivery.channel_statuses["SMS"] == "OPTED_OUT"
    assert ("failed", "the patient's number has opted out of texts") in [
        (h.status, h.detail) for h in delivery.history
    ]


def test_the_carrier_reports_a_text_delivered(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    created = with_rule(http, practice, patient, ["SMS"], days=30)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    until(http, practice, created["id"], status="SENT")

    def delivered() -> bool:
        delivery = wiring.deliveries().get(practice.tenant.id, uuid.UUID(created["id"]))
        told = [(entry.status, entry.source) for entry in delivery.history]
        return (
            delivery.channel_statuses.get("SMS") == "DELIVERED"
            and ("delivered", "End User Messaging") in told
        )

    wait_for(delivered, what="End User Messaging's delivery receipt")


def test_a_number_the_carrier_does_not_know_moves_the_rule_on(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice, phone="+15555550188")  # the fake carrier: not a mobile number
    created = with_rule(http, practice, patient, ["SMS", "EMAIL"], days=30)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    until(http, practice, created["id"], methodsAttempted=["SMS", "EMAIL"], status="SENT")
    delivery = wiring.deliveries().get(practice.tenant.id, uuid.UUID(created["id"]))
    assert delivery.channel_statuses["SMS"] == "INVALID"
