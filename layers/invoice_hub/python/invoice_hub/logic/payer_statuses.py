"""eBillingHub: a payer send's status history told in the payer's vocabulary, and the reads of it (a
submission's or an invoice's history, the current status of each invoice per payer, the status search).

Each payer of a submission is one delivery to the tenant's payer hub (`logic/payer_submissions.py`). Its
history is told in the payer's vocabulary (eBillingHub's):

| delivery history          | eBillingHub status |
|---------------------------|--------------------|
| received                  | received           |
| sending (each attempt)    | forwarded          |
| ebilled                   | ebilled            |
| failed, rejected by payer | rejected           |
| failed, retries exhausted | hold               |
| paused                    | hold               |
| cancelled                 | dead               |
| new (held)                | new                |
| set by a status update    | as it was set      |

(queued and retrying are internal steps and are not shown.) These reads need the sends alone, so the
functions that only read statuses load neither the submission's issuing nor the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from invoice_hub.dal.deliveries import DeliveryRepository
    from invoice_hub.domain.delivery import Delivery, HistoryEntry

#: a search names at most this many ids to be read one query each; more are found in one read of the
#: tenant's payer sends (a query per id would cost a request per id, up to 200)
FEW_IDS = 3
#: statuses of an invoice that is no longer active (the status search's IsActive)
INACTIVE = frozenset({"paid", "dead"})
#: the history entries a status update writes carry this source (and `: <Username>` when given)
STATUS_UPDATE = "status update"
_SIMPLE = {
    "received": "received",
    "sending": "forwarded",
    "ebilled": "ebilled",
    "sent": "ebilled",
    "paused": "hold",
    "cancelled": "dead",
    "new": "new",
}


@dataclass(frozen=True)
class StatusSearch:
    """The status search's filters (each empty one filters nothing); `since` and `until` bound the time
    of the last status change; `active_only`: neither paid nor dead."""

    submission_ids: tuple[UUID, ...] = ()
    invoice_ids: tuple[str, ...] = ()
    matter_ids: tuple[str, ...] = ()
    payor_org_id: str | None = None
    payor_org_ebilling_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    active_only: bool = False


def payer_status_of(entry: HistoryEntry) -> str | None:
    if _is_status_update(entry):
        return entry.status
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


def last_change(delivery: Delivery) -> datetime:
    history = payer_history(delivery)
    return history[-1][1] if history else delivery.created_at


def first_time(delivery: Delivery, status: str) -> datetime | None:
    """When the send first took `status` (in the payer's vocabulary), if it did."""
    return next((at for said, at in payer_history(delivery) if said == status), None)


def last_time(delivery: Delivery, status: str) -> datetime | None:
    """When the send last took `status` (in the payer's vocabulary), if it did."""
    return next((at for said, at in reversed(payer_history(delivery)) if said == status), None)


def status_note(delivery: Delivery) -> str | None:
    """The comment of the last status update."""
    return next((e.detail for e in reversed(delivery.history) if _is_status_update(e)), None)


def _is_status_update(entry: HistoryEntry) -> bool:
    return entry.source is not None and entry.source.split(":", 1)[0] == STATUS_UPDATE


def latest_per_payer(sends: list[Delivery]) -> list[Delivery]:
    """Of each invoice's sends to each payer, the latest (a resubmission replaces the one before)."""
    latest: dict[tuple[str | None, str | None], Delivery] = {}
    for send in sorted(sends, key=lambda d: d.created_at):
        latest[(send.external_invoice_id, send.payor_org_id)] = send
    return sorted(latest.values(), key=lambda d: (d.created_at, d.payor_org_id or ""))


@dataclass(frozen=True)
class PayerStatuses:
    deliveries: DeliveryRepository

    def history(self, tenant_id: UUID, submission_id: UUID | None, invoice_id: str | None) -> list[Delivery]:
        """The payer sends, one per payer and submission, oldest first; unknown ids give none."""
        if submission_id is not None:
            found = self.deliveries.of_submission(tenant_id, submission_id)
            if invoice_id is not None:
                found = [d for d in found if d.external_invoice_id == invoice_id]
        elif invoice_id is not None:
            found = self.deliveries.of_external_invoice(tenant_id, invoice_id)
        else:
            found = []
        return sorted(
            (d for d in found if d.payor_org_id is not None),
            key=lambda d: (d.created_at, d.payor_org_id or ""),
        )

    def details(self, tenant_id: UUID, invoice_ids: tuple[str, ...]) -> list[Delivery]:
        """The current send of each named invoice to each of its payers."""
        found: list[Delivery] = []
        for invoice_id in dict.fromkeys(invoice_ids):
            found.extend(latest_per_payer(self.history(tenant_id, None, invoice_id)))
        return found

    def search(self, tenant_id: UUID, search: StatusSearch) -> list[Delivery]:
        """The current sends to payers that pass every filter, by submission then payer."""
        submissions, invoices = dict.fromkeys(search.submission_ids), dict.fromkeys(search.invoice_ids)
        if submissions and len(submissions) <= FEW_IDS:
            sends = [d for s in submissions for d in self.history(tenant_id, s, None)]
        elif invoices and len(invoices) <= FEW_IDS and not submissions:
            sends = [d for i in invoices for d in self.history(tenant_id, None, i)]
        else:  # one read of the partition, not a query per id
            sends = self.deliveries.to_payers(tenant_id)
        return [d for d in latest_per_payer(sends) if _passes(d, search)]


def _passes(send: Delivery, search: StatusSearch) -> bool:
    matters = {m.id for m in send.payer_invoice.matters} if send.payer_invoice else set()
    changed = last_change(send)
    return (
        (not search.submission_ids or send.submission_id in search.submission_ids)
        and (not search.invoice_ids or send.external_invoice_id in search.invoice_ids)
        and (not search.matter_ids or bool(matters & set(search.matter_ids)))
        and (search.payor_org_id is None or send.payor_org_id == search.payor_org_id)
        and (
            search.payor_org_ebilling_id is None or send.payor_org_ebilling_id == search.payor_org_ebilling_id
        )
        and (search.since is None or changed >= search.since)
        and (search.until is None or changed <= search.until)
        and (not search.active_only or current_status(send) not in INACTIVE)
    )
