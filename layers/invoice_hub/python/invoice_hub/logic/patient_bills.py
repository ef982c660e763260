"""Decoda's manual invoice: bill a patient by a method (SMS, e-mail, card charge, call, mail).

With charges, an ISSUED invoice is made of them; without, the patient's outstanding invoices are billed
together. Either way one delivery goes to the tenant's patient channel, now or `delayInDays` later, and
escalates through the rule's methods until the invoice is paid (logic/escalation.py).
The invoice, the delivery and the idempotency record are written in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery, Method
from invoice_hub.domain.errors import BusinessRuleViolation
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceQuery, InvoiceStatus, LineItem
from invoice_hub.domain.money import ZERO, as_integer_cents
from invoice_hub.logic.escalation import plan_of
from invoice_hub.logic.issuing import Issued, IssueRequest, Plan, issue, reg_number
from invoice_hub.logic.outbox import Outbox, new_delivery

OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID)
PATIENT_NAMESPACE = uuid.UUID("6b1c3f7e-2f0a-4d8e-9c61-5d3f0e9a7b21")


@dataclass(frozen=True)
class Charge:
    amount_cents: int
    description: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class PatientBill:
    """Bill a patient by a method: these charges, or (none) the patient's outstanding invoices."""

    patient_id: str  # the practice's own id for the patient, any string
    method: Method
    charges: tuple[Charge, ...] = ()
    delay_days: int = 0
    message: str | None = None
    rule: dict[str, Any] | None = None  # the sending rule as given, kept with the send
    methods: tuple[Method, ...] = ()  # the rule's methods: the send escalates through them


def patient_uuid(tenant_id: UUID, patient_id: str) -> UUID:
    """Decoda's patient ids are free strings; the canonical one is a UUID (the same string, the same
    UUID, within a tenant)."""
    try:
        return UUID(patient_id)
    except ValueError:
        return uuid.uuid5(PATIENT_NAMESPACE, f"{tenant_id}:{patient_id}")


@dataclass(frozen=True)
class PatientBills:
    invoices: InvoiceRepository
    outbox: Outbox
    day: timedelta = timedelta(days=1)  # how long a rule's day is (seconds locally: DaySeconds)

    def create(
        self,
        request: IssueRequest,
        bill: PatientBill,
        render: Callable[[Delivery, Invoice | None], str],
        now: datetime | None = None,
    ) -> Issued:
        """The one delivery, rendered by `render` as the 200 answer (with the invoice made of the charges,
        if any)."""
        tenant_id = request.tenant_id
        tenant = self.outbox.tenants.get(tenant_id)
        channel = tenant.patient_channel
        if channel is None:
            raise BusinessRuleViolation("the practice has no patient channel configured", "invoiceMethod")
        patient = patient_uuid(tenant_id, bill.patient_id)
        escalation = plan_of(bill.method, bill.methods, bill.delay_days, self.day)

        def plan(sequence: int, moment: datetime) -> Plan:
            invoice, invoice_ids, amount = self._what_to_bill(tenant_id, patient, bill, sequence, moment)
            delivery = new_delivery(
                tenant_id=tenant_id,
                destination=channel,
                method=bill.method,
                now=moment,
                stuck_after=self.outbox.stuck_after,
                invoice_ids=invoice_ids,
                amount_cents=amount,
                send_time=moment + self.day * bill.delay_days if bill.delay_days else None,
                patient_id=patient,
                message=bill.message,
                rule=bill.rule,
                plan=escalation,
            )
            return Plan(invoice, [delivery])

        return issue(
            self.invoices,
            self.outbox,
            request,
            plan,
            lambda p: (200, render(p.deliveries[0], p.invoice)),
            now,
        )

    def _what_to_bill(
        self, tenant_id: UUID, patient: UUID, bill: PatientBill, sequence: int, now: datetime
    ) -> tuple[Invoice | None, tuple[UUID, ...], int]:
        if bill.charges:
            items = tuple(
                LineItem(
                    id=uuid.uuid4(),
                    description=charge.description or "Charge",
                    code=charge.external_id,
                    quantity=Decimal(1),
                    unit_price=Decimal(charge.amount_cents) / 100,
                )
                for charge in bill.charges
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
