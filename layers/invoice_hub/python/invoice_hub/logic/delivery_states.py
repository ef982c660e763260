"""How a delivery's state moves: pure functions from one frozen Delivery to the next.

Every change bumps the version (writes are conditional on it) and appends to the history, which is
never rewritten. History statuses use eBillingHub's vocabulary where it has a word for the step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from invoice_hub.domain.delivery import SENDABLE, Delivery, DeliveryStatus, HistoryEntry, Method, Plan
from invoice_hub.domain.errors import IllegalTransition

S = DeliveryStatus
#: reasons are cut to this length: they come from external systems and are shown to admins
MAX_REASON = 500


def _next(
    delivery: Delivery,
    now: datetime,
    history: str,
    detail: str | None = None,
    source: str | None = None,
    **changes: Any,
) -> Delivery:
    entry = HistoryEntry(status=history, at=now, detail=detail, source=source)
    return delivery.model_copy(
        update={
            **changes,
            "history": (*delivery.history, entry),
            "updated_at": now,
            "version": delivery.version + 1,
        }
    )


def one_change(before: Delivery, after: Delivery) -> Delivery:
    """`after`, reached from `before` by several steps, as one write: one version on from `before`."""
    return after.model_copy(update={"version": before.version + 1})


def queued(delivery: Delivery, now: datetime, check_at: datetime) -> Delivery:
    """Enqueued (again); if it is still PENDING at `check_at`, the schedule enqueues it once more."""
    return _next(delivery, now, "queued", check_at=check_at)


def attempt(
    delivery: Delivery, now: datetime, claim_until: datetime, check_at: datetime | None = None
) -> Delivery:
    """A send begins: one more attempt, with the method it uses, claimed until `claim_until`; if it is
    still PENDING at `check_at` (the send and its retries died), the schedule enqueues it again."""
    if delivery.status not in SENDABLE:
        raise IllegalTransition(f"a {delivery.status} delivery is not sent")
    methods = delivery.methods_attempted
    if not methods or methods[-1] is not delivery.method:
        methods = (*methods, delivery.method)
    return _next(
        delivery,
        now,
        "sending",
        status=S.PENDING,
        attempts=delivery.attempts + 1,
        last_attempt_at=now,
        methods_attempted=methods,
        claimed_until=claim_until,
        check_at=check_at or claim_until,
        dlq_until=None,
    )


def check_after_claim(delivery: Delivery, claim_until: datetime, stuck_after: timedelta) -> datetime:
    """When the schedule looks at a claimed send that is still PENDING (its send and its retries died):
    where the work index already holds it, when that is no earlier than the claim's end, so the claim
    leaves the index's entry alone (no index write: decision 024); otherwise `stuck_after` past the
    claim's end, as every claim did before. Either way the schedule never meets a live claim."""
    if delivery.check_at is not None and delivery.check_at >= claim_until:
        return delivery.check_at
    return claim_until + stuck_after


def in_flight(delivery: Delivery, now: datetime) -> bool:
    """Another send of this delivery is under way (its claim has not expired)."""
    return delivery.claimed_until is not None and delivery.claimed_until > now


def unfinished(delivery: Delivery) -> bool:
    """An earlier attempt claimed this delivery and never recorded its outcome (its Sender died, or the
    outcome could not be written): that send may have reached the external system. Every outcome clears
    the claim; nothing else does."""
    return delivery.claimed_until is not None


def _channel(delivery: Delivery, channel_status: str | None) -> dict[str, Any]:
    """The fields that keep what the current method's channel said (nothing when it said nothing)."""
    if channel_status is None:
        return {}
    return {
        "channel_statuses": {**delivery.channel_statuses, str(delivery.method): channel_status},
    }


def sent(
    delivery: Delivery,
    now: datetime,
    external_reference: str | None,
    detail: str | None = None,
    channel_status: str | None = None,
) -> Delivery:
    history = "ebilled" if delivery.method is Method.EBILL else "sent"
    return _next(
        delivery,
        now,
        history,
        detail,
        status=S.SENT,
        sent_at=now,
        check_at=None,
        dlq_until=None,
        external_reference=external_reference,
        failed_reason=None,
        failure_kind=None,
        claimed_until=None,
        **_channel(delivery, channel_status or "SENT"),
    )


