"""What the channels and the payment processor report of a send after it went out (SES's delivery or
bounce, a declined charge): one history entry per event, with its time and source, applied once per event
id (a delivery keeps the ids of the last events it took), and the channel's status for that method
(Decoda's `emailStatus`, `callStatus`).

A report that the method failed for good (a hard bounce, a complaint) ends that method: a rule with a
further method moves on to it at once; a send with none left is FAILED with the reason, listed for a
person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from invoice_hub.connectors.base import ChannelEvent
from invoice_hub.dal.deliveries import DeliveryNotFound, DeliveryRepository
from invoice_hub.dal.queue_client import SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.outbox import dispatch

#: event ids a delivery remembers (a redelivered event comes within minutes, not after dozens of others)
REMEMBERED = 32


class AlreadyApplied(Exception):
    """The delivery took this event before (a redelivery)."""


class SendInFlight(ServiceBusy):
    """The send is under way: what its channel said is applied once its outcome is recorded (the event is
    told again: SQS redelivers it, a provider sends it again after the 503)."""

    def __init__(self) -> None:
        super().__init__("the send is being recorded; tell this again shortly", retry_after=5)


#: how far along a channel's status is: a later word (delivered) is never replaced by an earlier one
#: (accepted) that arrived late; a failure, or any status not listed, is final
PROGRESS = {
    "sent": 1,
    "accepted": 1,
    "created": 1,
    "rendered": 1,
    "queued": 1,
    "placed": 1,
    "mailed": 2,
    "delayed": 2,
    "successful": 2,
    "in_transit": 2,
    "in_local_area": 2,
    "processed_for_delivery": 2,
    "re-routed": 2,
    "delivered": 3,
    "completed": 3,
}


def progress(status: str) -> int:
    return PROGRESS.get(status.lower(), 4)


@dataclass(frozen=True)
class Report:
    event_id: str
    source: str  # who says so: "SES", "End User Messaging", "Stripe", the provider's name
    method: Method  # the channel the report is about
    history: str  # the history entry's status: "delivered", "bounced", "payment_failed", ...
    channel_status: str  # the method's status as the contracts show it: "DELIVERED", "BOUNCED", ...
    detail: str | None = None  # never patient data
    ends_method: bool = False  # the method failed for good (a hard bounce, a complaint)

    @classmethod
    def of(cls, event: ChannelEvent) -> Report:
        return cls(
            event_id=event.event_id,
            source=event.source,
            method=event.method,
            history=event.history,
            channel_status=event.status,
            detail=event.detail,
            ends_method=event.ends_method,
        )


@dataclass(frozen=True)
class Feedback:
    deliveries: DeliveryRepository
    queue: SendQueue
    stuck_after: timedelta

    def told(self, event: ChannelEvent, now: datetime) -> Delivery | None:
        """What a channel's provider reported, applied to its send (None: unknown send, or told before)."""
        return self.apply(event.tenant_id, event.delivery_id, Report.of(event), now)

    def apply(self, tenant_id: UUID, delivery_id: UUID, report: Report, now: datetime) -> Delivery | None:
        """The delivery with the report applied; None when it is unknown or had this event already."""
        try:
            delivery = self.deliveries.get(tenant_id, delivery_id)
        except DeliveryNotFound:
            return None
        try:
            changed = apply(self.deliveries, delivery, lambda d: self._reported(d, report, now))
        except AlreadyApplied:
            return None
        if report.ends_method:  # the rule's next method may be due now
            dispatch(self.queue, [changed], now)
        return changed

    def _reported(self, delivery: Delivery, report: Report, now: datetime) -> Delivery:
        if report.event_id in delivery.events_applied:
            raise AlreadyApplied(report.event_id)
        if states.in_flight(delivery, now):
            raise SendInFlight()
        said = delivery.channel_statuses.get(str(report.method))
        statuses = delivery.channel_statuses
        if said is None or progress(report.channel_status) >= progress(said):  # a late word never undoes
            statuses = {**statuses, str(report.method): report.channel_status}
        told = states.reported(delivery, now, report.history, report.detail, report.source)
        told = told.model_copy(
            update={
                "events_applied": (*delivery.events_applied, report.event_id)[-REMEMBERED:],
                "channel_statuses": statuses,
            }
        )
        if not report.ends_method:
            return told
        reason = f"{report.method} {report.history}" + (f": {report.detail}" if report.detail else "")
        plan = told.plan
        if told.status is DeliveryStatus.PENDING and told.method is not report.method:
            # the rule already waits for its next method: it goes now
            return states.one_change(delivery, states.send_now(told, now))
        if told.status is DeliveryStatus.SENT and told.method is report.method:
            if plan is not None and plan.next() is not None:
                return states.one_change(delivery, states.next_step(told, now, now, now + self.stuck_after))
            return states.one_change(
                delivery, states.failed(told, now, reason, True, now, report.channel_status)
            )
        return told
