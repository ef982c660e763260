"""Invoice use cases of the Invoice API: create, read, list, update, delete."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from invoice_hub.contracts.invoice_api.models import (
    InvoiceIn,
    InvoiceItemIn,
    InvoiceOut,
    InvoicePage,
    InvoiceQuery,
)
from invoice_hub.dal import keys
from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.dal.invoices import IdempotencyKeyTaken, InvoiceRepository, SequenceMoved
from invoice_hub.domain.delivery import Delivery
from invoice_hub.domain.errors import PreconditionFailed, ServiceBusy, VersionConflict
from invoice_hub.domain.invoice import PAYMENT_DRIVEN, Charges, Invoice, InvoiceStatus, LineItem, next_status
from invoice_hub.logic.idempotency import TTL_SECONDS, fingerprint, replay
from invoice_hub.logic.outbox import Outbox, deliveries_for_issue, dispatch

CREATE_ATTEMPTS = 10
BACKOFF_SECONDS = 0.01
IDEMPOTENCY_OPERATION = "invoice-api:create"


def issue_deliveries(
    outbox: Outbox, before: InvoiceStatus | None, invoice: Invoice, now: datetime
) -> list[Delivery]:
    """The deliveries an invoice gets when a change issues it: one per destination of the tenant (none
    for any other change)."""
    if before not in (None, InvoiceStatus.DRAFT) or invoice.status not in PAYMENT_DRIVEN:
        return []
    return deliveries_for_issue(outbox.tenants.get(invoice.tenant_id), invoice, now, outbox.stuck_after)


@dataclass(frozen=True)
class Created:
    """The answer to a create: a fresh invoice, or the first response replayed for a repeated key."""

    invoice_id: UUID
    status_code: int
    body: str
    replayed: bool


def utcnow() -> datetime:
    return datetime.now(UTC)


def reg_number(sequence: int) -> str:
    return f"INV-{sequence:06d}"


def etag(invoice: Invoice) -> str:
    return version_tag(invoice.version)


def version_tag(version: int) -> str:
    return f'"{version}"'


def _charges(data: InvoiceIn, current: Charges | None = None) -> Charges:
    known = {item.id: item for item in current.items} if current else {}
    return Charges(
        items=tuple(_line(item, known) for item in data.items),
        discount_amount=data.discount_amount,
        discount_percent=data.discount_percent,
        paid_amount=data.paid_amount,
    )


def _line(item: InvoiceItemIn, known: dict[UUID, LineItem]) -> LineItem:
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
    tenant_id: UUID,
    data: InvoiceIn,
    idempotency_key: str | None,
    outbox: Outbox,
    now: datetime | None = None,
) -> Created:
    """Creates an invoice with the tenant's next registration number (gap-free: the number, the
    invoice and the idempotency record are written in one transaction)."""
    request_hash = fingerprint(data.model_dump(mode="json"))
    idem_key = (
        keys.idempotency_key(tenant_id, IDEMPOTENCY_OPERATION, idempotency_key) if idempotency_key else None
    )
    charges = _charges(data)
    for attempt in range(CREATE_ATTEMPTS):
        if attempt:  # another create took the number: back off with jitter so contenders spread out
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt, 5)))  # noqa: S311
        created = now or utcnow()
        epoch = int(created.timestamp())
        context = repo.create_context(tenant_id, idem_key)
        first = replay(context.record, request_hash, epoch)
        if first is not None:
            return Created(UUID(json.loads(first.body)["id"]), first.status_code, first.body, replayed=True)
        status = next_status(None, data.status, charges)
        sequence = context.last_sequence + 1
        invoice = Invoice(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            reg_number=reg_number(sequence),
            external_id=data.external_id,
            patient_id=data.patient_id,
            appointment_id=data.appointment_id,
            issue_date=data.issue_date or created,
            due_date=data.due_date,
            status=status,
            charges=charges,
            tags=tuple(dict.fromkeys(data.tags)),
            created_at=created,
            updated_at=created,
        )
        body = InvoiceOut.of(invoice).model_dump_json()
        record = IdempotencyRecord(
            request_hash=request_hash, status_code=201, body=body, expiration=epoch + TTL_SECONDS
        )
        deliveries = issue_deliveries(outbox, None, invoice, created)
        also = outbox.deliveries.put_requests(deliveries)
        try:
            repo.create(invoice, sequence, (idem_key, record) if idem_key else None, epoch, also)
        except (SequenceMoved, IdempotencyKeyTaken):
            continue  # read again: the next number, or the winner's response to replay
        dispatch(outbox.queue, deliveries, created)
        return Created(invoice.id, 201, body, replayed=False)
    raise ServiceBusy("too many concurrent creates for this tenant; retry shortly")


def get_invoice(repo: InvoiceRepository, tenant_id: UUID, invoice_id: UUID) -> Invoice:
    return repo.get(tenant_id, invoice_id)


def list_invoices(repo: InvoiceRepository, tenant_id: UUID, query: InvoiceQuery) -> InvoicePage:
    total, invoices = repo.list_page(tenant_id, query)
    return InvoicePage(
        total=total, offset=query.offset, limit=query.limit, data=[InvoiceOut.of(i) for i in invoices]
    )


def update_invoice(
    repo: InvoiceRepository,
    tenant_id: UUID,
    invoice_id: UUID,
    data: InvoiceIn,
    if_match: str | None,
    outbox: Outbox,
    now: datetime | None = None,
) -> Invoice:
    """Replaces the invoice's fields; the status change is checked against the life cycle, and the write
    is conditional on the version read (If-Match, when given, must name that version)."""
    current = repo.get(tenant_id, invoice_id)
    if if_match is not None and not _matches(if_match, current):
        raise PreconditionFailed(f"If-Match {if_match} does not match the current version {etag(current)}")
    charges = _charges(data, current.charges)
    status = next_status(current, data.status, charges)
    moment = now or utcnow()
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
