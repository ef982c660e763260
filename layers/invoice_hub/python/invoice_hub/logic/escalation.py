"""Escalate until paid: a send to a patient that follows a sending rule (Decoda's `{methods[],
delayInDays, message}`) tries the rule's methods in order, the next one `delayInDays` after the previous
send, or at once when the previous one failed for good (a refused number, a declined card, a hard
bounce). While it waits for its next method the delivery is PENDING with that method and its `send_time`;
pausing keeps the plan, resuming continues it, cancelling ends it.

Nothing is sent for an invoice that no longer asks for money: before every send to a patient the Sender
asks what is `owed`, and a delivery whose invoices are all paid, void or written off ends there (SENT if
anything went out, else CANCELLED); a card is charged what is owed then, not what was owed when the rule
began. A day is `day` long: a real day on AWS, seconds locally (DaySeconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery, Method, Plan
from invoice_hub.domain.errors import NotFound
from invoice_hub.domain.invoice import InvoiceStatus
from invoice_hub.domain.money import ZERO, as_integer_cents

OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID})


def plan_of(method: Method, methods: Sequence[Method], delay_days: int, day: timedelta) -> Plan | None:
    """The escalation of a send by `method` under a rule of `methods`: from `method`'s place in the rule
    (or, when the rule does not name it, `method` first and then every method of the rule)."""
    if not methods:
        return None
    delay = int(delay_days * day.total_seconds())
    if method in methods:
        return Plan(methods=tuple(methods), delay_seconds=delay, step=list(methods).index(method))
    return Plan(methods=(method, *methods), delay_seconds=delay)


@dataclass(frozen=True)
class Owed:
    """What a send's invoices still ask for: `cents` (None: not a send to a patient for invoices), and why
    nothing is to be sent any more (`stop`), or None."""

    cents: int | None = None
    stop: str | None = None


@dataclass(frozen=True)
class Escalation:
    invoices: InvoiceRepository

    def owed(self, delivery: Delivery) -> Owed:
        """What the send's invoices still owe, read now. Sends to payers are not the patient's and always
        go."""
        if delivery.destination.kind != "patient_channel" or not delivery.invoice_ids:
            return Owed()
        cents, found = 0, []
        for invoice_id in delivery.invoice_ids:
            try:
                invoice = self.invoices.get(delivery.tenant_id, invoice_id)
            except NotFound:
                continue
            if invoice.status in OPEN and invoice.charges.remaining_amount > ZERO:
                cents += as_integer_cents(invoice.charges.remaining_amount)
            found.append(str(invoice.status))
        if cents > 0:
            return Owed(cents)
        return Owed(0, f"nothing is owed: the invoice is {', '.join(sorted(set(found))) or 'gone'}")

    def stop_reason(self, delivery: Delivery) -> str | None:
        """Why nothing more is to be sent to the patient for this delivery (its invoices owe nothing)."""
        return self.owed(delivery).stop
