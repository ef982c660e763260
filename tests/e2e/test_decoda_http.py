"""Decoda's manual invoices over HTTP: TENANT + API-KEY, camelCase, amounts in cents, sent to the patient."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from invoice_hub.dal.credentials import CredentialRepository
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
CREATE = "/billing/invoice/create"
DETAILS_FIELDS = [
    "id", "status", "amount", "methodsAttempted", "method", "rule", "sendTime", "pausedDate", "resumedDate",
    "failedReason", "pdfPath", "emailStatus", "smsContent", "callStatus",
]  # fmt: skip


#: Decoda's patient record: what every channel needs to reach the patient
PATIENT = {
    "firstName": "Ann",
    "lastName": "Lee",
    "email": "ann.lee@patient.example",
    "phoneNumber": "(555) 555-0142",
    "address": "1 Main St",
    "city": "Springfield",
    "state": "IL",
    "zipCode": "62701",
}


def manual(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patientId": f"pat_{uuid.uuid4().hex[:8]}",
        "message": "Your invoice from the practice",
        "invoiceMethod": "EMAIL",
        "charges": [{"description": "Consultation", "totalOutstanding": 12000, "patient": PATIENT}],
    }
    body.update(overrides)
    return body


def test_create_with_charges_sends_to_the_patient(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    response = http.post(CREATE, json=manual(), headers=practice.decoda_headers)
    assert response.status_code == 200, response.text
    details = response.json()
    assert list(details) == DETAILS_FIELDS
    assert (details["status"], details["amount"], details["method"]) == ("PENDING", 12000, "EMAIL")

    def sent() -> dict[str, Any] | None:
        got = http.get(f"/billing/invoice/{details['id']}", headers=practice.decoda_headers).json()
        return got if got["status"] == "SENT" else None

    done = wait_for(sent, what="the patient send")
    assert done["methodsAttempted"] == ["EMAIL"]
    assert done["emailStatus"] == "SENT"  # SES took it
    messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    [mail] = [m for m in messages if m["delivery_id"] == details["id"]]
    assert (mail["channel"], mail["to"], mail["text"]) == (
        "EMAIL",
        "ann.lee@patient.example",
        "Your invoice from the practice",
    )


def test_without_charges_the_patients_outstanding_balance_is_billed(
    http: httpx.Client, practice: Practice
) -> None:
    patient = str(uuid.uuid4())
    for price in (100, 50):
        body = invoice_body(
            patient_id=patient, status="ISSUED", items=[{"description": "Visit", "unit_price": price}]
        )
        assert http.post("/invoice/", json=body, headers=practice.headers).status_code == 201
    response = http.post(
        CREATE,
        json=manual(patientId=patient, charges=None, invoiceMethod="SMS"),
        headers=practice.decoda_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == 15000
    assert response.json()["smsContent"] == "Your invoice from the practice"  # no placeholder to fill
    nothing_due = http.post(CREATE, json=manual(charges=None), headers=practice.decoda_headers)
    assert nothing_due.status_code == 422
    assert nothing_due.json()["detail"][0]["loc"] == ["body", "charges"]


def test_a_rule_schedules_the_send(http: httpx.Client, practice: Practice) -> None:
    response = http.post(
        CREATE, json=manual(rule={"name": "a week later", "delayInDays": 7}), headers=practice.decoda_headers
    )
    details = response.json()
    assert details["rule"]["delayInDays"] == 7
    assert details["sendTime"] is not None
    assert (
        http.get(f"/billing/invoice/{details['id']}", headers=practice.decoda_headers).json()["status"]
        == "PENDING"
    )


def test_idempotency_key_replays_the_first_answer(http: httpx.Client, practice: Practice) -> None:
    headers = {**practice.decoda_headers, "Idempotency-Key": str(uuid.uuid4())}
    body = manual()
    first = http.post(CREATE, json=body, headers=headers)
    again = http.post(CREATE, json=body, headers=headers)
    assert again.text == first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert http.post(CREATE, json=manual(), headers=headers).status_code == 422


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"TENANT": "demo-practice"},
        {"API-KEY": "demo-api-key"},
        {"TENANT": "other-practice", "API-KEY": "demo-api-key"},
        {"TENANT": "demo-practice", "API-KEY": "wrong"},
    ],
)
def test_missing_or_wrong_keys_are_401(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.post(CREATE, json=manual(), headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_demo_key_from_the_readme_works(http: httpx.Client) -> None:
    response = http.post(
        CREATE, json=manual(), headers={"TENANT": "demo-practice", "API-KEY": "demo-api-key"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"invoiceMethod": "FAX"}, ["body", "invoiceMethod"]),
        ({"message": ""}, ["body", "message"]),
        ({"patientId": None}, ["body", "patientId"]),
        ({"charges": [{"totalOutstanding": -1}]}, ["body", "charges", 0, "totalOutstanding"]),
    ],
)
def test_bad_bodies_are_fastapi_style_422(
    http: httpx.Client, practice: Practice, change: dict[str, Any], loc: list[Any]
) -> None:
    response = http.post(CREATE, json=manual(**change), headers=practice.decoda_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_another_practices_invoice_is_not_found(
    http: httpx.Client, practice: Practice, other_practice: Practice
) -> None:
    created = http.post(CREATE, json=manual(), headers=practice.decoda_headers).json()
    response = http.get(f"/billing/invoice/{created['id']}", headers=other_practice.decoda_headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invoice not found"}


# -- found by the fuzzing suite (tests/fuzz) -----------------------------------------------------------
def test_a_body_that_is_not_json_is_415_naming_json(http: httpx.Client, practice: Practice) -> None:
    headers = {**practice.decoda_headers, "Content-Type": "text/plain"}
    response = http.post(CREATE, content=json.dumps(manual()), headers=headers)
    # it was a 500, then a 422 about "a valid dictionary" that did not say JSON was expected
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"rule": {"delayInDays": True}}, ["body", "rule", "delayInDays"]),
        ({"rule": {"delayInDays": "3"}}, ["body", "rule", "delayInDays"]),
        ({"charges": [{"totalOutstanding": True}]}, ["body", "charges", 0, "totalOutstanding"]),
    ],
)
def test_a_number_is_only_a_json_number(
    http: httpx.Client, practice: Practice, change: dict[str, Any], loc: list[Any]
) -> None:
    # given `true` or text where the document says integer (lax mode read them as 1 and 3)
    response = http.post(CREATE, json=manual(**change), headers=practice.decoda_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_a_throttled_key_check_is_503_with_retry_after(
    http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a store that keeps throttling the API-KEY lookup (the Lambda raised: API Gateway's 502)
    def throttled(*_: Any) -> None:
        raise ServiceBusy()

    monkeypatch.setattr(CredentialRepository, "find", throttled)
    response = http.get(f"/billing/invoice/{uuid.uuid4()}", headers=practice.decoda_headers)
    # then the client is asked to come back, in Decoda's error shape
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert list(response.json()) == ["detail"]
