"""Issuing: the one path by which any contract creates invoices and their deliveries.

Each attempt reads the tenant's registration counter and the idempotency record, replays the first
answer to a repeated key, or plans what to write (an invoice numbered with the next registration number,
or none, and its deliveries), renders the contract's answer, and writes the invoice, the counter, the
deliveries and the idempotency record in one transaction. A lost race (another create took the number, or
a concurrent request with the same key won) is retried after a jittered back-off; once the write holds,
the deliveries that are due are handed to SendQueue.

The contract decides what to issue (`plan`) and how its answer reads (`render`); this module decides
everything else, the same way for every contract.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from invoice_hub.dal import keys
from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.dal.invoices import IdempotencyKeyTaken, InvoiceRepository, SequenceMoved
from invoice_hub.domain.delivery import Delivery
from invoice_hub.domain.errors import IllegalTransition, ServiceBusy
from invoice_hub.domain.invoice import Invoice
from invoice_hub.logic.idempotency import TTL_SECONDS, replay
from invoice_hub.logic.outbox import Outbox, dispatch

ATTEMPTS = 10
BACKOFF_SECONDS = 0.01


@dataclass(frozen=True)
class IssueRequest:
    """Who asks, under which idempotency key, for which request (its fingerprint as validated)."""

    tenant_id: UUID
    operation: str  # the key's namespace: the same key may be used by different operations
    idempotency_key: str | None
    request_hash: str


@dataclass(frozen=True)
class Plan:
    """What one attempt writes: an invoice (none when it bills invoices that exist) and its deliveries;
    `then` runs once the write holds, before the deliveries are queued."""

    invoice: Invoice | None
    deliveries: Sequence[Delivery]
    then: Callable[[], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Issued:
    """The contract's answer: fresh, or the first answer to the key replayed."""

    status_code: int
    body: str
    replayed: bool


#: (the registration sequence the invoice takes, the moment of the attempt) -> what to write
Planner = Callable[[int, datetime], Plan]
#: what was written -> (status code, body) of the contract's answer
Renderer = Callable[[Plan], tuple[int, str]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def reg_number(sequence: int) -> str:
    return f"INV-{sequence:06d}"


def issue(
    invoices: InvoiceRepository,
    outbox: Outbox,
    request: IssueRequest,
    plan: Planner,
    render: Renderer,
    now: datetime | None = None,
) -> Issued:
    idem_key = (
        keys.idempotency_key(request.tenant_id, request.operation, request.idempotency_key)
        if request.idempotency_key
        else None
    )
    for attempt in range(ATTEMPTS):
        if attempt:  # another create took the number: back off with jitter so contenders spread out
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt, 5)))  # noqa: S311
        moment = now or utcnow()
        epoch = int(moment.timestamp())
        context = invoices.create_context(request.tenant_id, idem_key)
        first = replay(context.record, request.request_hash, epoch)
        if first is not None:
            return Issued(first.status_code, first.body, replayed=True)
        sequence = context.last_sequence + 1
        try:
            planned = plan(sequence, moment)
        except IllegalTransition:
            # what is in the way may be a concurrent request's with this very key (what it created and
            # its idempotency record are one transaction): then its answer is this one's too
            first = _first_answer(invoices, request, idem_key, epoch)
            if first is None:
                raise
            return Issued(first.status_code, first.body, replayed=True)
        status_code, body = render(planned)
        record = IdempotencyRecord(
            request_hash=request.request_hash,
            status_code=status_code,
            body=body,
            expiration=epoch + TTL_SECONDS,
        )
        idem = (idem_key, record) if idem_key else None
        also = outbox.deliveries.put_requests(planned.deliveries)
        try:
            if planned.invoice is not None:
                invoices.create(planned.invoice, sequence, idem, epoch, also)
            else:
                invoices.create_without_invoice(idem, epoch, also)
        except (SequenceMoved, IdempotencyKeyTaken):
            continue  # read again: the next number, or the winner's answer to replay
        if planned.then is not None:
            planned.then()
        dispatch(outbox.queue, planned.deliveries, moment)
        return Issued(status_code, body, replayed=False)
    raise ServiceBusy("too many concurrent creates for this tenant; retry shortly")


def _first_answer(
    invoices: InvoiceRepository, request: IssueRequest, idem_key: dict[str, str] | None, epoch: int
) -> IdempotencyRecord | None:
    if idem_key is None:
        return None
    return replay(invoices.create_context(request.tenant_id, idem_key).record, request.request_hash, epoch)