def failed(
    delivery: Delivery,
    now: datetime,
    reason: str,
    permanent: bool,
    dlq_until: datetime,
    channel_status: str | None = None,
) -> Delivery:
    """Sending gave up; the message is in the DLQ (SQS moved it, or the Sender put it there) until
    `dlq_until`, the DLQ's retention."""
    reason = reason[:MAX_REASON]
    return _next(
        delivery,
        now,
        "failed",
        reason,
        status=S.FAILED,
        **_channel(delivery, channel_status or "FAILED"),
        failed_reason=reason,
        failure_kind="permanent" if permanent else "transient",
        claimed_until=None,
        check_at=None,
        dlq_until=dlq_until,
    )


def retrying(
    delivery: Delivery,
    now: datetime,
    reason: str,
    channel_status: str | None = None,
    stuck_after: timedelta | None = None,
) -> Delivery:
    """A transient failure with receives left: the message comes back after a back-off. With
    `stuck_after`, the schedule looks at it no sooner than `stuck_after` past this attempt's claim (where a
    claim that left the work index alone did not put it: `check_after_claim`)."""
    reason = reason[:MAX_REASON]
    check_at = delivery.check_at
    if stuck_after is not None and delivery.claimed_until is not None:
        at_least = delivery.claimed_until + stuck_after
        check_at = max(check_at, at_least) if check_at else at_least
    return _next(
        delivery,
        now,
        "retrying",
        reason,
        failed_reason=reason,
        claimed_until=None,
        check_at=check_at,
        **_channel(delivery, channel_status),
    )


def redriven(delivery: Delivery, now: datetime, by: str, check_at: datetime) -> Delivery:
    """FAILED back to PENDING: put back to work by retry-all or the schedule."""
    if delivery.status is not S.FAILED:
        raise IllegalTransition(f"only a FAILED delivery is re-driven; this one is {delivery.status}")
    rounds = delivery.redrive_rounds + (1 if by == "schedule" else 0)
    return _next(
        delivery,
        now,
        "retrying",
        f"re-driven by {by}",
        status=S.PENDING,
        redrive_rounds=rounds,
        check_at=check_at,
        dlq_until=None,
    )


def paused(delivery: Delivery, now: datetime) -> Delivery:
    if delivery.status not in (S.PENDING, S.FAILED):
        raise IllegalTransition(f"a {delivery.status} delivery cannot be paused")
    return _next(delivery, now, "paused", status=S.PAUSED, paused_at=now, check_at=None)


def resumed(delivery: Delivery, now: datetime) -> Delivery:
    """Back to work where it stood: a send planned for later (the rule's next step) waits for its time."""
    if delivery.status is not S.PAUSED:
        raise IllegalTransition(f"a {delivery.status} delivery cannot be resumed")
    if held_as_new(delivery):
        raise IllegalTransition(
            "an invoice submitted to a payer as new is sent when the Submission API makes it ready"
        )
    check_at = max(now, delivery.send_time) if delivery.send_time else now
    return _next(delivery, now, "queued", "resumed", status=S.PENDING, resumed_at=now, check_at=check_at)


def cancelled(delivery: Delivery, now: datetime) -> Delivery:
    if delivery.status not in (S.PENDING, S.FAILED, S.PAUSED):
        raise IllegalTransition(f"a {delivery.status} delivery cannot be cancelled")
    return _next(delivery, now, "cancelled", status=S.CANCELLED, check_at=None)


def send_now(delivery: Delivery, now: datetime) -> Delivery:
    if delivery.status not in (S.PENDING, S.FAILED):
        raise IllegalTransition(f"a {delivery.status} delivery cannot be sent now")
    return _next(delivery, now, "queued", "send now", status=S.PENDING, send_time=now, check_at=now)


