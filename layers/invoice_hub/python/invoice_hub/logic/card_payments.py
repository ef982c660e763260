"""A successful card charge is a payment: it is recorded on the invoices it paid, in the same transaction
as the send's SENT, so a charge is never recorded twice (a repeated message finds the send SENT) nor lost
(a Sender that dies before the transaction leaves the send unfinished; its next attempt's charge is
Stripe's replay of the first, and the transaction is made then)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery
from invoice_hub.domain.invoice import Invoice, InvoiceStatus, payment_status
from invoice_hub.domain.money import ZERO, to_cents

OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID})


def paid(invoices: Sequence[Invoice], cents: int, now: datetime) -> list[tuple[Invoice, int]]:
    """The invoices a payment of `cents` changes (oldest first, each up to what it still owes), each
    with the version it was read at."""
    left = Decimal(cents) / 100
    changed: list[tuple[Invoice, int]] = []
    for invoice in sorted(invoices, key=lambda i: i.created_at):
        owed = invoice.charges.remaining_amount
        if left <= ZERO or invoice.status not in OPEN or owed <= ZERO:
            continue
        applied = min(owed, left)
        left -= applied
        charges = invoice.charges.model_copy(
            update={"paid_amount": to_cents(invoice.charges.paid_amount + applied)}
        )
        changed.append(
            (
                invoice.model_copy(
                    update={
                        "charges": charges,
                        "status": payment_status(charges),
                        "updated_at": now,
                        "version": invoice.version + 1,
                    }
                ),
                invoice.version,
            )
        )
    return changed


@dataclass(frozen=True)
class CardPayments:
    invoices: InvoiceRepository
    deliveries: DeliveryRepository

    def record(self, sent: Delivery, now: datetime) -> None:
        """The send's SENT and the payment on its invoices, all or none; VersionConflict if anything
        changed since it was read."""
        current = [self.invoices.get(sent.tenant_id, i) for i in sent.invoice_ids]
        self.invoices.replace_all(
            paid(current, sent.amount_cents, now), also=[self.deliveries.save_request(sent)]
        )
