"""Invoice use cases: create, read, list, update, delete.

Issuing (the outbox, the queue, the deliveries) is imported by the use cases that issue, create and update:
a function that only reads or deletes does not load it at its cold start.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from invoice_hub.domain.errors import PreconditionFailed, VersionConflict
from invoice_hub.domain.invoice import (
    PAYMENT_DRIVEN,
    Charges,
    Invoice,
    InvoiceDraft,
    InvoiceQuery,
    InvoiceStatus,
    LineDraft,
    LineItem,
    next_status,
)

if TYPE_CHECKING:
    from invoice_hub.dal.invoices import InvoiceRepository
    from invoice_hub.domain.delivery import Delivery
    from invoice_hub.logic.issuing import Issued, IssueRequest, Plan, Renderer
    from invoice_hub.logic.outbox import Outbox


def issue_deliveries(
    outbox: Outbox, before: InvoiceStatus | None, invoice: Invoice, now: datetime
) -> list[Delivery]:
    """The deliveries an invoice gets when a change issues it: one per destination of the tenant (none
    for any other change)."""
    from invoice_hub.logic.outbox import deliveries_for_issue

    if before not in (None, InvoiceStatus.DRAFT) or invoice.status not in PAYMENT_DRIVEN:
        return []
    return deliveries_for_issue(outbox.tenants.get(invoice.tenant_id), invoice, now, outbox.stuck_after)


def etag(invoice: Invoice) -> str:
    return version_tag(invoice.version)


def version_tag(version: int) -> str:
    return f'"{version}"'


def _charges(data: InvoiceDraft, current: Charges | None = None) -> Charges:
    known = {item.id: item for item in current.items} if current else {}
    return Charges(
        items=tuple(_line(item, known) for item in data.items),
        discount_amount=data.discount_amount,
        discount_percent=data.discount_percent,
        paid_amount=data.paid_amount,
    )


def _line(item: LineDraft, known: dict[UUID, LineItem]) -> LineItem:
    item_id = item.id if item.id in known else None
    return LineItem(
        id=item_id or uuid.uuid4(),
        description=item.description,
        code=item.code or None,
        quantity=item.quantity,
        unit_price=item.unit_price,
    )


def create_invoice(
    repo: InvoiceRepository,
    outbox: Outbox,
    request: IssueRequest,
    data: InvoiceDraft,
    render: Renderer,
    now: datetime | None = None,
) -> Issued:
    """Creates an invoice with the tenant's next registration number (gap-free: the number, the
    invoice and the idempotency record are written in one transaction)."""
    from invoice_hub.logic.issuing import Plan, issue, reg_number

    charges = _charges(data)

    def plan(sequence: int, created: datetime) -> Plan:
        invoice = Invoice(
            id=uuid.uuid4(),
            tenant_id=request.tenant_id,
            reg_number=reg_number(sequence),
            external_id=data.external_id,
            patient_id=data.patient_id,
            appointment_id=data.appointment_id,
            issue_date=data.issue_date or created,
            due_date=data.due_date,
            status=next_status(None, data.status, charges),
            charges=charges,
            tags=tuple(dict.fromkeys(data.tags)),
            created_at=created,
            updated_at=created,
        )
        return Plan(invoice, issue_deliveries(outbox, None, invoice, created))

    return issue(repo, outbox, request, plan, render, now)


def get_invoice(repo: InvoiceRepository, tenant_id: UUID, invoice_id: UUID) -> Invoice:
    return repo.get(tenant_id, invoice_id)


def list_invoices(repo: InvoiceRepository, tenant_id: UUID, query: InvoiceQuery) -> tuple[int, list[Invoice]]:
    """(how many invoices match, the page of them the query asks for)."""
    return repo.list_page(tenant_id, query)


def update_invoice(
    repo: InvoiceRepository,
    tenant_id: UUID,
    invoice_id: UUID,
    data: InvoiceDraft,
    if_match: str | None,
    outbox: Outbox,
    now: datetime | None = None,
) -> Invoice:
    """Replaces the invoice's fields; the status change is checked against the life cycle, and the write
    is conditional on the version read (If-Match, when given, must name that version)."""
    from invoice_hub.logic.outbox import dispatch

    current = repo.get(tenant_id, invoice_id)
    if if_match is not None and not _matches(if_match, current):
        raise PreconditionFailed(f"If-Match {if_match} does not match the current version {etag(current)}")
    charges = _charges(data, current.charges)
    status = next_status(current, data.status, charges)
    moment = now or datetime.now(UTC)
    updated = current.model_copy(
        update={
            "external_id": data.external_id,
            "patient_id": data.patient_id,
            "appointment_id": data.appointment_id,
            "issue_date": data.issue_date or current.issue_date,
            "due_date": data.due_date,
            "status": status,
            "charges": charges,
            "tags": tuple(dict.fromkeys(data.tags)),
            "updated_at": moment,
            "version": current.version + 1,
        }
    )
    deliveries = issue_deliveries(outbox, current.status, updated, moment)
    try:
        repo.replace(
            updated, expected_version=current.version, also=outbox.deliveries.put_requests(deliveries)
        )
    except VersionConflict as conflict:
        if if_match is not None:  # the client's precondition no longer holds
            raise PreconditionFailed(f"If-Match {if_match} no longer names the current version") from conflict
        raise
    dispatch(outbox.queue, deliveries, moment)
    return updated


def _matches(if_match: str, current: Invoice) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    return "*" in wanted or etag(current) in wanted


def delete_invoice(repo: InvoiceRepository, tenant_id: UUID, invoice_id: UUID) -> None:
    repo.delete_draft(tenant_id, invoice_id)
