"""Webhooks, piece by piece: where a URL may lead, how an event is signed, which facts a change of the
table tells, and how a webhook's events are filtered and paged."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from standardwebhooks import Webhook as StandardWebhook

from invoice_hub.connectors.webhooks import UnsafeUrl, checked, signed_headers
from invoice_hub.contracts.decoda.webhooks import WebhookCreate, WebhookUpdate
from invoice_hub.dal.changes import Change
from invoice_hub.dal.webhooks import new_secret
from invoice_hub.domain.delivery import Delivery, Destination, HistoryEntry, Method, WebhookEvent
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineItem
from invoice_hub.domain.webhook import EventType
from invoice_hub.logic.webhooks import EventFilter, facts_of
from invoice_hub_local.stream_pollers import failed_from

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TENANT = uuid.uuid4()


# -- where a webhook may lead ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the instance metadata service
        "https://169.254.169.254/",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.0.1/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://127.0.0.1/hook",  # loopback, not allowed on AWS
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # an IPv4-mapped private address
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
        "http://8.8.8.8/hook",  # public, but not https
        "ftp://8.8.8.8/hook",
        "https://user:pass@8.8.8.8/hook",
        "not a url",
    ],
)
def test_a_url_into_the_network_or_not_https_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        checked(url, allow_loopback=False)


def test_a_host_that_resolves_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolves(host: str, port: int, **_: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolves)
    with pytest.raises(UnsafeUrl, match="public address"):
        checked("https://hooks.practice.example/decoda")  # one private answer is enough to refuse


def test_a_public_https_url_is_called_at_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **_: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))],
    )
    target = checked("https://hooks.practice.example:8443/decoda?x=1")
    assert target.url == "https://93.184.216.34:8443/decoda?x=1"
    assert (target.host, target.host_header) == ("hooks.practice.example", "hooks.practice.example:8443")


def test_the_local_stack_may_call_plain_http_on_loopback_only() -> None:
    assert checked("http://127.0.0.1:8080/hook", allow_loopback=True).url == "http://127.0.0.1:8080/hook"
    with pytest.raises(UnsafeUrl):
        checked("http://10.0.0.1/hook", allow_loopback=True)
    with pytest.raises(UnsafeUrl):
        checked("http://127.0.0.1:8080/hook", allow_loopback=False)


# -- signatures -----------------------------------------------------------------------------------------
def test_both_signatures_verify_with_the_one_secret_and_only_for_the_body_signed() -> None:
    secret = new_secret()
    assert len(secret) == 32
    int(secret, 16)  # hex, as Decoda's secrets are
    body = json.dumps({"id": "e1", "type": "INVOICE_SENT", "data": {"amount": 100}})
    event = WebhookEvent(webhook_id=uuid.uuid4(), alert_id=uuid.uuid4(), type="INVOICE_SENT", body=body)
    headers = signed_headers(event, "e1", secret, datetime.now(UTC))
    assert headers["Decoda-Signature"] == hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    assert StandardWebhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(Exception, match="signature"):
        StandardWebhook(secret).verify(body.replace("100", "999"), headers)
    stale = signed_headers(event, "e1", secret, datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(Exception, match="too old"):  # what Decoda's own signature cannot tell: a replay
        StandardWebhook(secret).verify(body, stale)


# -- facts ----------------------------------------------------------------------------------------------
def a_send(method: Method = Method.EMAIL, *entries: str, **changes: Any) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        submission_id=uuid.uuid4(),
        destination=Destination(name="patients", kind="patient_channel", endpoint_url="https://x.example"),
        method=method,
        amount_cents=5000,
        history=tuple(HistoryEntry(status=e, at=NOW) for e in ("received", "queued", *entries)),
        created_at=NOW,
        updated_at=NOW,
        **changes,
    )


def with_entry(delivery: Delivery, status: str, source: str | None = None, **changes: Any) -> Delivery:
    entry = HistoryEntry(status=status, at=NOW + timedelta(seconds=1), source=source)
    return delivery.model_copy(
        update={"history": (*delivery.history, entry), "version": delivery.version + 1, **changes}
    )


@pytest.mark.parametrize(
    ("method", "entry", "source", "expected"),
    [
        (Method.EMAIL, "sent", None, [EventType.INVOICE_SENT, EventType.EMAIL_SENT]),
        (Method.SMS, "sent", None, [EventType.INVOICE_SENT, EventType.MESSAGE_SENT]),
        (Method.MAIL, "sent", None, [EventType.INVOICE_SENT, EventType.MAIL_SENT]),
        (Method.CALL, "sent", None, [EventType.INVOICE_SENT, EventType.CALL_MADE]),
        (Method.CHARGE_CARD, "sent", None, [EventType.INVOICE_SENT]),  # the payment is the invoice's fact
        (Method.EMAIL, "failed", None, [EventType.INVOICE_FAILED]),
        (Method.SMS, "failed", None, [EventType.INVOICE_FAILED, EventType.MESSAGE_FAILED]),
        (Method.MAIL, "failed", None, [EventType.INVOICE_FAILED, EventType.MAIL_DELIVERY_FAILED]),
        (Method.SMS, "delivered", "End User Messaging", [EventType.MESSAGE_DELIVERED]),
        (Method.SMS, "undelivered", "End User Messaging", [EventType.MESSAGE_FAILED]),
        (Method.MAIL, "returned_to_sender", "print-mail", [EventType.MAIL_DELIVERY_FAILED]),
        (Method.CHARGE_CARD, "payment_failed", "Stripe", [EventType.PAYMENT_FAILED]),
        (Method.EMAIL, "sending", None, []),
        (Method.EMAIL, "retrying", None, []),
        (Method.EMAIL, "delivered", "SES", []),
    ],
)
def test_each_new_history_entry_of_a_patient_send_is_its_events(
    method: Method, entry: str, source: str | None, expected: list[EventType]
) -> None:
    before = a_send(method)
    facts = facts_of(Change(before, with_entry(before, entry, source)))
    assert [f.type for f in facts] == expected
    assert all(f.method is method for f in facts)


def test_a_fact_has_the_same_id_however_often_its_change_is_read_and_the_sent_method_is_the_one_claimed() -> (
    None
):
    before = a_send(Method.SMS, "sending")
    # sent, and the rule's next step (e-mail) planned in the same write
    after = with_entry(before, "sent", method=Method.EMAIL)
    first, again = facts_of(Change(before, after)), facts_of(Change(before, after))
    assert [f.alert_id for f in first] == [f.alert_id for f in again]
    assert len({f.alert_id for f in first}) == 2
    assert [f.type for f in first] == [EventType.INVOICE_SENT, EventType.MESSAGE_SENT]


def test_payer_submissions_and_webhook_events_are_nobodys_facts() -> None:
    payer = a_send(Method.EBILL).model_copy(
        update={"destination": Destination(name="hub", kind="payer_hub", endpoint_url="https://hub.example")}
    )
    assert facts_of(Change(payer, with_entry(payer, "ebilled"))) == []
    event = a_send(Method.WEBHOOK).model_copy(
        update={"destination": Destination(name="webhook", kind="webhook", endpoint_url="https://h.example")}
    )
    assert facts_of(Change(event, with_entry(event, "sent"))) == []


def an_invoice(paid: str = "0", status: InvoiceStatus = InvoiceStatus.ISSUED, version: int = 1) -> Invoice:
    return Invoice(
        id=uuid.UUID(int=7),
        tenant_id=TENANT,
        reg_number="INV-7",
        patient_id=uuid.uuid4(),
        issue_date=NOW,
        status=status,
        charges=Charges(
            items=(
                LineItem(id=uuid.uuid4(), description="Visit", quantity=Decimal(1), unit_price=Decimal(100)),
            ),
            paid_amount=Decimal(paid),
        ),
        created_at=NOW,
        updated_at=NOW,
        version=version,
    )


def test_an_invoices_changes_are_its_charge_payments_refunds_and_write_off() -> None:
    assert [f.type for f in facts_of(Change(None, an_invoice()))] == [EventType.CHARGE_CREATED]
    assert facts_of(Change(None, an_invoice(status=InvoiceStatus.DRAFT))) == []
    paid = facts_of(Change(an_invoice(), an_invoice("40", InvoiceStatus.PARTIALY_PAID, 2)))
    assert [(f.type, f.amount_cents) for f in paid] == [
        (EventType.PAYMENT_CREATED, 4000),
        (EventType.PAYMENT_SUCCEEDED, 4000),
    ]
    refunded = facts_of(Change(an_invoice("40", InvoiceStatus.PARTIALY_PAID, 2), an_invoice("10", version=3)))
    assert [(f.type, f.amount_cents) for f in refunded] == [(EventType.REFUND_CREATED, 3000)]
    written_off = facts_of(
        Change(an_invoice("10", version=3), an_invoice("10", InvoiceStatus.WRITTEN_OFF, 4))
    )
    assert [(f.type, f.amount_cents) for f in written_off] == [(EventType.ADJUSTMENT_CREATED, 9000)]
    assert facts_of(Change(an_invoice(version=4), None)) == []  # a deletion tells nothing


# -- a webhook's events, filtered and paged ---------------------------------------------------------------
def an_event(minutes: int, delivered: bool, status: str, event_type: str = "INVOICE_SENT") -> Delivery:
    at = NOW + timedelta(minutes=minutes)
    return a_send(Method.WEBHOOK).model_copy(
        update={
            "created_at": at,
            "sent_at": at + timedelta(seconds=5) if delivered else None,
            "channel_statuses": {"WEBHOOK": status},
            "failed_reason": None if delivered else f"{status} Internal Server Error",
            "event": WebhookEvent(webhook_id=uuid.uuid4(), alert_id=uuid.uuid4(), type=event_type, body="{}"),
        }
    )


def test_decodas_filters_order_and_page_of_a_webhooks_events() -> None:
    events = [an_event(1, True, "200"), an_event(2, False, "500"), an_event(3, True, "200", "EMAIL_SENT")]
    newest = EventFilter().page(events)
    assert newest == events[::-1]
    assert EventFilter(newest_first=False, limit=2).page(events) == events[:2]
    assert EventFilter(limit=1, offset=1).page(events) == [events[1]]
    assert EventFilter(is_delivered=False).page(events) == [events[1]]
    assert EventFilter(last_status="500").page(events) == [events[1]]
    assert EventFilter(last_error="Internal").page(events) == [events[1]]
    assert EventFilter(event_type="EMAIL_SENT").page(events) == [events[2]]
    assert EventFilter(created_after=NOW + timedelta(minutes=1)).page(events) == [events[2], events[1]]
    assert EventFilter(delivered_before=NOW + timedelta(minutes=2)).page(events) == [events[0]]
    assert EventFilter(by_delivery=True).page(events) == [events[2], events[0], events[1]]


# -- the local stream mapping's reading of a partial batch response ---------------------------------------
def test_a_partial_batch_response_names_where_the_batch_is_read_again() -> None:
    sequence = ["101", "102", "103"]
    assert failed_from(None, sequence) is None
    assert failed_from({"batchItemFailures": []}, sequence) is None
    assert (
        failed_from({"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]}, sequence)
        == 1
    )
    for unreadable in ([], {"batchItemFailures": [{"itemIdentifier": "999"}]}, {"batchItemFailures": "x"}):
        with pytest.raises(ValueError, match=r"."):
            failed_from(unreadable, sequence)


@pytest.mark.parametrize("model", [WebhookCreate, WebhookUpdate])
def test_a_webhook_urls_length_bounds_hold_for_the_text_as_sent(model: type[BaseModel]) -> None:
    # given URLs whose length is within the document's 8 to 2,048 characters only with their spaces
    fields = {"subscriptions": ["INVOICE_SENT"]}
    # when read; then the bounds are the text's as sent (as the document's minLength states them)...
    assert model.model_validate({**fields, "url": "\nhttp:/x"}).url == "http:/x"  # left to the URL check
    with pytest.raises(ValidationError, match="at least 8 characters"):
        model.model_validate({**fields, "url": "http:/x"})
    # ...and the spaces around it are dropped
    assert model.model_validate({**fields, "url": "  https://example.com/x  "}).url == "https://example.com/x"
