"""The indexes carry the keys and what the invoice list filters on, not the items (decision 020): moto
applies the template's projections to what a Query returns, and every list reads its items by
BatchGetItem, so it answers the whole item as before."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from invoice_hub.config import get_settings
from invoice_hub.dal import keys
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.domain.delivery import DeliveryStatus
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.outbox import new_delivery
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, load_event
from tests.integration.handlers import authed, call, for_invoice
from tests.integration.test_invoice_handlers import create


def listed(stack: LocalStack, practice: Practice, **query: str) -> dict[str, Any]:
    event = authed(load_event("invoice_list", "default"), practice)
    event["queryStringParameters"] = {"limit": "10", "offset": "0", **query}
    event["multiValueQueryStringParameters"] = {
        name: [value] for name, value in event["queryStringParameters"].items()
    }
    status, _, body = call(stack, "invoice_list", event)
    assert status == 200, body
    return dict(body)


def fetched(stack: LocalStack, practice: Practice, invoice_id: str) -> dict[str, Any]:
    event = for_invoice(authed(load_event("invoice_get", "get"), practice), invoice_id)
    status, _, body = call(stack, "invoice_get", event)
    assert status == 200
    return dict(body)


def index_entries(index: str, partition: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")  # the local stack's moto (its environment)
    answer = client.query(
        TableName=get_settings().table_name,
        IndexName=keys.index_name(index),
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": f"{index}PK"},
        ExpressionAttributeValues={":pk": {"S": partition}},
    )
    return list(answer["Items"])


def test_an_index_holds_the_keys_and_the_filters_attributes_not_the_invoice(
    stack: LocalStack, practice: Practice
) -> None:
    made = create(stack, practice, status="ISSUED", tags=["urgent"])
    tenant = practice.tenant.id
    entries = {
        "GSI1": index_entries("GSI1", keys.invoices_all(tenant)),
        "GSI3": index_entries("GSI3", keys.invoices_by_patient(tenant, uuid.UUID(made["patient_id"]))),
        "GSI4": index_entries(
            "GSI4", keys.invoices_by_appointment(tenant, uuid.UUID(made["appointment_id"]))
        ),
    }
    key_names = {"PK", "SK"}
    assert set(entries["GSI1"][0]) == key_names | {"GSI1PK", "GSI1SK", "tags", "search_text"}
    assert set(entries["GSI3"][0]) == key_names | {"GSI3PK", "GSI3SK", "status", "tags", "search_text"}
    assert set(entries["GSI4"][0]) == key_names | {
        "GSI4PK",
        "GSI4SK",
        "patient_id",
        "status",
        "tags",
        "search_text",
    }


@pytest.mark.parametrize(
    "query",
    [
        {},  # GSI1, creation order
        {"order_by": "-total_amount"},  # GSI1, every match read and sorted
        {"status": "ISSUED", "tags": "urgent"},  # GSI2, tags filtered in the index
        {"search": "checkup"},  # GSI1, search filtered in the index
        {"patient_id": "PATIENT", "status": "ISSUED"},  # GSI3, status filtered in the index
        {"appointment_id": "APPOINTMENT", "patient_id": "PATIENT", "status": "ISSUED"},  # GSI4
    ],
)
def test_every_list_answers_whole_invoices_through_the_projections(
    stack: LocalStack, practice: Practice, query: dict[str, str]
) -> None:
    patient, appointment = str(uuid.uuid4()), str(uuid.uuid4())
    items = [{"description": "Checkup", "code": "0190", "quantity": 2, "unit_price": 80}]
    wanted = create(
        stack,
        practice,
        status="ISSUED",
        tags=["urgent"],
        patient_id=patient,
        appointment_id=appointment,
        items=items,
    )
    create(stack, practice, status="DRAFT", patient_id=patient, appointment_id=appointment)
    asked = {
        name: value.replace("PATIENT", patient).replace("APPOINTMENT", appointment)
        for name, value in query.items()
    }
    body = listed(stack, practice, **asked)
    found = {invoice["id"]: invoice for invoice in body["data"]}
    # the whole invoice, as GET answers it: its lines and amounts come from the table, not the index
    assert found[wanted["id"]] == fetched(stack, practice, wanted["id"])
    assert found[wanted["id"]]["total_amount"] == 160
    if set(query) - {"order_by"}:  # filtered: the draft is not among them
        assert list(found) == [wanted["id"]]
        assert body["total"] == 1
    elif query:  # every match read and sorted: 160 before the draft's 120
        assert list(found)[:2] == [wanted["id"], body["data"][1]["id"]]
        assert body["data"][1]["total_amount"] == 120


def test_a_delivery_list_answers_whole_deliveries_with_their_history(
    stack: LocalStack, practice: Practice
) -> None:
    repo = delivery_repository(get_settings())
    now = datetime.now(UTC)
    invoice_id = uuid.uuid4()
    destination = practice.tenant.destinations[0]
    made = new_delivery(
        tenant_id=practice.tenant.id,
        destination=destination,
        method=destination.method,
        now=now,
        stuck_after=timedelta(days=365),
        invoice_ids=(invoice_id,),
        amount_cents=12000,
    )
    repo.create([made])
    claimed = states.attempt(made, now, now + timedelta(seconds=30))
    repo.save(claimed)
    failed = states.failed(claimed, now, "rejected: 400 Bad Request", True, now + timedelta(days=13))
    repo.save(failed)
    [of_invoice] = repo.of_invoice(practice.tenant.id, invoice_id)
    assert of_invoice == failed
    assert [entry.status for entry in of_invoice.history] == [entry.status for entry in failed.history]
    assert repo.by_status(practice.tenant.id, DeliveryStatus.FAILED)[-1] == failed
