"""A payer send's history as eBillingHub's status history tells it."""

from __future__ import annotations

from invoice_hub.contracts.ebh.models import (
    PayorInvoiceDetail,
    PayorInvoiceStatus,
    StatusEntry,
    ebh_time,
    ebh_time_or_empty,
    us_date,
)
from invoice_hub.domain.delivery import Delivery, PayerInvoice
from invoice_hub.logic.payer_statuses import (
    current_status,
    first_time,
    last_change,
    last_time,
    payer_history,
    status_note,
)


def ebh_history(delivery: Delivery) -> list[StatusEntry]:
    return [StatusEntry(Status=status, StatusDate=at) for status, at in payer_history(delivery)]


def status_of(delivery: Delivery) -> PayorInvoiceStatus:
    return PayorInvoiceStatus(
        SubmissionId=delivery.submission_id,
        InvoiceId=delivery.external_invoice_id or "",
        PayorOrgId=delivery.payor_org_id or "",
        PayorOrgEBillingId=delivery.payor_org_ebilling_id or "",
        StatusHistory=ebh_history(delivery),
    )


def detail_of(delivery: Delivery) -> PayorInvoiceDetail:
    """A payor's invoice as the status details give it."""
    invoice = delivery.payer_invoice or PayerInvoice(hub_reference=0)
    matters = invoice.matters
    return PayorInvoiceDetail(
        InvoiceId=delivery.external_invoice_id or "",
        HubReferenceNumber=invoice.hub_reference,
        InvoiceDate=us_date(invoice.invoice_date or delivery.created_at.date()),
        StartDate=us_date(invoice.period_start),
        EndDate=us_date(invoice.period_end),
        TransmitDateTime=ebh_time_or_empty(last_time(delivery, "forwarded")),
        ApprovedDateTime=ebh_time_or_empty(first_time(delivery, "approved")),
        CurrentHubStatus=current_status(delivery),
        ChangedDateTime=ebh_time(last_change(delivery)),
        MatterId=", ".join(matter.id for matter in matters),
        MatterDescription=next((m.description for m in matters if m.description), ""),
        StatusNote=status_note(delivery) or "",
        EBHRecipient=delivery.destination.name,
        Vendor=delivery.destination.name,
        ClientName=invoice.payer_name or "",
        ClientId=delivery.payor_org_ebilling_id or "",
        SubmissionId=delivery.submission_id,
        PayorOrgId=delivery.payor_org_id or "",
        PayorOrgEBillingId=delivery.payor_org_ebilling_id or "",
    )
