"""Sending one delivery named by one SendQueue message: claim it, send it, record what happened.

A delivery already SENT, CANCELLED or PAUSED, not yet due, or being sent by another consumer is
acknowledged without a send: duplicate, late and re-driven messages are harmless. The claim is a
version-conditional write, so two consumers never both send. A consumer that dies mid-send (or whose
outcome write is refused) leaves a claim that expires; the next attempt sees that unfinished claim and
first asks the external system whether the earlier send arrived: if it did, SENT is recorded with the
first send's reference and nothing is sent again; if it did not, or the system cannot say, it sends
with the same Idempotency-Key, which the external system recognises. A channel whose provider takes no
idempotency key (SES, End User Messaging SMS) is never sent again after an unfinished attempt: that send
fails as "unconfirmed", and a person decides (docs/decisions/010-channels-and-what-they-never-do-twice.md).

The connector is picked by the delivery's method (`Channels`); what it carries is composed by
`parcels.Composer` (a send whose channel lacks what it needs fails at once, permanently). A successful
card charge is recorded on its invoices with the send's SENT, in one transaction (`payments`).

A send that follows a sending rule (`escalation`): before it is claimed, its invoices are read, and one that
owes nothing is not sent (the plan stops: outcome "stopped"). After a send, the rule's next method is
planned `delay` later in the same write; after a permanent failure it is planned at once ("escalated",
not put in the DLQ). A next step due within 15 minutes is enqueued as a delayed message; a later one waits
in the work index for the schedule (docs/decisions/012-rules-escalate-on-the-work-index.md).

DynamoDB throttling that outlasts the SDK's retries (ServiceBusy) ends the attempt as a retry of the
message: before the claim nothing happened; after the send, the message comes back once the claim has
expired, so the next receive checks instead of being turned away as a send under way.

Counts `Sends`, `SendFailures` and `Redrives` (a FAILED delivery re-driven from the DLQ by the console).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub import metrics
from invoice_hub.connectors.base import Connector, Parcel, SendResult
from invoice_hub.dal.deliveries import DeliveryNotFound, DeliveryRepository
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue
from invoice_hub.domain.delivery import SETTLED, Delivery, DeliveryStatus, Method
from invoice_hub.domain.errors import ServiceBusy, VersionConflict
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.escalation import Owed
from invoice_hub.logic.outbox import dispatch

if TYPE_CHECKING:
    from invoice_hub.logic.payments import Payments
from invoice_hub.observability import logger

Outcome = Literal["sent", "skipped", "rejected", "retry", "exhausted", "escalated", "stopped"]
SAVE_ATTEMPTS = 3


class CredentialsMissing(Exception):
    """A destination's credential parameter does not exist (a permanent failure of its sends)."""


class CredentialsUnavailable(Exception):
    """A destination's credential could not be read just now (throttling, the network)."""


UNCONFIRMED = (
    "unconfirmed: an earlier attempt may have reached the patient, and {system} cannot be asked; "
    "not sent again (retry it to send it anyway)"
)


class Channels:
    """The connector of each method, each built on its first use (a Sender that only e-mails never
    imports the Stripe SDK)."""

    def __init__(self, factories: dict[Method, Callable[[], Connector]]) -> None:
        self.factories = factories
        self.built: dict[Method, Connector] = {}

    def connector(self, method: Method) -> Connector | None:
        if method not in self.built and method in self.factories:
            self.built[method] = self.factories[method]()
        return self.built.get(method)


class Compose(Protocol):
    def parcel(self, delivery: Delivery, credential: str | None) -> Parcel | SendResult: ...


def nothing_owed(_: Delivery) -> Owed:
    return Owed()


@dataclass(frozen=True)
class SendPolicy:
    max_receive_count: int
    backoff_seconds: int
    claim_seconds: int
    dlq_retention: timedelta
    stuck_after: timedelta


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    backoff_seconds: int = 0


@dataclass(frozen=True)
class Claim:
    delivery: Delivery  # as claimed for this attempt
    unfinished: bool  # an earlier attempt's outcome was never recorded: it may have been delivered


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(policy: SendPolicy, receive_count: int, retry_after: int | None) -> int:
    """Growing back-off between receives, never shorter than the external system's Retry-After."""
    grown = policy.backoff_seconds * 2 ** max(0, receive_count - 1)
    return max(grown, retry_after or 0)


