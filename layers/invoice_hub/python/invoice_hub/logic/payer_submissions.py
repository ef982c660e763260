"""eBillingHub: submissions of an invoice to payer organisations, made ready and given statuses.

Each payer of a submission is one delivery to the tenant's payer hub, through the same SendQueue,
Sender and DLQ as every other send; `logic/payer_statuses.py` tells its history in the payer's vocabulary
and reads it. A send held as `new` waits for its attachments until it is made ready (then received and
sent), or is a proforma, which is never sent.
Only an invoice that a payer rejected, asked more information for, or that is under appeal may be
submitted (or set received) again; nothing leaves dead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from uuid import UUID

from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Matter, Method, PayerInvoice
from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition, NotFound
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineDraft, LineItem
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.issuing import Issued, IssueRequest, Plan, Renderer, issue, reg_number, utcnow
from invoice_hub.logic.outbox import Outbox, dispatch, new_delivery
from invoice_hub.logic.payer_statuses import STATUS_UPDATE, PayerStatuses, current_status, latest_per_payer

RESUBMITTABLE = frozenset({"rejected", "more info required", "appealed"})
PATIENT_NAMESPACE = uuid.UUID("0f6f6f55-77d4-4f8e-9f1c-2f3b9b1d7c10")


@dataclass(frozen=True)
class Payer:
    org_id: str
    ebilling_id: str
    name: str | None = None


@dataclass(frozen=True)
class PayerSubmission:
    """An invoice the billing organisation submits to payers, by its own invoice number; a proforma is
    kept and never sent, and one awaiting attachments is sent when made ready."""

    invoice_id: str
    lines: tuple[LineDraft, ...]
    payers: tuple[Payer, ...]
    invoice_date: date | None = None
    patient_id: UUID | None = None
    encounter_id: UUID | None = None
    period_start: date | None = None
    period_end: date | None = None
    matters: tuple[Matter, ...] = ()
    proforma: bool = False
    awaits_attachments: bool = False


@dataclass(frozen=True)
class Submissions:
    invoices: InvoiceRepository
    outbox: Outbox

    def submit(
        self,
        request: IssueRequest,
        data: PayerSubmission,
        username: str | None,
        render: Renderer,
    ) -> Issued:
        """One delivery per payer, to the tenant's payer hub; a submission to a payer that rejected the
        invoice takes over from the earlier one."""
        tenant_id = request.tenant_id
        hub = next(
            (d for d in self.outbox.tenants.get(tenant_id).destinations if d.kind == "payer_hub"), None
        )
        if hub is None:
            raise BusinessRuleViolation("the billing organisation has no payer hub configured", "Payors")

        def plan(sequence: int, now: datetime) -> Plan:
            superseded = self._superseded(tenant_id, data)
            invoice = self._invoice(tenant_id, data, sequence, now)
            submission = uuid.uuid4()
            created = [
                new_delivery(
                    tenant_id=tenant_id,
                    destination=hub,
                    method=Method.EBILL,
                    now=now,
                    stuck_after=self.outbox.stuck_after,
                    submission_id=submission,
                    invoice_ids=(invoice.id,),
                    amount_cents=as_integer_cents(invoice.charges.total_amount),
                    appointment_id=data.encounter_id,
                    patient_id=invoice.patient_id,
                    payor_org_id=payer.org_id,
                    payor_org_ebilling_id=payer.ebilling_id,
                    external_invoice_id=data.invoice_id,
                    payer_invoice=PayerInvoice(
                        hub_reference=sequence,
                        invoice_date=invoice.issue_date.date(),
                        period_start=data.period_start,
                        period_end=data.period_end,
                        matters=data.matters,
                        payer_name=payer.name,
                        proforma=data.proforma,
                        awaits_attachments=data.awaits_attachments,
                    ),
                )
                for payer in data.payers
            ]
            if data.proforma or data.awaits_attachments:
                why = "proforma: not sent" if data.proforma else "waiting for attachments"
                created = [states.held(d, now, why) for d in created]
            if username:
                created = [_with_first_detail(d, f"submitted by {username}") for d in created]

            def take_over() -> None:  # the payer rejected it (or it was a proforma): the new one takes over
                for old in superseded:
                    apply(self.outbox.deliveries, old, partial(states.superseded, now=now))

            return Plan(invoice, created, then=take_over)

        return issue(self.invoices, self.outbox, request, plan, render)

    def _superseded(self, tenant_id: UUID, data: PayerSubmission) -> list[Delivery]:
        """The earlier sends of this invoice to these payers, which it replaces; refused unless each may
        be resubmitted."""
        payers = {payer.org_id for payer in data.payers}
        earlier = [
            d
            for d in self.outbox.deliveries.of_external_invoice(tenant_id, data.invoice_id)
            if d.payor_org_id in payers
        ]
        superseded = []
        for delivery in earlier:
            status = current_status(delivery)
            if status == "dead":
                continue  # closed for good; a new submission starts afresh
            if delivery.payer_invoice is not None and delivery.payer_invoice.proforma:
                superseded.append(delivery)  # a proforma gives way to the invoice it announced
                continue
            _resubmittable(delivery, status)
            superseded.append(delivery)
        return superseded

    @staticmethod
    def _invoice(tenant_id: UUID, data: PayerSubmission, sequence: int, now: datetime) -> Invoice:
        items = tuple(
            LineItem(
                id=uuid.uuid4(),
                description=line.description,
                code=line.code,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in data.lines
        )
        issued = (
            datetime(data.invoice_date.year, data.invoice_date.month, data.invoice_date.day, tzinfo=UTC)
            if data.invoice_date
            else now
        )
        return Invoice(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            reg_number=reg_number(sequence),
            external_id=data.invoice_id,
            patient_id=data.patient_id or uuid.uuid5(PATIENT_NAMESPACE, f"{tenant_id}:{data.invoice_id}"),
            appointment_id=data.encounter_id,
            issue_date=issued,
            status=InvoiceStatus.ISSUED,
            charges=Charges(items=items),
            created_at=now,
            updated_at=now,
        )

    def _history(self, tenant_id: UUID, submission_id: UUID | None, invoice_id: str | None) -> list[Delivery]:
        return PayerStatuses(self.outbox.deliveries).history(tenant_id, submission_id, invoice_id)

    def ready(self, tenant_id: UUID, submission_id: UUID, invoice_id: str, by: str | None) -> list[Delivery]:
        """The submission's sends of the invoice, held as `new` for attachments, received and sent now."""
        found = [
            d
            for d in self._history(tenant_id, submission_id, invoice_id)
            if d.external_invoice_id == invoice_id
        ]
        if not found:
            raise NotFound("A submission request or invoice was not found.")
        now = utcnow()
        # a payor's send made dead meanwhile is left as it is; the others still wait for this
        sends = [d for d in found if d.status is not DeliveryStatus.CANCELLED] or found
        for send in sends:
            states.made_ready(send, now, by)  # raises before any write
        changed = [
            apply(self.outbox.deliveries, d, partial(states.made_ready, now=now, by=by)) for d in sends
        ]
        dispatch(self.outbox.queue, changed, now)
        return changed

    def set_status(
        self,
        tenant_id: UUID,
        submission_id: UUID | None,
        invoice_id: str | None,
        payers: tuple[frozenset[str], frozenset[str]],
        status: str,
        comment: str,
        by: str | None,
    ) -> list[Delivery]:
        """Sets the status of an invoice's current send to each named payer (by PayorOrgId, by its e-billing
        id, or both), all or none: nothing leaves dead, and only a rejected invoice, one the payer needs
        more information for, or one under appeal is received again."""
        org_ids, ebilling_ids = payers
        sends = [
            d
            for d in latest_per_payer(self._history(tenant_id, submission_id, invoice_id))
            if (not org_ids or d.payor_org_id in org_ids)
            and (not ebilling_ids or d.payor_org_ebilling_id in ebilling_ids)
        ]
        if not sends:
            raise NotFound("No submitted invoice matches the request.")
        for send in sends:
            _may_take(send, status)  # raises before any write
        now = utcnow()
        source = f"{STATUS_UPDATE}: {by}" if by else STATUS_UPDATE
        note = comment

        def change(send: Delivery) -> Delivery:  # checked again on the send as it is when written
            _may_take(send, status)
            return states.payer_status_set(send, now, status, note, source)

        for send in sends:
            change(send)  # raises before any write
        changed = [apply(self.outbox.deliveries, d, change) for d in sends]
        dispatch(self.outbox.queue, changed, now)
        return changed


def _may_take(send: Delivery, status: str) -> None:
    """Nothing leaves dead; only a rejected invoice, one the payor needs more information for, or one under
    appeal is received again."""
    now_status = current_status(send)
    if now_status == "dead":
        raise IllegalTransition(f"invoice {send.external_invoice_id} is dead with payer {send.payor_org_id}")
    if status == "received":
        _resubmittable(send, now_status)


def _resubmittable(send: Delivery, status: str) -> None:
    if status not in RESUBMITTABLE:
        raise IllegalTransition(
            f"invoice {send.external_invoice_id} is {status} with payer {send.payor_org_id}; only a "
            "rejected invoice, one the payer needs more information for, or one under appeal may be "
            "submitted again"
        )


def _with_first_detail(delivery: Delivery, detail: str) -> Delivery:
    first, *rest = delivery.history
    return delivery.model_copy(update={"history": (first.model_copy(update={"detail": detail}), *rest)})
