"""What goes in, what is stored and what comes out of the Invoice API (no network)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from invoice_hub.contracts.invoice_api.models import InvoiceIn, InvoiceOut
from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.dal.invoices import invoice_from_item, invoice_to_item, search_text, sort_invoices
from invoice_hub.domain.errors import IdempotencyKeyReused
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineItem
from invoice_hub.logic.idempotency import fingerprint, replay

NOW = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def sample(**changes: Any) -> Invoice:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "reg_number": "INV-000042",
        "external_id": "4326",
        "patient_id": uuid.uuid4(),
        "appointment_id": uuid.uuid4(),
        "issue_date": datetime(2026, 6, 1, 5, 53, 48, 451968),
        "due_date": datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC),
        "status": InvoiceStatus.ISSUED,
        "charges": Charges(
            items=(
                LineItem(
                    id=uuid.uuid4(),
                    description="Knee X-Ray",
                    code="XR-01",
                    quantity=Decimal("2"),
                    unit_price=Decimal("60.25"),
                ),
            ),
            discount_percent=Decimal("12.5"),
            paid_amount=Decimal("10"),
        ),
        "tags": ("urgent", "follow-up"),
        "created_at": NOW,
        "updated_at": NOW,
        "version": 3,
    }
    values.update(changes)
    return Invoice(**values)


def test_stored_item_round_trips_and_keys_start_with_the_tenant() -> None:
    invoice = sample()
    item = invoice_to_item(invoice)
    assert invoice_from_item(item) == invoice
    for key in ("PK", "GSI1PK", "GSI2PK", "GSI3PK", "GSI4PK"):
        assert item[key]["S"].startswith(f"T#{invoice.tenant_id}#")
    assert item["GSI2PK"]["S"].endswith("#ST#ISSUED")


def test_invoice_without_appointment_is_left_out_of_the_appointment_index() -> None:
    item = invoice_to_item(sample(appointment_id=None))
    assert "GSI4PK" not in item
    assert "GSI4SK" not in item


def test_response_has_every_field_of_the_contract_sample_with_numbers_for_money() -> None:
    body = json.loads(InvoiceOut.of(sample()).model_dump_json())
    contract_fields = {
        "issue_date", "due_date", "status", "discount_amount", "discount_percent", "paid_amount",
        "appointment_id", "patient_id", "id", "subtotal", "remaining_amount", "total_amount",
        "reg_number", "items",
    }  # fmt: skip
    assert contract_fields <= set(body)
    assert body["subtotal"] == 120.5
    assert body["total_amount"] == 105.44  # 120.50 - 15.0625 -> 105.4375 -> 105.44
    assert body["remaining_amount"] == 95.44
    assert body["discount_amount"] == 0
    assert isinstance(body["discount_amount"], int)
    assert body["issue_date"] == "2026-06-01T05:53:48.451968"  # naive stays naive, as sent
    assert body["due_date"] == "2019-08-24T14:15:22Z"
    assert body["items"][0]["amount"] == 120.5


def test_search_text_covers_number_ids_descriptions_and_tags() -> None:
    invoice = sample()
    text = search_text(invoice)
    for needle in ("inv-000042", str(invoice.patient_id), "knee x-ray", "follow-up", "4326"):
        assert needle in text


def test_sorting_puts_missing_values_last_in_both_directions() -> None:
    with_due = sample(due_date=datetime(2026, 1, 1, tzinfo=UTC))
    later_due = sample(due_date=datetime(2026, 2, 1, tzinfo=UTC))
    without = sample(due_date=None)
    assert sort_invoices([without, later_due, with_due], "due_date", False) == [with_due, later_due, without]
    assert sort_invoices([without, with_due, later_due], "due_date", True) == [later_due, with_due, without]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient_id": "not-a-uuid"}, "patient_id"),
        ({"paid_amount": -1}, "paid_amount"),
        ({"discount_percent": 100.5}, "discount_percent"),
        ({"discount_amount": "10.001"}, "discount_amount"),
        ({"status": "PARTIALLY_PAID"}, "status"),
        ({"items": [{"description": "", "unit_price": 1}]}, "items"),
        ({"items": [{"description": "x", "unit_price": 1, "quantity": 0}]}, "items"),
        ({"paid_amount": "NaN"}, "paid_amount"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(change: dict[str, Any], field: str) -> None:
    body = {"patient_id": str(uuid.uuid4()), **change}
    with pytest.raises(ValidationError) as raised:
        InvoiceIn.model_validate(body)
    assert raised.value.errors()[0]["loc"][0] == field


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_replay_returns_the_first_response_until_it_expires() -> None:
    record = IdempotencyRecord(request_hash="h", status_code=201, body="{}", expiration=1000)
    assert replay(record, "h", 999) is record
    assert replay(record, "h", 1000) is None  # expired: TTL deletion may lag, so expiry is checked on read
    assert replay(None, "h", 0) is None
    with pytest.raises(IdempotencyKeyReused):
        replay(record, "other", 999)