def with_method(delivery: Delivery, now: datetime, method: Method) -> Delivery:
    """Retry with another method: the delivery goes back to work and `methods_attempted` grows on send."""
    if delivery.status not in (S.FAILED, S.PENDING, S.PAUSED):
        raise IllegalTransition(f"a {delivery.status} delivery cannot be retried with another method")
    return _next(
        delivery,
        now,
        "queued",
        f"retry with {method}",
        status=S.PENDING,
        method=method,
        send_time=now,
        check_at=now,
    )


def next_step(delivery: Delivery, now: datetime, send_time: datetime, check_at: datetime) -> Delivery:
    """The sending rule moves on to its next method, sent at `send_time` (PENDING until then; if still
    PENDING at `check_at`, the schedule enqueues it)."""
    plan = delivery.plan
    method = plan.next() if plan else None
    if plan is None or method is None:
        raise IllegalTransition("the sending rule has no further method")
    return _next(
        delivery,
        now,
        "queued",
        f"next method of the rule: {method}",
        status=S.PENDING,
        method=method,
        plan=plan.advanced(),
        send_time=send_time,
        check_at=check_at,
        claimed_until=None,
        dlq_until=None,
        failed_reason=None,
        failure_kind=None,
    )


def stopped(delivery: Delivery, now: datetime, reason: str, source: str | None = None) -> Delivery:
    """Nothing more is sent (the invoice is paid, void or written off): a delivery that went out stays
    SENT (its method the last one tried), one that never did is CANCELLED; the rule's plan ends."""
    went_out = delivery.sent_at is not None
    tried = delivery.methods_attempted
    return _next(
        delivery,
        now,
        "stopped" if went_out else "cancelled",
        reason[:MAX_REASON],
        source,
        status=S.SENT if went_out else S.CANCELLED,
        method=tried[-1] if tried else delivery.method,  # the method planned next was never used
        send_time=None,
        check_at=None,
        claimed_until=None,
        dlq_until=None,
        plan=None,
    )


def reported(delivery: Delivery, now: datetime, history: str, detail: str | None, source: str) -> Delivery:
    """What a channel or the payment processor said of the send, as one history entry (no state change)."""
    return _next(delivery, now, history, detail, source)


def resent(delivery: Delivery, now: datetime, notify_failure: bool) -> Delivery:
    """A webhook event put back to be sent again now, whatever became of it (a person asked): the same id
    and body, with the request's choice of being told of a failure; not while an attempt is under way."""
    if delivery.event is None:
        raise IllegalTransition("only a webhook event is resent")
    if in_flight(delivery, now):
        raise IllegalTransition("the event is being sent now")
    return _next(
        delivery,
        now,
        "queued",
        "resend",
        event=delivery.event.model_copy(update={"notify_failure": notify_failure}),
        status=S.PENDING,
        send_time=now,
        check_at=now,
        dlq_until=None,
        failure_kind=None,
        redrive_rounds=0,
        claimed_until=None,
    )


def rescheduled(delivery: Delivery, now: datetime, method: Method, send_time: datetime | None) -> Delivery:
    """How and when its next send goes (Decoda's update): the method, and the time (None: the time it had,
    or now); a paused send stays paused with them, a failed one is put back to work."""
    if delivery.status not in (S.PENDING, S.PAUSED, S.FAILED) or in_flight(delivery, now):
        raise IllegalTransition(f"a {delivery.status} send has no next send to change")
    at = send_time or delivery.send_time or now
    status = S.PAUSED if delivery.status is S.PAUSED else S.PENDING
    return _next(
        delivery,
        now,
        "paused" if status is S.PAUSED else "queued",
        f"next send by {method} at {at.isoformat()}",
        status=status,
        method=method,
        send_time=at,
        check_at=None if status is S.PAUSED else max(at, now),
        dlq_until=None,
    )


