"""The one issuing path every contract's create goes through (logic/issuing.py), against the local stack's
table: lost races, replays, a concurrent twin's answer, the after-write step, the one retry policy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime

import pytest

from invoice_hub.config import get_settings
from invoice_hub.dal.invoices import invoice_repository
from invoice_hub.domain.errors import IdempotencyKeyReused, IllegalTransition, ServiceBusy
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceQuery, InvoiceStatus
from invoice_hub.entry import wiring
from invoice_hub.logic import issuing
from invoice_hub.logic.idempotency import fingerprint
from invoice_hub.logic.issuing import IssueRequest, Plan, issue, reg_number
from tests.conftest import Practice


def draft(tenant_id: uuid.UUID, sequence: int, now: datetime) -> Invoice:
    return Invoice(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        reg_number=reg_number(sequence),
        patient_id=uuid.uuid4(),
        issue_date=now,
        status=InvoiceStatus.DRAFT,
        charges=Charges(),
        created_at=now,
        updated_at=now,
    )


def request(practice: Practice, key: str | None = None, body: object = "the request") -> IssueRequest:
    return IssueRequest(practice.tenant.id, "test:issue", key, fingerprint(body))


def planned(tenant_id: uuid.UUID) -> Callable[[int, datetime], Plan]:
    return lambda sequence, now: Plan(draft(tenant_id, sequence, now), [])


def answer(plan: Plan) -> tuple[int, str]:
    assert plan.invoice is not None
    return 201, json.dumps({"id": str(plan.invoice.id), "reg_number": plan.invoice.reg_number})


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(issuing.time, "sleep", slept.append)
    return slept


def test_a_lost_race_is_retried_with_the_next_number_after_a_jittered_back_off(
    practice: Practice, sleeps: list[float]
) -> None:
    repo, outbox, tenant_id = invoice_repository(get_settings()), wiring.outbox(), practice.tenant.id
    attempts: list[int] = []
    after: list[str] = []

    def plan(sequence: int, now: datetime) -> Plan:
        attempts.append(sequence)
        if len(attempts) <= 2:  # another create takes this number before ours commits
            issue(repo, outbox, request(practice), planned(tenant_id), answer)

        def then() -> None:  # runs once the write holds: the invoice is there
            after.append(repo.get(tenant_id, invoice.id).reg_number)

        invoice = draft(tenant_id, sequence, now)
        return Plan(invoice, [], then=then)

    issued = issue(repo, outbox, request(practice), plan, answer)

    assert attempts == [1, 2, 3]
    assert (issued.status_code, issued.replayed) == (201, False)
    assert json.loads(issued.body)["reg_number"] == "INV-000003"
    assert after == ["INV-000003"]  # once, for the write that held
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= issuing.BACKOFF_SECONDS * 2
    assert 0 <= sleeps[1] <= issuing.BACKOFF_SECONDS * 4


def test_a_create_that_keeps_losing_is_503_after_every_attempt(
    practice: Practice, sleeps: list[float]
) -> None:
    repo, outbox, tenant_id = invoice_repository(get_settings()), wiring.outbox(), practice.tenant.id
    attempts: list[int] = []

    def plan(sequence: int, now: datetime) -> Plan:
        attempts.append(sequence)
        issue(repo, outbox, request(practice), planned(tenant_id), answer)  # always first
        return Plan(draft(tenant_id, sequence, now), [])

    with pytest.raises(ServiceBusy):
        issue(repo, outbox, request(practice), plan, answer)
    assert len(attempts) == issuing.ATTEMPTS
    assert len(sleeps) == issuing.ATTEMPTS - 1
    # nothing of the lost attempts was written: the numbers went to the winners, without a gap
    total, invoices = repo.list_page(tenant_id, InvoiceQuery(limit=100))
    assert sorted(i.reg_number for i in invoices) == [reg_number(n) for n in range(1, issuing.ATTEMPTS + 1)]
    assert total == issuing.ATTEMPTS


def test_a_repeated_key_replays_the_first_answer_without_planning_again(practice: Practice) -> None:
    repo, outbox, tenant_id = invoice_repository(get_settings()), wiring.outbox(), practice.tenant.id
    first = issue(repo, outbox, request(practice, "key-1"), planned(tenant_id), answer)

    def must_not_plan(sequence: int, now: datetime) -> Plan:
        raise AssertionError("a replay plans nothing")

    again = issue(repo, outbox, request(practice, "key-1"), must_not_plan, answer)

    assert (again.status_code, again.body, again.replayed) == (first.status_code, first.body, True)
    with pytest.raises(IdempotencyKeyReused):  # the same key for another request
        issue(repo, outbox, request(practice, "key-1", body="another"), planned(tenant_id), answer)


def test_a_plan_refused_by_what_a_concurrent_twin_did_gets_the_twins_answer(practice: Practice) -> None:
    repo, outbox, tenant_id = invoice_repository(get_settings()), wiring.outbox(), practice.tenant.id
    twin: list[str] = []

    def refused_after_the_twin(sequence: int, now: datetime) -> Plan:
        # the twin (same key, same request) commits between our read and our plan; what it created is
        # now in the way of ours
        twin.append(issue(repo, outbox, request(practice, "key-2"), planned(tenant_id), answer).body)
        raise IllegalTransition("in the way")

    issued = issue(repo, outbox, request(practice, "key-2"), refused_after_the_twin, answer)

    assert (issued.body, issued.replayed) == (twin[0], True)


def test_a_refused_plan_with_no_twin_is_refused(practice: Practice) -> None:
    repo, outbox = invoice_repository(get_settings()), wiring.outbox()

    def refused(sequence: int, now: datetime) -> Plan:
        raise IllegalTransition("in the way")

    for key in ("key-3", None):
        with pytest.raises(IllegalTransition):
            issue(repo, outbox, request(practice, key), refused, answer)
