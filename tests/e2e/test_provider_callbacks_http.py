"""The voice and print-and-mail providers' status callbacks end to end: the fake providers sign their
events with the endpoint's secret and POST them to `/webhooks/voice` and `/webhooks/print-mail`, as the
real ones do; what they change is read back through Decoda. Forged and stale events are refused with a
400 and change nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from invoice_hub.entry import wiring
from invoice_hub_local.fake_events import lob_headers, voice_headers
from invoice_hub_local.seed import PRINT_MAIL_WEBHOOK_SECRET, VOICE_WEBHOOK_SECRET
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.e2e.test_channels_http import a_patient, bill, phone_of, settled, texts_to
from tests.e2e.test_rules_http import until, with_rule
from tests.polling import wait_for

pytestmark = pytest.mark.e2e


def history_of(practice: Practice, send_id: str) -> list[tuple[str, str | None]]:
    """(status, source) of each entry of the send's history, as stored."""
    delivery = wiring.deliveries().get(practice.tenant.id, uuid.UUID(send_id))
    return [(entry.status, entry.source) for entry in delivery.history]


def test_the_post_reports_a_letters_progress(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "MAIL")["id"])
    assert sent["status"] == "SENT", sent["failedReason"]
    told = wait_for(
        lambda: (h := history_of(practice, sent["id"])) and ("delivered", "print-mail") in h and h,
        what="the letter's delivery to be reported",
    )
    reported = [status for status, source in told if source == "print-mail"]
    assert reported == ["mailed", "in_transit", "delivered"]


def test_a_letter_returned_to_sender_moves_the_rule_on(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    address = {"line1": "1 Nowhere Rd", "city": "Springfield", "state": "IL", "zip_code": "00000"}
    patient = a_patient(http, practice, address=address)  # the fake post returns letters to ZIP 00000
    created = with_rule(http, practice, patient, ["MAIL", "SMS"], days=30)
    http.put(f"/billing/invoice/{created['id']}/send-now", headers=practice.decoda_headers)
    done = until(http, practice, created["id"], methodsAttempted=["MAIL", "SMS"], status="SENT")
    assert ("returned_to_sender", "print-mail") in history_of(practice, created["id"])
    assert len(texts_to(stack, phone_of(http, practice, patient))) == 1
    assert done["method"] == "SMS"


def test_a_call_status_callback_is_in_the_send_history(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice, phone="+15555550199")  # the fake voice provider: nobody answers
    sent = settled(http, practice, bill(http, practice, patient, "CALL")["id"])
    assert sent["callStatus"] == "no-answer"
    wait_for(lambda: ("call_not_answered", "voice") in history_of(practice, sent["id"]), what="the callback")


def signed_call_event(practice: Practice, send_id: str, **overrides: Any) -> tuple[str, dict[str, str]]:
    ids = {"tenant_id": str(practice.tenant.id), "delivery_id": send_id}
    event = {
        "id": f"vev_{uuid.uuid4().hex[:24]}",
        "type": "call.failed",
        "created": int(time.time()),
        "data": {
            "call": {
                "id": "call_1",
                "metadata": ids,
            }
        },
    }
    body = json.dumps(event)
    headers = {
        "Content-Type": "application/json",
        **voice_headers(VOICE_WEBHOOK_SECRET, body, int(time.time())),
    }
    headers.update(overrides)
    return body, headers


def test_a_call_event_told_twice_is_applied_once(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "CALL")["id"])
    # the provider's own report of the call comes first; then, say, the line is found dead
    wait_for(lambda: ("call_completed", "voice") in history_of(practice, sent["id"]), what="the callback")
    body, headers = signed_call_event(practice, sent["id"])
    first = http.post("/webhooks/voice", content=body, headers=headers)
    again = http.post("/webhooks/voice", content=body, headers=headers)
    assert (first.status_code, first.json()["recorded"]) == (200, True)
    assert (again.status_code, again.json()["recorded"]) == (200, False)
    assert history_of(practice, sent["id"]).count(("call_failed", "voice")) == 1
    failed = http.get(f"/billing/invoice/{sent['id']}", headers=practice.decoda_headers).json()
    assert (failed["status"], failed["callStatus"]) == ("FAILED", "failed")  # its last method failed for good


@pytest.mark.parametrize(
    "forgery",
    [
        {"Voice-Signature": "t=1,v1=00"},
        {"Voice-Signature": ""},
        {"Voice-Signature": voice_headers("another-secret", "{}", int(time.time()))["Voice-Signature"]},
    ],
    ids=["stale-garbage", "unsigned", "wrong-secret"],
)
def test_a_forged_call_event_is_400_and_changes_nothing(
    http: httpx.Client, practice: Practice, forgery: dict[str, str]
) -> None:
    patient = a_patient(http, practice)
    sent = settled(http, practice, bill(http, practice, patient, "CALL")["id"])
    body, headers = signed_call_event(practice, sent["id"], **forgery)
    refused = http.post("/webhooks/voice", content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert ("call_failed", "voice") not in history_of(practice, sent["id"])


def test_a_letter_event_signed_with_another_secret_is_400(http: httpx.Client, practice: Practice) -> None:
    event = {"id": "evt_x", "event_type": {"id": "letter.returned_to_sender"}, "body": {"metadata": {}}}
    body = json.dumps(event)
    stale = lob_headers(PRINT_MAIL_WEBHOOK_SECRET, body, int(time.time()) - 3600)
    wrong = lob_headers("another-secret", body, int(time.time()))
    for headers in (stale, wrong, {}):
        refused = http.post(
            "/webhooks/print-mail", content=body, headers={"Content-Type": "application/json", **headers}
        )
        assert refused.status_code == 400, refused.text
