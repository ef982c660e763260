"""eBillingHub's view of a send: the status vocabulary, dates, and what may be resubmitted (no network)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from invoice_hub.contracts.ebh.facade import accepts_json
from invoice_hub.contracts.ebh.models import StatusEntry, StatusSearchRequest, Submission, ebh_time
from invoice_hub.contracts.ebh.statuses import ebh_history
from invoice_hub.domain.delivery import (
    Delivery,
    DeliveryStatus,
    Destination,
    HistoryEntry,
    Method,
    PayerInvoice,
)
from invoice_hub.domain.errors import IllegalTransition
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.payer_statuses import current_status
from invoice_hub.logic.payer_submissions import RESUBMITTABLE

T0 = datetime(2018, 7, 7, 23, 32, 57, 123456, tzinfo=UTC)
HUB = Destination(name="hub", kind="payer_hub", endpoint_url="https://hub.example/send")


def payer_send() -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        destination=HUB,
        method=Method.EBILL,
        payor_org_id="111",
        payor_org_ebilling_id="222",
        external_invoice_id="4326",
        history=(HistoryEntry(status="received", at=T0), HistoryEntry(status="queued", at=T0)),
        created_at=T0,
        updated_at=T0,
    )


def statuses(delivery: Delivery) -> list[str]:
    return [entry.Status for entry in ebh_history(delivery)]


def test_an_outage_then_a_redrive_shows_each_attempt_in_order() -> None:
    d = payer_send()
    for n in range(3):
        d = states.attempt(d, T0 + timedelta(seconds=n), T0)
        d = states.retrying(d, T0, "unavailable: 503")
    d = states.failed(states.attempt(d, T0, T0), T0, "unavailable: 503", permanent=False, dlq_until=T0)
    d = states.redriven(d, T0, "retry-all", T0)
    d = states.sent(states.attempt(d, T0, T0), T0, "ext-1")
    assert statuses(d) == [
        "received",
        "forwarded",
        "forwarded",
        "forwarded",
        "forwarded",
        "hold",
        "forwarded",
        "ebilled",
    ]
    assert current_status(d) == "ebilled"


def test_a_payer_rejection_is_rejected_and_may_be_resubmitted() -> None:
    d = states.failed(
        states.attempt(payer_send(), T0, T0), T0, "rejected: 400 BAD REQUEST", permanent=True, dlq_until=T0
    )
    assert statuses(d) == ["received", "forwarded", "rejected"]
    assert current_status(d) in RESUBMITTABLE


def test_a_cancelled_send_is_dead_and_pauses_hold() -> None:
    assert statuses(states.paused(payer_send(), T0)) == ["received", "hold"]
    assert current_status(states.cancelled(payer_send(), T0)) == "dead"


def test_dates_are_utc_seconds_without_zone_as_in_the_contract() -> None:
    assert ebh_time(T0) == "2018-07-07T23:32:57"
    assert ebh_time(T0.astimezone(timezone(timedelta(hours=2)))) == "2018-07-07T23:32:57"
    assert (
        StatusEntry(Status="received", StatusDate=T0).model_dump(mode="json")["StatusDate"]
        == "2018-07-07T23:32:57"
    )


@pytest.mark.parametrize(
    ("accept", "ok"),
    [(None, True), ("", True), ("application/json", True), ("*/*", True), ("text/html, */*;q=0.1", True),
     ("application/json;q=0", False), ("application/xml", False), ("text/html", False)],
)  # fmt: skip
def test_accept_is_json_or_anything(accept: str | None, ok: bool) -> None:
    assert accepts_json(accept) is ok


def test_a_payer_appears_once_per_submission() -> None:
    payors = [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}] * 2
    with pytest.raises(ValidationError, match="each PayorOrgId may appear once"):
        Submission.model_validate(
            {"InvoiceId": "1", "Lines": [{"Description": "x", "UnitPrice": 1}], "Payors": payors}
        )


def sent_send() -> Delivery:
    return states.sent(states.attempt(payer_send(), T0, T0), T0, "ext-1")


def test_a_resubmission_ends_the_send_it_replaces_whether_it_went_out_or_not() -> None:
    rejected = states.payer_status_set(sent_send(), T0, "rejected", "wrong code", "status update")
    ended = states.superseded(rejected, T0)
    assert (ended.status, current_status(ended)) == (DeliveryStatus.SENT, "dead")
    waiting = states.superseded(payer_send(), T0)
    assert (waiting.status, current_status(waiting)) == (DeliveryStatus.CANCELLED, "dead")
    # ended twice (a concurrent cancel), it is still one more version: the write is never refused
    again = states.superseded(waiting, T0)
    assert (again.version, current_status(again)) == (waiting.version + 1, "dead")


def test_a_status_update_is_said_of_a_send_the_payor_has_and_received_sends_it_again() -> None:
    approved = states.payer_status_set(sent_send(), T0, "approved", "ok", "status update: clerk")
    assert (approved.status, current_status(approved)) == (DeliveryStatus.SENT, "approved")
    again = states.payer_status_set(approved, T0, "received", "fixed", "status update")
    assert (again.status, again.check_at) == (DeliveryStatus.PENDING, T0)
    with pytest.raises(IllegalTransition, match="not reached the payer"):
        states.payer_status_set(payer_send(), T0, "approved", "too early", "status update")
    dead = states.payer_status_set(payer_send(), T0, "dead", "withdrawn", "status update")
    assert (dead.status, current_status(dead)) == (DeliveryStatus.CANCELLED, "dead")


def held_send(proforma: bool = False) -> Delivery:
    send = payer_send().model_copy(
        update={
            "payer_invoice": PayerInvoice(hub_reference=7, proforma=proforma, awaits_attachments=not proforma)
        }
    )
    return states.held(send, T0, "waiting")


def test_a_held_send_is_sent_only_when_made_ready_and_a_proforma_never() -> None:
    held = held_send()
    assert (held.status, current_status(held)) == (DeliveryStatus.PAUSED, "new")
    with pytest.raises(IllegalTransition, match="makes it ready"):
        states.resumed(held, T0)
    ready = states.made_ready(held, T0, "clerk")
    assert (ready.status, ready.version, statuses(ready)) == (
        DeliveryStatus.PENDING,
        held.version + 1,
        ["new", "received"],
    )
    with pytest.raises(IllegalTransition, match="already sent"):
        states.made_ready(ready, T0, None)
    with pytest.raises(IllegalTransition, match="proforma"):
        states.made_ready(held_send(proforma=True), T0, None)


def test_an_end_date_alone_includes_its_day_and_dates_are_text() -> None:
    search = StatusSearchRequest.model_validate({"startdate": "5/15/2020", "ENDDATE": "5/15/2020"})
    assert search.StartDate == datetime(2020, 5, 15, tzinfo=UTC)
    assert search.EndDate == datetime(2020, 5, 16, tzinfo=UTC) - timedelta(microseconds=1)
    assert StatusSearchRequest.model_validate({"EndDate": "2020-05-15T10:00:00"}).EndDate == datetime(
        2020, 5, 15, 10, tzinfo=UTC
    )
    for wrong in (0, "2/31/2020", "yesterday"):
        with pytest.raises(ValidationError):
            StatusSearchRequest.model_validate({"StartDate": wrong})
