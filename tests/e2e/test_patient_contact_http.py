"""A patient's contact over HTTP: kept from the Invoice API or Decoda's charges, read, erased; the billing
records stay."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from invoice_hub.logic.patient_bills import patient_uuid
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body

pytestmark = pytest.mark.e2e

CONTACT = {
    "first_name": "Zoë",
    "last_name": "Müller-Łukasiewicz",
    "email": "zoe@example.org",
    "phone": "+15550100300",
    "address": {
        "line1": "1 Main St",
        "line2": "Apt 2",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62701",
    },
    "date_of_birth": "1980-02-29",
}


def url(patient: str) -> str:
    return f"/patient/{patient}/contact"


def test_a_contact_is_kept_read_merged_and_erased(http: httpx.Client, practice: Practice) -> None:
    patient = str(uuid.uuid4())
    kept = http.put(url(patient), json=CONTACT, headers=practice.headers)
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert body["phone"] == "+15550100300"  # E.164
    assert (body["first_name"], body["last_name"], body["email"]) == (
        "Zoë",
        "Müller-Łukasiewicz",
        "zoe@example.org",
    )
    assert body["address"] == {**CONTACT["address"], "country": None}
    assert body["date_of_birth"] == "1980-02-29"
    assert http.get(url(patient), headers=practice.headers).json() == body

    # a field given replaces, a field left out stays
    merged = http.put(url(patient), json={"email": "zoe@new.example.org"}, headers=practice.headers).json()
    assert (merged["email"], merged["first_name"], merged["phone"]) == (
        "zoe@new.example.org",
        "Zoë",
        "+15550100300",
    )

    invoice = http.post("/invoice/", json=invoice_body(patient_id=patient), headers=practice.headers).json()
    assert http.delete(url(patient), headers=practice.headers).status_code == 204
    assert http.get(url(patient), headers=practice.headers).status_code == 404
    assert http.delete(url(patient), headers=practice.headers).status_code == 404
    # the billing records stay, by the patient's id
    again = http.get(f"/invoice/{invoice['id']}", headers=practice.headers)
    assert (again.status_code, again.json()["patient_id"]) == (200, patient)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-address"),
        ("phone", "12"),
        ("phone", "+0123456789"),
        ("phone", "(555) 010-0300"),
        ("first_name", "   "),
        ("date_of_birth", "1700000000"),
        ("card", "tok_visa"),
        ("address", {"city": "Springfield"}),
    ],
)
def test_a_contact_field_that_is_not_one_is_422_naming_it(
    http: httpx.Client, practice: Practice, field: str, value: Any
) -> None:
    response = http.put(url(str(uuid.uuid4())), json={field: value}, headers=practice.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


def test_decodas_charge_patient_is_kept_as_the_contact(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    patient_id = f"pat_{uuid.uuid4().hex[:8]}"
    patient = {
        "id": patient_id,
        "firstName": "José",
        "lastName": "Núñez",
        "email": "jose@example.org",
        "phoneNumber": "555-010-0400",
        "address": "2 Elm St",
        "addressLineTwo": "",
        "city": "Shelbyville",
        "state": "IL",
        "zipCode": "62565",
        "country": "US",
        "dateOfBirth": "1975-06-01",
        "patientMedications": ["kept by no one"],
        "meta": {"anything": True},
    }
    body = {
        "patientId": patient_id,
        "message": "Your invoice",
        "invoiceMethod": "SMS",
        "charges": [
            {"description": "Visit", "totalOutstanding": 5000, "patient": patient},
            {
                "description": "Other",
                "totalOutstanding": 100,
                "patientId": "someone-else",
                "patient": {"firstName": "X"},
            },
        ],
    }
    created = http.post("/billing/invoice/create", json=body, headers=practice.decoda_headers)
    assert created.status_code == 200, created.text
    kept = http.get(url(str(patient_uuid(practice.tenant.id, patient_id))), headers=practice.headers).json()
    assert {k: kept[k] for k in ("first_name", "last_name", "email", "phone", "date_of_birth")} == {
        "first_name": "José",
        "last_name": "Núñez",
        "email": "jose@example.org",
        "phone": "+15550100400",
        "date_of_birth": "1975-06-01",
    }
    assert kept["address"] == {
        "line1": "2 Elm St",
        "line2": None,
        "city": "Shelbyville",
        "state": "IL",
        "zip_code": "62565",
        "country": "US",
    }
    # the items' keys hold ids only: every contact item of this practice, over every page of the scan
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.environment["TABLE_NAME"],
            FilterExpression="entity = :e AND contains(PK, :t)",
            ExpressionAttributeValues={":e": {"S": "PATIENT_CONTACT"}, ":t": {"S": str(practice.tenant.id)}},
        )
    )
    keys = " ".join(item["PK"]["S"] + item["SK"]["S"] for page in pages for item in page["Items"])
    assert keys
    # whole values: a fragment such as the phone's last four digits may be in any id's hex
    for phi in ("José", "Núñez", "jose@example.org", "5550100400", "2 Elm St", "62565", "1975-06-01"):
        assert phi not in keys


def test_a_decoda_patient_field_that_is_not_one_is_not_kept(http: httpx.Client, practice: Practice) -> None:
    # Decoda's patient record is Decoda's: what does not read as an e-mail, a phone number or a date is
    # taken and not kept, the rest is
    body = {
        "patientId": "pat_odd",
        "message": "Your invoice",
        "invoiceMethod": "EMAIL",
        "charges": [
            {
                "totalOutstanding": 100,
                "patient": {"firstName": "Odd", "email": "nope", "phoneNumber": "12", "dateOfBirth": "n/a"},
            }
        ],
    }
    response = http.post("/billing/invoice/create", json=body, headers=practice.decoda_headers)
    assert response.status_code == 200, response.text
    kept = http.get(url(str(patient_uuid(practice.tenant.id, "pat_odd"))), headers=practice.headers).json()
    assert (kept["first_name"], kept["email"], kept["phone"], kept["date_of_birth"]) == (
        "Odd",
        None,
        None,
        None,
    )


def test_what_several_charges_say_of_the_patient_is_kept_together(
    http: httpx.Client, practice: Practice
) -> None:
    body = {
        "patientId": "pat_two",
        "message": "Your invoice",
        "invoiceMethod": "SMS",
        "charges": [
            {"totalOutstanding": 100, "patient": {"firstName": "Two", "email": "two@example.org"}},
            {"totalOutstanding": 200, "patientId": "pat_two", "patient": {"phoneNumber": "+44 20 7946 0958"}},
        ],
    }
    assert http.post("/billing/invoice/create", json=body, headers=practice.decoda_headers).status_code == 200
    kept = http.get(url(str(patient_uuid(practice.tenant.id, "pat_two"))), headers=practice.headers).json()
    assert (kept["first_name"], kept["email"], kept["phone"]) == ("Two", "two@example.org", "+442079460958")
