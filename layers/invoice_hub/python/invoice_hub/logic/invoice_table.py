"""Decoda's invoice table: a practice's sends to patients (each an "invoice set"), with the state a billing
team works from, filtered, sorted and paged.

A row's status (Decoda's InvoiceSetStatus):
- ACTIVE: waiting for its next send; WILL_FAIL: waiting, but that send cannot succeed, found before its
  time: the patient's contact lacks what the method needs, the number opted out of texts (an SMS or call
  to it was refused so), or the e-mail address bounced (an e-mail to it bounced or was complained of);
- PAUSED, FAILED; CANCELLED (cancelled, written off, voided, or sent to collections);
- PAID: its invoices owe nothing; EXPIRED: every step of its rule went out and a balance remains.

The sends are read from the practice's index of sends to patients (GSI3); their contacts and invoices
with BatchGetItem, 100 a request: for a page only, when the query filters and sorts by what the sends
say themselves (their dates, their rule set), else for every send (status, amount and patient search
need them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.dal.patients import PatientRepository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.domain.invoice import Invoice, InvoiceStatus
from invoice_hub.domain.money import as_integer_cents
from invoice_hub.domain.patient import PatientContact, missing_for

S = DeliveryStatus


class SetStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    PAID = "PAID"
    WILL_FAIL = "WILL_FAIL"
    FAILED = "FAILED"


SORTS = ("send_time", "created_date", "updated_date", "amount", "status")


@dataclass(frozen=True)
class Row:
    delivery: Delivery
    invoices: tuple[Invoice, ...]
    contact: PatientContact | None
    status: SetStatus
    will_fail: str | None = None  # why the next send cannot succeed


@dataclass(frozen=True)
class TableQuery:
    statuses: tuple[SetStatus, ...] = ()
    amount: tuple[int, ...] = ()  # [min] or [min, max], cents, inclusive
    created: tuple[datetime, ...] = ()  # [from] or [from, to]
    send_time: tuple[datetime, ...] = ()
    search: str | None = None  # the patient's name, phone number or id
    rule_set_id: UUID | None = None
    sort_by: str = "send_time"
    descending: bool = True
    page: int = 1
    per_page: int = 25

    @property
    def needs_details(self) -> bool:
        """Whether a send's contact and invoices decide if it is shown, or where."""
        return bool(self.statuses or self.amount or self.search) or self.sort_by in {"amount", "status"}


def _between(value: float | datetime | None, bounds: Sequence[float | datetime]) -> bool:
    if not bounds:
        return True
    if value is None:
        return False
    low = bounds[0]
    high = bounds[1] if len(bounds) > 1 else None
    return bool(low <= value and (high is None or value <= high))  # type: ignore[operator]


@dataclass(frozen=True)
class InvoiceTable:
    deliveries: DeliveryRepository
    invoices: InvoiceRepository
    patients: PatientRepository

    def rows(self, tenant_id: UUID, query: TableQuery) -> tuple[int, list[Row]]:
        """(how many match, the rows of the page asked for). A query that filters and sorts only by what
        the sends themselves say is paged before the contacts and invoices are read, so a page reads what
        it shows; one by status, amount or patient reads every send's."""
        start = (query.page - 1) * query.per_page
        sends = [s for s in self.deliveries.to_patients(tenant_id) if _send_keeps(s, query)]
        if query.needs_details:
            matching = self._rows(tenant_id, sends, sends, query)
            return len(matching), matching[start : start + query.per_page]
        page = _sorted_sends(sends, query.sort_by, query.descending)[start : start + query.per_page]
        return len(sends), self._rows(tenant_id, page, sends, query)

    def matching(self, tenant_id: UUID, query: TableQuery) -> list[Row]:
        sends = [s for s in self.deliveries.to_patients(tenant_id) if _send_keeps(s, query)]
        return self._rows(tenant_id, sends, sends, query)

    def _rows(
        self, tenant_id: UUID, shown: Sequence[Delivery], sends: Sequence[Delivery], query: TableQuery
    ) -> list[Row]:
        """`shown`'s rows that pass the query's filters, in its order; `sends`: every send of the practice
        the query kept (a patient's other sends say whether the next one will fail)."""
        by_patient: dict[UUID | None, list[Delivery]] = {}
        for send in sends:
            by_patient.setdefault(send.patient_id, []).append(send)
        contacts = self.patients.get_many(tenant_id, [s.patient_id for s in shown if s.patient_id])
        invoices = self.invoices.get_many(tenant_id, [i for s in shown for i in s.invoice_ids])
        rows = []
        for send in shown:
            contact = contacts.get(send.patient_id) if send.patient_id else None
            found = tuple(invoices[i] for i in send.invoice_ids if i in invoices)
            status, why = status_of(send, found, contact, by_patient.get(send.patient_id, [send]))
            rows.append(Row(send, found, contact, status, why))
        kept = [row for row in rows if _keeps(row, query)]
        return _sorted(kept, query.sort_by, query.descending)


