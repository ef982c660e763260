"""eBillingHub: submissions of an invoice to payer organisations, and their status history.

Each payer of a submission is one delivery to the tenant's payer hub, through the same SendQueue,
Sender and DLQ as every other send. Its history is told in the payer's vocabulary (eBillingHub's):

| delivery history          | eBillingHub status |
|---------------------------|--------------------|
| received                  | received           |
| sending (each attempt)    | forwarded          |
| ebilled                   | ebilled            |
| failed, rejected by payer | rejected           |
| failed, retries exhausted | hold               |
| paused                    | hold               |
| cancelled                 | dead               |

(queued and retrying are internal steps and are not shown.) Only an invoice that a payer rejected,
asked more information for, or that is under appeal may be submitted to that payer again; nothing
leaves dead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from uuid import UUID

from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.domain.delivery import Delivery, HistoryEntry, Method
from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineDraft, LineItem
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.issuing import Issued, IssueRequest, Plan, Renderer, issue, reg_number
from invoice_hub.logic.outbox import Outbox, new_delivery

RESUBMITTABLE = frozenset({"rejected", "more info required", "appealed"})
PATIENT_NAMESPACE = uuid.UUID("0f6f6f55-77d4-4f8e-9f1c-2f3b9b1d7c10")
_SIMPLE = {
    "received": "received",
    "sending": "forwarded",
    "ebilled": "ebilled",
    "sent": "ebilled",
    "paused": "hold",
    "cancelled": "dead",
}


@dataclass(frozen=True)
class Payer:
    org_id: str
    ebilling_id: str


@dataclass(frozen=True)
class PayerSubmission:
    """An invoice the billing organisation submits to payers, by its own invoice number."""

    invoice_id: str
    lines: tuple[LineDraft, ...]
    payers: tuple[Payer, ...]
    invoice_date: date | None = None
    patient_id: UUID | None = None
    encounter_id: UUID | None = None


def payer_status_of(entry: HistoryEntry) -> str | None:
    if entry.status == "failed":
        return "rejected" if (entry.detail or "").startswith("rejected") else "hold"
    return _SIMPLE.get(entry.status)


def payer_history(delivery: Delivery) -> list[tuple[str, datetime]]:
    """(status, when) in the payer's vocabulary, oldest first."""
    return [
        (status, entry.at) for entry in delivery.history if (status := payer_status_of(entry)) is not None
    ]


def current_status(delivery: Delivery) -> str:
    history = payer_history(delivery)
    return history[-1][0] if history else "received"


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
                )
                for payer in data.payers
            ]
            if username:
                created = [_with_first_detail(d, f"submitted by {username}") for d in created]

            def take_over() -> None:  # the payer rejected it: the new submission takes over
                for old in superseded:
                    apply(self.outbox.deliveries, old, partial(states.cancelled, now=now))

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
            if status not in RESUBMITTABLE:
                raise IllegalTransition(
                    f"invoice {data.invoice_id} is {status} with payer {delivery.payor_org_id}; only a "
                    "rejected invoice, one the payer needs more information for, or one under appeal "
                    "may be submitted again"
                )
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

    def history(self, tenant_id: UUID, submission_id: UUID | None, invoice_id: str | None) -> list[Delivery]:
        """The payer sends, one per payer and submission, oldest first; unknown ids give none."""
        if submission_id is not None:
            found = self.outbox.deliveries.of_submission(tenant_id, submission_id)
            if invoice_id is not None:
                found = [d for d in found if d.external_invoice_id == invoice_id]
        elif invoice_id is not None:
            found = self.outbox.deliveries.of_external_invoice(tenant_id, invoice_id)
        else:
            found = []
        return sorted(
            (d for d in found if d.payor_org_id is not None),
            key=lambda d: (d.created_at, d.payor_org_id or ""),
        )


def _with_first_detail(delivery: Delivery, detail: str) -> Delivery:
    first, *rest = delivery.history
    return delivery.model_copy(update={"history": (first.model_copy(update={"detail": detail}), *rest)})
