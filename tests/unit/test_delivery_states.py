"""A delivery's life: each change is a new version with one more history entry (no network)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, Method, Plan
from invoice_hub.domain.errors import IllegalTransition
from invoice_hub.logic import delivery_states as states

S = DeliveryStatus
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
LATER = timedelta(minutes=15)
HUB = Destination(name="hub", kind="payer_hub", endpoint_url="https://hub.example/send")


def pending(**changes: object) -> Delivery:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(),
        "destination": HUB,
        "method": Method.EMAIL,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(changes)
    return Delivery.model_validate(values)


def test_a_send_and_its_success_append_history_and_bump_versions() -> None:
    claimed = states.attempt(pending(), T0, T0 + timedelta(seconds=30))
    assert (claimed.status, claimed.attempts, claimed.version) == (S.PENDING, 1, 2)
    assert claimed.methods_attempted == (Method.EMAIL,)
    assert states.in_flight(claimed, T0 + timedelta(seconds=29))
    assert not states.in_flight(claimed, T0 + timedelta(seconds=31))  # a crashed send's claim expires
    done = states.sent(claimed, T0 + timedelta(seconds=1), "ext-1")
    assert (done.status, done.external_reference, done.version) == (S.SENT, "ext-1", 3)
    assert [h.status for h in done.history] == ["sending", "sent"]
    assert done.claimed_until is None


def test_a_claim_leaves_a_work_index_entry_that_comes_due_after_it() -> None:
    """Decision 024: a send queued with its check stuck_after later is claimed without moving it (no index
    write); one whose check comes sooner than the claim's end (or has none) is moved past the claim as
    before. Either way the schedule never meets a live claim."""
    claim_until = T0 + timedelta(seconds=30)
    queued = pending(check_at=T0 + LATER)
    assert states.check_after_claim(queued, claim_until, LATER) == T0 + LATER
    overdue = pending(check_at=T0)  # a scheduled send that came due, or a message held back
    assert states.check_after_claim(overdue, claim_until, LATER) == claim_until + LATER
    assert states.check_after_claim(pending(), claim_until, LATER) == claim_until + LATER  # a re-drive
    # a transient failure puts the check stuck_after past the claim, where the claim used to put it
    claimed = states.attempt(queued, T0, claim_until, check_at=T0 + LATER)
    retried = states.retrying(claimed, T0 + timedelta(seconds=5), "unavailable: 503", stuck_after=LATER)
    assert retried.check_at == claim_until + LATER
    assert retried.claimed_until is None


def test_payer_sends_are_ebilled_in_the_history() -> None:
    done = states.sent(states.attempt(pending(method=Method.EBILL), T0, T0), T0, None)
    assert done.history[-1].status == "ebilled"


def test_retry_with_another_method_grows_methods_attempted() -> None:
    first = states.attempt(pending(), T0, T0)
    failed = states.failed(first, T0, "rejected: 400", permanent=True, dlq_until=T0 + LATER)
    switched = states.with_method(failed, T0, Method.SMS)
    again = states.attempt(switched, T0, T0)
    assert again.methods_attempted == (Method.EMAIL, Method.SMS)
    assert again.attempts == 2


def test_failure_then_redrive_back_to_pending() -> None:
    failed = states.failed(states.attempt(pending(), T0, T0), T0, "unavailable: 503", False, T0 + LATER)
    assert (failed.status, failed.failure_kind, failed.dlq_until) == (S.FAILED, "transient", T0 + LATER)
    back = states.redriven(failed, T0, "schedule", T0 + LATER)
    assert (back.status, back.redrive_rounds, back.check_at, back.dlq_until) == (
        S.PENDING,
        1,
        T0 + LATER,
        None,
    )
    assert back.history[-1].detail == "re-driven by schedule"
    assert (
        states.redriven(failed, T0, "retry-all", T0).redrive_rounds == 0
    )  # only the schedule's rounds count


def test_reasons_from_external_systems_are_bounded() -> None:
    failed = states.failed(pending(), T0, "x" * 5000, False, T0)
    assert len(failed.failed_reason or "") == states.MAX_REASON


def test_pause_resume_cancel() -> None:
    paused = states.paused(pending(), T0)
    assert (paused.status, paused.paused_at, paused.check_at) == (S.PAUSED, T0, None)
    resumed = states.resumed(paused, T0 + LATER)
    assert (resumed.status, resumed.resumed_at) == (S.PENDING, T0 + LATER)
    cancelled = states.cancelled(resumed, T0 + LATER)
    assert cancelled.status is S.CANCELLED
    assert [h.status for h in cancelled.history] == ["paused", "queued", "cancelled"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda d: states.attempt(d, T0, T0), S.SENT),
        (lambda d: states.attempt(d, T0, T0), S.PAUSED),
        (lambda d: states.paused(d, T0), S.SENT),
        (lambda d: states.resumed(d, T0), S.PENDING),
        (lambda d: states.cancelled(d, T0), S.SENT),
        (lambda d: states.redriven(d, T0, "retry-all", T0), S.PENDING),
        (lambda d: states.send_now(d, T0), S.CANCELLED),
        (lambda d: states.with_method(d, T0, Method.SMS), S.SENT),
    ],
)
def test_changes_a_status_does_not_allow(change: object, status: DeliveryStatus) -> None:
    with pytest.raises(IllegalTransition):
        change(pending(status=status))  # type: ignore[operator]


def rule_send(methods: tuple[Method, ...], step: int = 0) -> Delivery:
    return pending(method=methods[step], plan=Plan(methods=methods, delay_seconds=86400, step=step))


def test_a_rule_moves_on_to_its_next_method_keeping_what_each_channel_said() -> None:
    sent = states.sent(states.attempt(rule_send((Method.SMS, Method.EMAIL)), T0, T0), T0, "m-1")
    following = states.next_step(sent, T0, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert (following.status, following.method, following.send_time) == (
        S.PENDING,
        Method.EMAIL,
        T0 + timedelta(days=1),
    )
    assert following.methods_attempted == (Method.SMS,)  # EMAIL counts once it is tried
    assert following.channel_statuses == {"SMS": "SENT"}
    assert following.plan is not None
    assert following.plan.next() is None
    with pytest.raises(IllegalTransition):
        states.next_step(following, T0, T0, T0)  # nothing after the last method
    assert states.one_change(sent, following).version == sent.version + 1  # two steps, one write


def test_a_stopped_plan_is_sent_if_anything_went_out_else_cancelled() -> None:
    sent = states.sent(states.attempt(rule_send((Method.SMS, Method.EMAIL)), T0, T0), T0, "m-1")
    waiting = states.next_step(sent, T0, T0 + LATER, T0 + LATER)
    stopped = states.stopped(waiting, T0, "nothing is owed: the invoice is PAID")
    assert (stopped.status, stopped.send_time, stopped.plan) == (S.SENT, None, None)
    assert stopped.history[-1].status == "stopped"
    never = states.stopped(rule_send((Method.SMS,)), T0, "nothing is owed: the invoice is VOID")
    assert (never.status, never.history[-1].status) == (S.CANCELLED, "cancelled")


def test_resume_waits_for_a_send_planned_later_and_sends_one_that_came_due_at_once() -> None:
    later = states.paused(pending(send_time=T0 + LATER), T0)
    assert states.resumed(later, T0).check_at == T0 + LATER
    overdue = states.paused(pending(send_time=T0), T0)
    assert states.resumed(overdue, T0 + LATER).check_at == T0 + LATER