def following(
    delivery: Delivery,
    now: datetime,
    plan: Plan,
    rule: dict[str, Any],
    message: str | None,
    rule_set_id: UUID,
    send_time: datetime,
) -> Delivery:
    """The send follows another rule (Decoda's change rule set): its methods from the first, the first at
    `send_time`; a paused send stays paused, a sent or failed one is put back to work."""
    if delivery.status is S.CANCELLED or in_flight(delivery, now):
        raise IllegalTransition(f"a {delivery.status} send cannot change its rule set")
    paused = delivery.status is S.PAUSED
    return _next(
        delivery,
        now,
        "paused" if paused else "queued",
        f"rule set changed: {rule.get('name')}",
        status=S.PAUSED if paused else S.PENDING,
        plan=plan,
        method=plan.methods[0],
        rule=rule,
        message=message or delivery.message,
        rule_set_id=rule_set_id,
        send_time=send_time,
        check_at=None if paused else max(send_time, now),
        failed_reason=None,
        failure_kind=None,
        dlq_until=None,
    )


def held_as_new(delivery: Delivery) -> bool:
    """A send to a payer held as `new`: waiting for its attachments, or a proforma (never sent)."""
    held = delivery.payer_invoice
    return held is not None and (held.proforma or held.awaits_attachments)


def held(delivery: Delivery, now: datetime, detail: str) -> Delivery:
    """A send to a payer just made, held as `new` (it is not sent until made ready; a proforma never)."""
    return delivery.model_copy(
        update={
            "status": S.PAUSED,
            "paused_at": now,
            "check_at": None,
            "history": (HistoryEntry(status="new", at=now, detail=detail),),
        }
    )


def made_ready(delivery: Delivery, now: datetime, by: str | None) -> Delivery:
    """A send held as `new` for its attachments is received and sent now."""
    invoice = delivery.payer_invoice
    if invoice is not None and invoice.proforma and delivery.status is S.PAUSED:
        raise IllegalTransition("a proforma invoice is not sent; submit it as FinalInvoice")
    if delivery.status is not S.PAUSED or invoice is None or not invoice.awaits_attachments:
        raise IllegalTransition("the invoice was already sent to the payer")
    ready = _next(
        delivery,
        now,
        "received",
        f"made ready by {by}" if by else "made ready",
        status=S.PENDING,
        payer_invoice=invoice.model_copy(update={"awaits_attachments": False}),
        resumed_at=now,
        send_time=now,
        check_at=now,
    )
    return one_change(delivery, _next(ready, now, "queued"))


def payer_status_set(delivery: Delivery, now: datetime, status: str, note: str, source: str) -> Delivery:
    """A status the billing organisation sets for a send to a payer (eBillingHub's status update), in the
    payer's vocabulary. `received` sends it again (a resubmission); `dead` stops one not yet sent; any
    other status is only said of a send the payer has."""
    note = note[:MAX_REASON]
    if status == "received":
        if delivery.status not in (S.SENT, S.FAILED) or in_flight(delivery, now):
            raise IllegalTransition(f"a {delivery.status} send is not resubmitted")
        return _next(
            delivery,
            now,
            status,
            note,
            source,
            status=S.PENDING,
            send_time=now,
            check_at=now,
            dlq_until=None,
            failed_reason=None,
            failure_kind=None,
            claimed_until=None,
        )
    if delivery.status is S.SENT:
        return _next(delivery, now, status, note, source)
    if status == "dead" and delivery.status is not S.CANCELLED and not in_flight(delivery, now):
        return _next(
            delivery,
            now,
            status,
            note,
            source,
            status=S.CANCELLED,
            check_at=None,
            dlq_until=None,
            claimed_until=None,
        )
    raise IllegalTransition("the invoice has not reached the payer yet; it may only be made dead")


def superseded(delivery: Delivery, now: datetime) -> Delivery:
    """A send to a payer that a resubmission of its invoice replaces: it ends (`dead` in the payer's
    words); one that went out stays SENT, one that did not is CANCELLED. Never refused: the resubmission
    is written already."""
    if delivery.status in (S.SENT, S.CANCELLED):
        return _next(delivery, now, "cancelled", "superseded by a resubmission")
    return _next(
        delivery,
        now,
        "cancelled",
        "superseded by a resubmission",
        status=S.CANCELLED,
        check_at=None,
        dlq_until=None,
        claimed_until=None,
    )