def will_fail(
    send: Delivery, contact: PatientContact | None, patients_sends: Sequence[Delivery]
) -> str | None:
    """Why the send's next message cannot succeed, or None."""
    missing = missing_for(contact, send.method)
    if missing is not None:
        return missing
    said = [s.channel_statuses for s in patients_sends]
    if send.method in (Method.SMS, Method.CALL) and any(c.get("SMS") == "OPTED_OUT" for c in said):
        return "the patient's number has opted out of texts"
    if send.method is Method.EMAIL and any(c.get("EMAIL") in {"BOUNCED", "COMPLAINED"} for c in said):
        return "the patient's e-mail address bounced"
    return None


def status_of(
    send: Delivery,
    invoices: Sequence[Invoice],
    contact: PatientContact | None,
    patients_sends: Sequence[Delivery],
) -> tuple[SetStatus, str | None]:
    owes = any(i.status in {InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID} for i in invoices)
    paid = bool(invoices) and all(i.status is InvoiceStatus.PAID for i in invoices)
    if paid:
        return SetStatus.PAID, None
    if send.status is S.PAUSED:
        return SetStatus.PAUSED, None
    if send.status is S.FAILED:
        return SetStatus.FAILED, None
    if send.status is S.CANCELLED or not owes or any("collections" in i.tags for i in invoices):
        return SetStatus.CANCELLED, None
    if send.status is S.SENT:
        return SetStatus.EXPIRED, None
    why = will_fail(send, contact, patients_sends)
    return (SetStatus.WILL_FAIL, why) if why else (SetStatus.ACTIVE, None)


def amount_of(row: Row) -> int:
    return (
        sum(as_integer_cents(i.charges.remaining_amount) for i in row.invoices)
        if row.invoices
        else row.delivery.amount_cents
    )


def _send_keeps(send: Delivery, query: TableQuery) -> bool:
    """The filters a send decides by itself."""
    return (
        _between(send.created_at, query.created)
        and _between(send.send_time, query.send_time)
        and (query.rule_set_id is None or send.rule_set_id == query.rule_set_id)
    )


def _keeps(row: Row, query: TableQuery) -> bool:
    return (
        (not query.statuses or row.status in query.statuses)
        and _between(amount_of(row), query.amount)
        and (not query.search or _found(row, query.search))
    )


def _found(row: Row, search: str) -> bool:
    needle = search.strip().lower()
    contact = row.contact
    digits = "".join(c for c in needle if c.isdigit())
    texts = [str(row.delivery.patient_id or ""), str(row.delivery.id)]
    if contact is not None:
        texts += [
            contact.first_name or "",
            contact.last_name or "",
            f"{contact.first_name or ''} {contact.last_name or ''}",
        ]
    if any(needle in t.lower() for t in texts):
        return True
    phone = contact.phone if contact is not None else None
    return bool(digits) and len(digits) >= 4 and phone is not None and digits in phone


SEND_KEYS = {
    "send_time": lambda d: d.send_time or d.sent_at,
    "created_date": lambda d: d.created_at,
    "updated_date": lambda d: d.updated_at,
}


def _sorted_sends(sends: Sequence[Delivery], sort_by: str, descending: bool) -> list[Delivery]:
    key = SEND_KEYS[sort_by]
    ordered = sorted(sends, key=lambda d: (d.created_at, str(d.id)), reverse=descending)
    present = [d for d in ordered if key(d) is not None]
    missing = [d for d in ordered if key(d) is None]
    return sorted(present, key=key, reverse=descending) + missing


def _sorted(rows: list[Row], sort_by: str, descending: bool) -> list[Row]:
    keys = {
        "send_time": lambda r: r.delivery.send_time or r.delivery.sent_at,
        "created_date": lambda r: r.delivery.created_at,
        "updated_date": lambda r: r.delivery.updated_at,
        "amount": amount_of,
        "status": lambda r: str(r.status),
    }
    key = keys[sort_by]
    ordered = sorted(rows, key=lambda r: (r.delivery.created_at, str(r.delivery.id)), reverse=descending)
    present = [r for r in ordered if key(r) is not None]
    missing = [r for r in ordered if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing
