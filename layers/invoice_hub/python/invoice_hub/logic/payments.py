"""Payments: what a card charge or the payment processor reports, recorded once on the invoices it pays.

Every payment is entered in the ledger under the processor's own id (a PaymentIntent) in the same
DynamoDB transaction as the invoices it changes, so a payment told twice (the Sender's charge and then
Stripe's `payment_intent.succeeded` for it, or one event delivered again) is recorded once. A payment is
applied to its invoices oldest first, each up to what it still owes (`paid_amount`, then `PARTIALY_PAID`
or `PAID`); a refund takes back from them in the reverse order and reopens them. When a payment leaves an
invoice owing nothing, the patient sends waiting on it stop at once (they would stop at their next send
anyway: `escalation.Escalation.stop_reason`).

A successful card charge (the Sender) is recorded with the send's SENT in that one transaction: a charge
is never recorded twice (a repeated message finds the send SENT) nor lost (a Sender that dies before the
transaction leaves the send unfinished; its next attempt's charge is Stripe's replay of the first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from invoice_hub.connectors.stripe_events import Paid, Refunded, StripeEvent
from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.dal.payments import LedgerEntry, PaymentLedger
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.domain.errors import IllegalTransition, NotFound, ServiceBusy, VersionConflict
from invoice_hub.domain.invoice import Invoice, InvoiceStatus, payment_status
from invoice_hub.domain.money import ZERO, as_integer_cents, to_cents
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.escalation import Escalation
from invoice_hub.logic.feedback import Feedback, Report

OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID})
#: a payment or refund whose invoices keep changing is tried this often before the caller retries it
ATTEMPTS = 3
STRIPE = "stripe"
WAITING = frozenset({DeliveryStatus.PENDING, DeliveryStatus.PAUSED, DeliveryStatus.FAILED})


@dataclass(frozen=True)
class ReportedPayment:
    """A payment as the processor reports it: its id, the practice and invoices it is for, the amount."""

    provider: str
    reference: str
    tenant_id: UUID
    invoice_ids: tuple[UUID, ...]
    amount_cents: int


def _with_paid(invoice: Invoice, change: Decimal, now: datetime) -> Invoice:
    charges = invoice.charges.model_copy(
        update={"paid_amount": to_cents(invoice.charges.paid_amount + change)}
    )
    return invoice.model_copy(
        update={
            "charges": charges,
            "status": payment_status(charges),
            "updated_at": now,
            "version": invoice.version + 1,
        }
    )


def paid(
    invoices: Sequence[Invoice], cents: int, now: datetime
) -> tuple[list[tuple[Invoice, int]], tuple[tuple[UUID, int], ...]]:
    """The invoices a payment of `cents` changes (oldest first, each up to what it still owes), each with
    the version it was read at; and what it applied to each."""
    left = Decimal(cents) / 100
    changed: list[tuple[Invoice, int]] = []
    applied: list[tuple[UUID, int]] = []
    for invoice in sorted(invoices, key=lambda i: i.created_at):
        owed = invoice.charges.remaining_amount
        if left <= ZERO or invoice.status not in OPEN or owed <= ZERO:
            continue
        part = min(owed, left)
        left -= part
        changed.append((_with_paid(invoice, part, now), invoice.version))
        applied.append((invoice.id, as_integer_cents(part)))
    return changed, tuple(applied)


def taken_back(applied: Sequence[tuple[UUID, int]], refunded_cents: int) -> dict[UUID, int]:
    """How much of each invoice's part a refund total takes back: the last applied first."""
    left, back = refunded_cents, {}
    for invoice_id, cents in reversed(applied):
        back[invoice_id] = min(cents, max(left, 0))
        left -= back[invoice_id]
    return back


