"""eBillingHub: submissions of an invoice to payer organisations, and their status history.

Each payer of a submission is one delivery to the tenant's payer hub, through the same SendQueue,
Sender and DLQ as every other send. Its history is told in eBillingHub's vocabulary:

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
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from invoice_hub.contracts.ebh.models import (
    InvoiceStatus,
    InvoiceStatuses,
    StatusEntry,
    Submission,
    SubmissionCreated,
)
from invoice_hub.dal import keys
from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.dal.invoices import IdempotencyKeyTaken, InvoiceRepository, SequenceMoved
from invoice_hub.domain.delivery import Delivery, HistoryEntry, Method
from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition, ServiceBusy
from invoice_hub.domain.invoice import Charges, Invoice, LineItem
from invoice_hub.domain.invoice import InvoiceStatus as CanonicalStatus
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.idempotency import TTL_SECONDS, fingerprint, replay
from invoice_hub.logic.invoices import reg_number
from invoice_hub.logic.outbox import Outbox, dispatch, new_delivery

IDEMPOTENCY_OPERATION = "ebh:submission"
ATTEMPTS = 10
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


def ebh_status_of(entry: HistoryEntry) -> str | None:
    if entry.status == "failed":
        return "rejected" if (entry.detail or "").startswith("rejected") else "hold"
    return _SIMPLE.get(entry.status)


def ebh_history(delivery: Delivery) -> list[StatusEntry]:
    return [
        StatusEntry(Status=status, StatusDate=entry.at)
        for entry in delivery.history
        if (status := ebh_status_of(entry)) is not None
    ]


def current_status(delivery: Delivery) -> str:
    history = ebh_history(delivery)
    return history[-1].Status if history else "received"


def status_of(delivery: Delivery) -> InvoiceStatus:
    return InvoiceStatus(
        SubmissionId=delivery.submission_id,
        InvoiceId=delivery.external_invoice_id or "",
        PayorOrgId=delivery.payor_org_id or "",
        PayorOrgEBillingId=delivery.payor_org_ebilling_id or "",
        StatusHistory=ebh_history(delivery),
    )


@dataclass(frozen=True)
class Submissions:
    invoices: InvoiceRepository
    outbox: Outbox

    def submit(
        self, tenant_id: UUID, data: Submission, idempotency_key: str | None, username: str | None
    ) -> tuple[str, UUID, bool]:
        """(the 201 body, its SubmissionId, whether it replays the first response to the key)."""
        request_hash = fingerprint(data.model_dump(mode="json"))
        idem_key = (
            keys.idempotency_key(tenant_id, IDEMPOTENCY_OPERATION, idempotency_key)
            if idempotency_key
            else None
        )
        hub = next(
            (d for d in self.outbox.tenants.get(tenant_id).destinations if d.kind == "payer_hub"), None
        )
        if hub is None:
            raise BusinessRuleViolation("the billing organisation has no payer hub configured", "Payors")
        for _ in range(ATTEMPTS):
            now = datetime.now(UTC)
            epoch = int(now.timestamp())
            context = self.invoices.create_context(tenant_id, idem_key)
            first = replay(context.record, request_hash, epoch)
            if first is not None:
                return first.body, SubmissionCreated.model_validate_json(first.body).SubmissionId, True
            try:
                superseded = self._superseded(tenant_id, data)
            except IllegalTransition:
                # the sends in the way may be a concurrent request's with this very key (its invoice,
                # sends and idempotency record are one transaction): then its answer is this one's too
                first = self._first_answer(tenant_id, idem_key, request_hash, epoch)
                if first is None:
                    raise
                return first.body, SubmissionCreated.model_validate_json(first.body).SubmissionId, True
            sequence = context.last_sequence + 1
            invoice = self._invoice(tenant_id, data, sequence, now)
            submission = uuid.uuid4()
            detail = f"submitted by {username}" if username else None
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
                    appointment_id=data.EncounterId,
                    patient_id=invoice.patient_id,
                    payor_org_id=payor.PayorOrgId,
                    payor_org_ebilling_id=payor.PayorOrgEBillingId,
                    external_invoice_id=data.InvoiceId,
                )
                for payor in data.Payors
            ]
            if detail:
                created = [_with_first_detail(d, detail) for d in created]
            body = SubmissionCreated(SubmissionId=submission).model_dump_json()
            record = IdempotencyRecord(
                request_hash=request_hash, status_code=201, body=body, expiration=epoch + TTL_SECONDS
            )
            try:
                self.invoices.create(
                    invoice,
                    sequence,
                    (idem_key, record) if idem_key else None,
                    epoch,
                    self.outbox.deliveries.put_requests(created),
                )
            except (SequenceMoved, IdempotencyKeyTaken):
                continue
            for old in superseded:  # the payer rejected it: the new submission takes over
                apply(self.outbox.deliveries, old, partial(states.cancelled, now=now))
            dispatch(self.outbox.queue, created, now)
            return body, submission, False
        raise ServiceBusy("too many concurrent submissions; retry shortly")

    def _first_answer(
        self, tenant_id: UUID, idem_key: dict[str, str] | None, request_hash: str, epoch: int
    ) -> IdempotencyRecord | None:
        if idem_key is None:
            return None
        return replay(self.invoices.create_context(tenant_id, idem_key).record, request_hash, epoch)

    def _superseded(self, tenant_id: UUID, data: Submission) -> list[Delivery]:
        """The earlier sends of this invoice to these payers, which it replaces; refused unless each may
        be resubmitted."""
        payers = {payor.PayorOrgId for payor in data.Payors}
        earlier = [
            d
            for d in self.outbox.deliveries.of_external_invoice(tenant_id, data.InvoiceId)
            if d.payor_org_id in payers
        ]
        superseded = []
        for delivery in earlier:
            status = current_status(delivery)
            if status == "dead":
                continue  # closed for good; a new submission starts afresh
            if status not in RESUBMITTABLE:
                raise IllegalTransition(
                    f"invoice {data.InvoiceId} is {status} with payer {delivery.payor_org_id}; only a "
                    "rejected invoice, one the payer needs more information for, or one under appeal "
                    "may be submitted again"
                )
            superseded.append(delivery)
        return superseded

    @staticmethod
    def _invoice(tenant_id: UUID, data: Submission, sequence: int, now: datetime) -> Invoice:
        items = tuple(
            LineItem(
                id=uuid.uuid4(),
                description=line.Description,
                code=line.Code,
                quantity=line.Quantity,
                unit_price=line.UnitPrice,
            )
            for line in data.Lines
        )
        issued = (
            datetime(data.InvoiceDate.year, data.InvoiceDate.month, data.InvoiceDate.day, tzinfo=UTC)
            if data.InvoiceDate
            else now
        )
        return Invoice(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            reg_number=reg_number(sequence),
            external_id=data.InvoiceId,
            patient_id=data.PatientId or uuid.uuid5(PATIENT_NAMESPACE, f"{tenant_id}:{data.InvoiceId}"),
            appointment_id=data.EncounterId,
            issue_date=issued,
            status=CanonicalStatus.ISSUED,
            charges=Charges(items=items),
            created_at=now,
            updated_at=now,
        )

    def history(self, tenant_id: UUID, submission_id: UUID | None, invoice_id: str | None) -> InvoiceStatuses:
        """One entry per payer send, oldest first; unknown ids give an empty list."""
        if submission_id is not None:
            found = self.outbox.deliveries.of_submission(tenant_id, submission_id)
            if invoice_id is not None:
                found = [d for d in found if d.external_invoice_id == invoice_id]
        elif invoice_id is not None:
            found = self.outbox.deliveries.of_external_invoice(tenant_id, invoice_id)
        else:
            found = []
        payer_sends = sorted(
            (d for d in found if d.payor_org_id is not None),
            key=lambda d: (d.created_at, d.payor_org_id or ""),
        )
        return InvoiceStatuses(InvoiceStatuses=[status_of(d) for d in payer_sends])


def _with_first_detail(delivery: Delivery, detail: str) -> Delivery:
    first, *rest = delivery.history
    return delivery.model_copy(update={"history": (first.model_copy(update={"detail": detail}), *rest)})
