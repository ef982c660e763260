"""Rule sets pick a rule by amount; the invoice table's statuses, Will Fail among them, from a send, its
invoices, its patient's contact and the patient's other sends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, Method
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineItem
from invoice_hub.domain.patient import PatientContact
from invoice_hub.domain.rules import Rule, RuleSet
from invoice_hub.logic.invoice_table import SetStatus, status_of

NOW = datetime(2026, 12, 6, tzinfo=UTC)
TENANT = uuid.uuid4()
SET = uuid.uuid4()


def a_rule(name: str, delay: int, **bounds: int) -> Rule:
    return Rule(
        id=uuid.uuid4(), rule_set_id=SET, name=name, delay_days=delay, methods=(Method.SMS,), **bounds
    )


def test_a_rule_set_picks_the_first_rule_by_delay_whose_bounds_hold_the_amount() -> None:
    small = a_rule("small", 3, amount_less_than=10_000)
    large = a_rule("large", 7, amount_greater_than=9_999)
    exactly = a_rule("up to 500", 1, less_than_or_equal_to=500)
    rules = RuleSet(id=SET, tenant_id=TENANT, name="s", rules=(large, small, exactly), created_at=NOW)
    assert rules.rule_for(500) == exactly  # holds for small too: the earlier one wins
    assert rules.rule_for(501) == small
    assert rules.rule_for(9_999) == small
    assert rules.rule_for(10_000) == large
    assert (
        RuleSet(id=SET, tenant_id=TENANT, name="e", rules=(small,), created_at=NOW).rule_for(10_000) is None
    )


def a_send(
    status: DeliveryStatus = DeliveryStatus.PENDING, method: Method = Method.EMAIL, **kw: object
) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        submission_id=uuid.uuid4(),
        destination=Destination(name="patients", kind="patient_channel", endpoint_url="https://x.example"),
        method=method,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )


def an_invoice(status: InvoiceStatus = InvoiceStatus.ISSUED, tags: tuple[str, ...] = ()) -> Invoice:
    return Invoice(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        reg_number="1",
        patient_id=uuid.uuid4(),
        issue_date=NOW,
        status=status,
        charges=Charges(
            items=(LineItem(id=uuid.uuid4(), description="v", quantity=Decimal(1), unit_price=Decimal(50)),)
        ),
        tags=tags,
        created_at=NOW,
        updated_at=NOW,
    )


REACHABLE = PatientContact(
    tenant_id=TENANT,
    patient_id=uuid.uuid4(),
    first_name="A",
    email="a@example.org",
    phone="+15550100",
    updated_at=NOW,
)


@pytest.mark.parametrize(
    ("send", "invoice", "expected"),
    [
        (a_send(), an_invoice(), SetStatus.ACTIVE),
        (a_send(DeliveryStatus.PAUSED), an_invoice(), SetStatus.PAUSED),
        (a_send(DeliveryStatus.FAILED), an_invoice(), SetStatus.FAILED),
        (a_send(DeliveryStatus.CANCELLED), an_invoice(), SetStatus.CANCELLED),
        (a_send(DeliveryStatus.SENT), an_invoice(), SetStatus.EXPIRED),
        (a_send(DeliveryStatus.SENT), an_invoice(InvoiceStatus.PAID), SetStatus.PAID),
        (a_send(DeliveryStatus.CANCELLED), an_invoice(InvoiceStatus.PAID), SetStatus.PAID),
        (a_send(DeliveryStatus.SENT), an_invoice(InvoiceStatus.WRITTEN_OFF), SetStatus.CANCELLED),
        (a_send(DeliveryStatus.CANCELLED), an_invoice(tags=("collections",)), SetStatus.CANCELLED),
    ],
)
def test_a_rows_status(send: Delivery, invoice: Invoice, expected: SetStatus) -> None:
    assert status_of(send, [invoice], REACHABLE, [send])[0] is expected


def test_will_fail_is_found_before_the_send_time() -> None:
    waiting = a_send(method=Method.MAIL)
    assert status_of(waiting, [an_invoice()], REACHABLE, [waiting]) == (
        SetStatus.WILL_FAIL,
        "no postal address for the patient (MAIL)",
    )
    text = a_send(method=Method.SMS)
    refused = a_send(DeliveryStatus.FAILED, Method.SMS, channel_statuses={"SMS": "OPTED_OUT"})
    assert status_of(text, [an_invoice()], REACHABLE, [refused, text])[0] is SetStatus.WILL_FAIL
    mail = a_send(method=Method.EMAIL)
    bounced = a_send(DeliveryStatus.SENT, Method.EMAIL, channel_statuses={"EMAIL": "BOUNCED"})
    assert (
        status_of(mail, [an_invoice()], REACHABLE, [bounced, mail])[1]
        == "the patient's e-mail address bounced"
    )
    assert status_of(mail, [an_invoice()], REACHABLE, [mail])[0] is SetStatus.ACTIVE