class Sender:
    def __init__(
        self,
        repo: DeliveryRepository,
        queue: SendQueue,
        channels: Channels,
        compose: Compose,
        credentials: Callable[[str], str],
        policy: SendPolicy,
        payments: Payments | None = None,
        clock: Callable[[], datetime] = utcnow,
        owed: Callable[[Delivery], Owed] = nothing_owed,
        on_given_up: Callable[[Delivery], None] = lambda _: None,
    ) -> None:
        self.repo = repo
        self.queue = queue
        self.channels = channels
        self.compose = compose
        self.credentials = credentials
        self.policy = policy
        self.payments = payments
        self.clock = clock
        #: what a send's invoices still owe, read before it is claimed (escalation.Escalation.owed)
        self.owed = owed
        #: told of a send that failed for good (after its last automatic retry)
        self.on_given_up = on_given_up

    def handle(self, ref: DeliveryRef, receive_count: int) -> Attempt:
        try:
            claim = self._claim(ref)
        except ServiceBusy:  # nothing was claimed: try again after the usual back-off
            logger.warning("store busy before the send", extra={"delivery_id": str(ref.delivery_id)})
            return Attempt("retry", backoff(self.policy, receive_count, None))
        if claim is None:
            return Attempt("skipped")
        if isinstance(claim, Attempt):
            return claim
        result = self._deliver(claim)
        try:
            attempt = self._record(ref, claim.delivery, result, receive_count)
        except ServiceBusy:
            logger.warning("store busy after the send", extra={"delivery_id": str(ref.delivery_id)})
            return Attempt("retry", self._until_claim_expires(claim.delivery))
        if attempt.outcome != "stopped":
            metrics.count(metrics.SENDS if attempt.outcome == "sent" else metrics.SEND_FAILURES)
        return attempt

    def _until_claim_expires(self, claimed: Delivery) -> int:
        """Seconds until this attempt's claim has expired (when the next receive will check, not skip)."""
        left = (claimed.claimed_until or self.clock()) - self.clock()
        return max(self.policy.backoff_seconds, int(left.total_seconds()) + 1)

    def _claim(self, ref: DeliveryRef) -> Claim | Attempt | None:
        """The delivery, claimed for this send; None when there is nothing to send (settled, not due, or
        another consumer's claim), or the attempt that ended it (its invoice owes nothing: the plan
        stops, nothing is sent). A write that slipped in between read and claim (a re-drive, a pause) is
        read again and judged afresh, so the message is not let go for a change that still wants it."""
        for _ in range(SAVE_ATTEMPTS):
            try:
                delivery = self.repo.get(ref.tenant_id, ref.delivery_id)
            except DeliveryNotFound:
                logger.warning("message names no delivery", extra={"delivery_id": str(ref.delivery_id)})
                return None
            now = self.clock()
            if delivery.status in SETTLED or not delivery.due(now) or states.in_flight(delivery, now):
                return None
            # an unfinished attempt may have charged or reached the patient: its outcome is found first
            owed = Owed() if states.unfinished(delivery) else self.owed(delivery)
            reason = owed.stop
            if reason is not None:
                changed = states.stopped(delivery, now, reason)
            else:
                claim_until = now + timedelta(seconds=self.policy.claim_seconds)
                # if this send dies with its message's last receive, the schedule still finds it PENDING
                # then: where the work index has it already (after the claim), or stuck_after past the claim
                check_at = states.check_after_claim(delivery, claim_until, self.policy.stuck_after)
                changed = states.attempt(delivery, now, claim_until, check_at=check_at)
                if delivery.method is Method.CHARGE_CARD and owed.cents is not None:
                    # a card is charged what is owed now (a part may have been paid since the rule began)
                    changed = changed.model_copy(
                        update={"amount_cents": min(changed.amount_cents, owed.cents)}
                    )
            try:
                self.repo.save(changed)
            except VersionConflict:
                continue
            if reason is not None:
                return Attempt("stopped")
            if delivery.status is DeliveryStatus.FAILED:  # its DLQ message re-driven (the console)
                metrics.count(metrics.REDRIVES)
            return Claim(changed, unfinished=states.unfinished(delivery))
        return None

    def _deliver(self, claim: Claim) -> SendResult:
        """The send's result; after an unfinished attempt, the external system is asked first, and a send
        it already has is taken as this attempt's success without sending again."""
        delivery = claim.delivery
        connector = self.channels.connector(delivery.method)
        if connector is None:
            return SendResult(ok=False, permanent=True, reason=f"no channel sends {delivery.method}")
        if claim.unfinished and not connector.idempotent:
            return SendResult(ok=False, permanent=True, reason=UNCONFIRMED.format(system=delivery.method))
        credential = None
        name = connector.credential_name(delivery)
        if name:
            try:
                credential = self.credentials(name)
            except CredentialsMissing:
                return SendResult(
                    ok=False, permanent=True, reason=f"credentials of {delivery.system} are missing"
                )
        try:
            parcel = self.compose.parcel(delivery, credential)
        except (ServiceBusy, ClientError, BotoCoreError) as error:  # nothing was sent: try again later
            logger.warning(
                "send not composed", extra={"delivery_id": str(delivery.id), "error": type(error).__name__}
            )
            return SendResult(ok=False, reason=f"not composed: {type(error).__name__}")
        if isinstance(parcel, SendResult):
            return parcel
        if claim.unfinished:
            check = connector.status(parcel)
            logger.info(
                "status of an unfinished send", extra={"delivery_id": str(delivery.id), "found": check.found}
            )
            if check.found == "delivered":
                return SendResult(ok=True, external_reference=check.external_reference, confirmed=True)
        return connector.send(parcel)

    def _record(self, ref: DeliveryRef, claimed: Delivery, result: SendResult, receive_count: int) -> Attempt:
        now = self.clock()
        dlq_until = now + self.policy.dlq_retention
        if result.ok:
            detail = f"{claimed.system} already had it" if result.confirmed else None
            paid = claimed.method is Method.CHARGE_CARD and result.channel_status == "succeeded"

            def sent(d: Delivery) -> Delivery:
                done = states.sent(d, now, result.external_reference, detail, result.channel_status)
                if paid or d.status is DeliveryStatus.CANCELLED:
                    # a charge that went through ends the rule; so does a cancel meanwhile
                    return done.model_copy(update={"plan": None})
                return states.one_change(d, self._then(done, now, d.status is DeliveryStatus.PAUSED))

            if paid and self.payments:
                saved: Delivery | None = self._save_with_payment(ref, claimed, sent, now)
            else:
                saved = self._save(ref, claimed, sent, always=True)
            self._enqueue_next(saved, now)
            return Attempt("sent")
        if result.permanent:
            if claimed.plan is not None and claimed.plan.next() is not None:
                # failed for good: the rule moves on at once
                saved = self._save(
                    ref,
                    claimed,
                    lambda d: states.one_change(
                        d,
                        states.next_step(
                            states.failed(d, now, result.reason, True, dlq_until, result.channel_status),
                            now,
                            now,
                            now + self.policy.stuck_after,
                        ),
                    ),
                )
                self._enqueue_next(saved, now)
                return Attempt("escalated")
            saved = self._save(
                ref,
                claimed,
                lambda d: states.failed(d, now, result.reason, True, dlq_until, result.channel_status),
            )
            self.queue.to_dlq(ref)
            self._given_up(saved)
            return Attempt("rejected")
        if receive_count >= self.policy.max_receive_count:
            saved = self._save(
                ref,
                claimed,
                lambda d: states.failed(d, now, result.reason, False, dlq_until, result.channel_status),
            )
            self._given_up(saved)
            return Attempt("exhausted")
        self._save(
            ref,
            claimed,
            lambda d: states.retrying(d, now, result.reason, result.channel_status, self.policy.stuck_after),
        )
        return Attempt("retry", backoff(self.policy, receive_count, result.retry_after))

    def _given_up(self, saved: Delivery | None) -> None:
        """A send that failed and that the schedule will not re-drive by itself is told to whoever watches
        it (a webhook's notification e-mail); a failure in telling it does not undo the outcome."""
        if saved is None or saved.status is not DeliveryStatus.FAILED or self.repo.redrive.due(saved):
            return
        try:
            self.on_given_up(saved)
        except (ServiceBusy, ClientError, BotoCoreError) as error:
            logger.warning(
                "failure not told", extra={"delivery_id": str(saved.id), "error": type(error).__name__}
            )

    def _then(self, sent: Delivery, now: datetime, paused: bool) -> Delivery:
        """After a send, the rule's next method (if it has one) is planned `delay` later; a delivery a
        person paused during the send keeps that plan, paused."""
        plan = sent.plan
        if plan is None or plan.next() is None:
            return sent
        at = now + timedelta(seconds=plan.delay_seconds)
        following = states.next_step(sent, now, at, at if at > now else now + self.policy.stuck_after)
        return states.paused(following, now) if paused else following

    def _enqueue_next(self, saved: Delivery | None, now: datetime) -> None:
        """A next step due now, or soon enough for SQS to hold its message, is enqueued at once; a later
        one waits in the work index for the schedule."""
        if saved is not None and saved.status is DeliveryStatus.PENDING:
            dispatch(self.queue, [saved], now)

    def _save_with_payment(
        self, ref: DeliveryRef, claimed: Delivery, change: Callable[[Delivery], Delivery], now: datetime
    ) -> Delivery | None:
        """SENT and the payment on the invoices, in one transaction, on the versions read."""
        assert self.payments is not None
        current = claimed
        for _ in range(SAVE_ATTEMPTS):
            changed = change(current)
            try:
                self.payments.charged(changed, now)
                return changed
            except VersionConflict:
                current = self.repo.get(ref.tenant_id, ref.delivery_id)
                if current.status is DeliveryStatus.SENT:
                    return None
        raise VersionConflict("the delivery or its invoice kept changing while the charge was recorded")

    def _save(
        self,
        ref: DeliveryRef,
        claimed: Delivery,
        change: Callable[[Delivery], Delivery],
        always: bool = False,
    ) -> Delivery | None:
        """Records an outcome on the claimed version (and returns it as saved); if a user paused or
        cancelled meanwhile, a success is still recorded (it happened), a failure is not (their decision
        stands: None)."""
        current = claimed
        for _ in range(SAVE_ATTEMPTS):
            changed = change(current)
            try:
                self.repo.save(changed)
                return changed
            except VersionConflict:
                current = self.repo.get(ref.tenant_id, ref.delivery_id)
                if current.status in SETTLED and not always:
                    return None
        raise VersionConflict("the delivery kept changing while its outcome was recorded")
