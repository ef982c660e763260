"""A payer send's history as eBillingHub's status history tells it."""

from __future__ import annotations

from invoice_hub.contracts.ebh.models import PayorInvoiceStatus, StatusEntry
from invoice_hub.domain.delivery import Delivery
from invoice_hub.logic.payer_submissions import payer_history


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
