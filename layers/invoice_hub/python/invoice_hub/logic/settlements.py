"""Ending what a patient's sends collect, outside a payment: writing the balance off, or sending it to
collections (Decoda's `write-off` and `to-collections` actions).

Each is all or nothing over the sends named: every one is read and checked first (a send to a patient,
not cancelled, not being sent, its invoices still open), then each send and its invoices are written in
one transaction, so an invoice is never written off while its send goes on. A written-off invoice is
`WRITTEN_OFF` in the Invoice API with its reason; one sent to collections keeps its balance and is tagged
`collections`. Either way the send's rule stops (the send stays SENT if something went out, else it is
CANCELLED) and nothing more goes to the patient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.domain.errors import IllegalTransition, VersionConflict
from invoice_hub.domain.invoice import Invoice, InvoiceStatus
from invoice_hub.logic import delivery_states as states

OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID})
COLLECTIONS_TAG = "collections"
ATTEMPTS = 3
_InvoiceChange = Callable[[Invoice, datetime], Invoice]


@dataclass(frozen=True)
class Settlements:
    deliveries: DeliveryRepository
    invoices: InvoiceRepository

    def write_off(self, tenant_id: UUID, ids: Sequence[UUID], reason: str) -> list[Delivery]:
        def written_off(invoice: Invoice, now: datetime) -> Invoice:
            return invoice.model_copy(
                update={
                    "status": InvoiceStatus.WRITTEN_OFF,
                    "write_off_reason": reason,
                    "updated_at": now,
                    "version": invoice.version + 1,
                }
            )

        return self._settle(tenant_id, ids, f"written off: {reason}", written_off)

    def to_collections(self, tenant_id: UUID, ids: Sequence[UUID]) -> list[Delivery]:
        def collected(invoice: Invoice, now: datetime) -> Invoice:
            return invoice.model_copy(
                update={
                    "tags": tuple(dict.fromkeys((*invoice.tags, COLLECTIONS_TAG))),
                    "updated_at": now,
                    "version": invoice.version + 1,
                }
            )

        return self._settle(tenant_id, ids, "sent to collections", collected)

    def _settle(
        self, tenant_id: UUID, ids: Sequence[UUID], why: str, change: _InvoiceChange
    ) -> list[Delivery]:
        now = datetime.now(UTC)
        current = [self.deliveries.get(tenant_id, i) for i in dict.fromkeys(ids)]
        for delivery in current:
            self._check(delivery, self._invoices(delivery), now)  # all checked before any is written
        return [self._one(delivery, why, change, now) for delivery in current]

    def _invoices(self, delivery: Delivery) -> list[Invoice]:
        return [self.invoices.get(delivery.tenant_id, i) for i in delivery.invoice_ids]

    @staticmethod
    def _check(delivery: Delivery, invoices: Sequence[Invoice], now: datetime) -> None:
        if delivery.destination.kind != "patient_channel":
            raise IllegalTransition("only a send to a patient is settled")
        if delivery.status is DeliveryStatus.CANCELLED:
            raise IllegalTransition("the invoice was cancelled")
        if states.in_flight(delivery, now):
            raise IllegalTransition("the invoice is being sent now; try again in a moment")
        if not invoices or not all(i.status in OPEN for i in invoices):
            found = ", ".join(sorted({str(i.status) for i in invoices})) or "none"
            raise IllegalTransition(f"nothing is owed on the invoice (it is {found})")

    def _one(self, delivery: Delivery, why: str, change: _InvoiceChange, now: datetime) -> Delivery:
        for _ in range(ATTEMPTS):
            invoices = self._invoices(delivery)
            self._check(delivery, invoices, now)
            stopped = states.stopped(delivery, now, why)
            try:
                self.invoices.replace_all(
                    [(change(i, now), i.version) for i in invoices],
                    also=[self.deliveries.save_request(stopped)],
                )
            except VersionConflict:
                delivery = self.deliveries.get(delivery.tenant_id, delivery.id)
                continue
            return stopped
        raise VersionConflict("the invoice kept changing; retry shortly")
