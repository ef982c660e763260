"""Decoda's manual invoice: bill a patient by a method (SMS, e-mail, card charge, call, mail).

With charges, an ISSUED invoice is made of them; without, the patient's outstanding invoices are billed
together. Either way one delivery goes to the tenant's patient channel, now or `delayInDays` later.
The invoice, the delivery and the idempotency record are written in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from invoice_hub.contracts.decoda.models import CreateManualInvoice, InvoiceDetails
from invoice_hub.contracts.invoice_api.models import InvoiceQuery
from invoice_hub.dal import keys
from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.dal.invoices import IdempotencyKeyTaken, InvoiceRepository, SequenceMoved
from invoice_hub.domain.delivery import Method
from invoice_hub.domain.errors import BusinessRuleViolation, ServiceBusy
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineItem
from invoice_hub.domain.money import ZERO, as_integer_cents
from invoice_hub.logic.idempotency import TTL_SECONDS, fingerprint, replay
from invoice_hub.logic.invoices import reg_number
from invoice_hub.logic.outbox import Outbox, dispatch, new_delivery

IDEMPOTENCY_OPERATION = "decoda:create"
ATTEMPTS = 10
OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID)
PATIENT_NAMESPACE = uuid.UUID("6b1c3f7e-2f0a-4d8e-9c61-5d3f0e9a7b21")


def patient_uuid(tenant_id: UUID, patient_id: str) -> UUID:
    """Decoda's patient ids are free strings; the canonical one is a UUID (the same string, the same
    UUID, within a tenant)."""
    try:
        return UUID(patient_id)
    except ValueError:
        return uuid.uuid5(PATIENT_NAMESPACE, f"{tenant_id}:{patient_id}")


@dataclass(frozen=True)
class ManualInvoices:
    invoices: InvoiceRepository
    outbox: Outbox

    def create(
        self,
        tenant_id: UUID,
        data: CreateManualInvoice,
        idempotency_key: str | None,
        now: datetime | None = None,
    ) -> tuple[str, bool]:
        """(the InvoiceDetails JSON, whether it is a replay of the first response)."""
        request_hash = fingerprint(data.model_dump(mode="json"))
        idem_key = (
            keys.idempotency_key(tenant_id, IDEMPOTENCY_OPERATION, idempotency_key)
            if idempotency_key
            else None
        )
        tenant = self.outbox.tenants.get(tenant_id)
        if tenant.patient_channel is None:
            raise BusinessRuleViolation("the practice has no patient channel configured", "invoiceMethod")
        patient = patient_uuid(tenant_id, data.patientId)
        for _ in range(ATTEMPTS):
            moment = now or datetime.now(UTC)
            epoch = int(moment.timestamp())
            context = self.invoices.create_context(tenant_id, idem_key)
            first = replay(context.record, request_hash, epoch)
            if first is not None:
                return first.body, True
            invoice, invoice_ids, amount = self._what_to_bill(
                tenant_id, patient, data, context.last_sequence + 1, moment
            )
            delay = data.rule.delayInDays if data.rule else 0
            delivery = new_delivery(
                tenant_id=tenant_id,
                destination=tenant.patient_channel,
                method=Method(data.invoiceMethod),
                now=moment,
                stuck_after=self.outbox.stuck_after,
                invoice_ids=invoice_ids,
                amount_cents=amount,
                send_time=moment + timedelta(days=delay) if delay else None,
                patient_id=patient,
                message=data.message,
                rule=data.rule.model_dump(mode="json") if data.rule else None,
            )
            body = InvoiceDetails.of(delivery, data.rule).model_dump_json()
            record = IdempotencyRecord(
                request_hash=request_hash, status_code=200, body=body, expiration=epoch + TTL_SECONDS
            )
            idem = (idem_key, record) if idem_key else None
            also = self.outbox.deliveries.put_requests([delivery])
            try:
                if invoice is not None:
                    self.invoices.create(invoice, context.last_sequence + 1, idem, epoch, also)
                else:
                    self.invoices.create_without_invoice(idem, epoch, also)
            except (SequenceMoved, IdempotencyKeyTaken):
                continue
            dispatch(self.outbox.queue, [delivery], moment)
            return body, False
        raise ServiceBusy("too many concurrent creates for this tenant; retry shortly")

    def _what_to_bill(
        self, tenant_id: UUID, patient: UUID, data: CreateManualInvoice, sequence: int, now: datetime
    ) -> tuple[Invoice | None, tuple[UUID, ...], int]:
        if data.charges:
            items = tuple(
                LineItem(
                    id=uuid.uuid4(),
                    description=charge.description or "Charge",
                    code=charge.externalId,
                    quantity=Decimal(1),
                    unit_price=Decimal(charge.amount_cents) / 100,
                )
                for charge in data.charges
            )
            invoice = Invoice(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                reg_number=reg_number(sequence),
                patient_id=patient,
                issue_date=now,
                status=InvoiceStatus.ISSUED,
                charges=Charges(items=items),
                created_at=now,
                updated_at=now,
            )
            return invoice, (invoice.id,), as_integer_cents(invoice.charges.total_amount)
        open_invoices = [
            invoice
            for status in OPEN
            for invoice in self.invoices.list_page(
                tenant_id, InvoiceQuery(patient_id=patient, status=status, limit=500)
            )[1]
        ]
        outstanding = sum((i.charges.remaining_amount for i in open_invoices), ZERO)
        if outstanding <= ZERO:
            raise BusinessRuleViolation(
                "the patient has no outstanding charges; send charges to invoice", "charges"
            )
        return None, tuple(i.id for i in open_invoices), as_integer_cents(outstanding)