@dataclass(frozen=True)
class Payments:
    invoices: InvoiceRepository
    deliveries: DeliveryRepository
    ledger: PaymentLedger

    # -- the Sender's card charge --------------------------------------------------------------------
    def charged(self, sent: Delivery, now: datetime) -> None:
        """The charge's SENT and, unless the processor's event recorded it first, the payment on its
        invoices: all or none; VersionConflict if anything changed since it was read."""
        reference = sent.external_reference
        if reference is None or self.ledger.get(STRIPE, reference) is not None:
            self.deliveries.save(sent)
            return
        current = [self.invoices.get(sent.tenant_id, i) for i in sent.invoice_ids]
        changes, applied = paid(current, sent.amount_cents, now)
        entry = LedgerEntry(STRIPE, reference, sent.tenant_id, applied, sent.amount_cents, 0, now)
        self.invoices.replace_all(
            changes, also=[self.deliveries.save_request(sent), self.ledger.put_request(entry)]
        )

    # -- what the processor reports ------------------------------------------------------------------
    def received(self, payment: ReportedPayment, now: datetime) -> bool:
        """Records a payment on its invoices; False when it was recorded already (nothing changes)."""
        for _ in range(ATTEMPTS):
            if self.ledger.get(payment.provider, payment.reference) is not None:
                return False
            current = self._invoices(payment.tenant_id, payment.invoice_ids)
            changes, applied = paid(current, payment.amount_cents, now)
            entry = LedgerEntry(
                payment.provider, payment.reference, payment.tenant_id, applied, payment.amount_cents, 0, now
            )
            try:
                self.ledger.write(
                    [
                        *({"Put": self.invoices.replace_request(i, v)} for i, v in changes),
                        self.ledger.put_request(entry),
                    ]
                )
            except VersionConflict:
                continue
            self.stop_sends([invoice for invoice, _ in changes], now)
            return True
        raise VersionConflict("the invoices kept changing while the payment was recorded")

    def refunded(self, provider: str, reference: str, refunded_cents: int, now: datetime) -> bool:
        """Takes a refund total (the processor's cumulative amount) back from the payment's invoices, which
        owe it again; False when the ledger already has that total or has no such payment."""
        for _ in range(ATTEMPTS):
            entry = self.ledger.get(provider, reference)
            if entry is None or refunded_cents <= entry.refunded_cents:
                return False
            before, after = (
                taken_back(entry.applied, entry.refunded_cents),
                taken_back(entry.applied, refunded_cents),
            )
            changes = []
            for invoice in self._invoices(entry.tenant_id, tuple(after)):
                back = after[invoice.id] - before[invoice.id]
                if back > 0 and invoice.status in (*OPEN, InvoiceStatus.PAID):
                    changes.append((_with_paid(invoice, -Decimal(back) / 100, now), invoice.version))
            try:
                self.ledger.write(
                    [
                        *({"Put": self.invoices.replace_request(i, v)} for i, v in changes),
                        self.ledger.refund_request(entry, refunded_cents),
                    ]
                )
            except VersionConflict:
                continue
            return True
        raise VersionConflict("the invoices kept changing while the refund was recorded")

    def invoices_of_send(self, tenant_id: UUID, delivery_id: UUID | None) -> tuple[UUID, ...]:
        """The invoices a send (a card charge) was for; () when there is no such send."""
        if delivery_id is None:
            return ()
        try:
            return self.deliveries.get(tenant_id, delivery_id).invoice_ids
        except NotFound:
            return ()

    def _invoices(self, tenant_id: UUID, ids: Sequence[UUID]) -> list[Invoice]:
        found = []
        for invoice_id in ids:
            try:
                found.append(self.invoices.get(tenant_id, invoice_id))
            except NotFound:
                continue
        return found

    # -- what a payment ends -------------------------------------------------------------------------
    def stop_sends(self, invoices: Sequence[Invoice], now: datetime) -> list[Delivery]:
        """Ends the patient sends still waiting on these invoices once they owe nothing."""
        escalation = Escalation(self.invoices)
        stopped = []
        for invoice in invoices:
            if invoice.status in OPEN:
                continue
            for delivery in self.deliveries.of_invoice(invoice.tenant_id, invoice.id):
                reason = escalation.stop_reason(delivery) if delivery.status in WAITING else None
                if reason is None:
                    continue
                try:
                    stopped.append(
                        apply(self.deliveries, delivery, lambda d: _stop(d, now, reason))  # noqa: B023
                    )
                except (IllegalTransition, VersionConflict):
                    continue  # sent or changed meanwhile: its next send asks again
        return stopped


def _stop(delivery: Delivery, now: datetime, reason: str) -> Delivery:
    if delivery.status not in WAITING or states.in_flight(delivery, now):
        raise IllegalTransition("the send is under way or settled")
    return states.stopped(delivery, now, reason, "payment")


def record_stripe(event: StripeEvent, payments: Payments, feedback: Feedback, now: datetime) -> bool:
    """Records what a verified Stripe event tells; False when it adds nothing (a duplicate, or a refund or
    decline of a payment this service does not know)."""
    if isinstance(event, Paid):
        # a card charge's metadata names its first invoice; the send names them all
        invoice_ids = payments.invoices_of_send(event.tenant_id, event.delivery_id) or event.invoice_ids
        reported = ReportedPayment(STRIPE, event.reference, event.tenant_id, invoice_ids, event.amount_cents)
        return payments.received(reported, now)
    if isinstance(event, Refunded):
        if event.ours and payments.ledger.get(STRIPE, event.reference) is None:
            # a charge of ours whose payment is not recorded yet (its own event failed and comes again)
            raise ServiceBusy("the payment this refund takes back is not recorded yet", retry_after=60)
        return payments.refunded(STRIPE, event.reference, event.refunded_cents, now)
    report = Report(
        event_id=event.event_id,
        source="Stripe",
        method=Method.CHARGE_CARD,
        history="payment_failed",
        channel_status=event.code,
        detail=event.code,
    )
    return feedback.apply(event.tenant_id, event.delivery_id, report, now) is not None
