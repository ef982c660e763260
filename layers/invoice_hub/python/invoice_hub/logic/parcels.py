"""What one send carries, by its method: the patient's address for the channel, the message with its
placeholders filled, and the invoice's PDF where the channel carries a document.

An event to a webhook carries its stored body, goes to the webhook's URL as it is now (an event that
failed at an old URL goes to the mended one when retried) and is signed with the webhook's secret (a
deleted webhook's events fail at once, permanently).

A send whose channel lacks what it needs (no e-mail for EMAIL, no phone for SMS or CALL, no postal
address for MAIL, no card for CHARGE_CARD) is a permanent failure at once, its reason saying what is
missing. A card charge of an invoice no longer open (paid, void, written off) is refused the same way.

The message: the request's or the rule's, or a default, with `{first_name}`, `{url}` (the payment link),
`{amount}` and `{practice}` filled; any other brace is left as it is. `text_of` is the one function that
fills it: the Sender sends its result and Decoda's `smsContent` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoice_hub.connectors.base import Parcel, SendResult
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.dal.patients import PatientRepository
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.dal.webhooks import WebhookRepository
from invoice_hub.domain.delivery import Delivery, Method
from invoice_hub.domain.invoice import Invoice, InvoiceStatus
from invoice_hub.domain.money import ZERO
from invoice_hub.domain.patient import PatientContact, missing_for
from invoice_hub.domain.tenant import Tenant
from invoice_hub.logic.documents import Documents, full_name

#: the patient's channels (EBILL goes to a payer; EXPIRY carries nothing)
PATIENT_METHODS = frozenset({Method.EMAIL, Method.SMS, Method.CALL, Method.MAIL, Method.CHARGE_CARD})
#: carried with the invoice's PDF
WITH_DOCUMENT = frozenset({Method.EMAIL, Method.MAIL})
OPEN = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALY_PAID})
DEFAULT_MESSAGE = "Hi {first_name}, your invoice from {practice} for {amount} is ready. Pay online: {url}"


def amount_text(cents: int) -> str:
    return f"${Decimal(cents) / 100:,.2f}"


def fill(template: str, *, first_name: str, url: str, amount: str, practice: str) -> str:
    filled = template
    for name, value in (("first_name", first_name), ("url", url), ("amount", amount), ("practice", practice)):
        filled = filled.replace("{" + name + "}", value)
    return filled


@dataclass(frozen=True)
class Composer:
    tenants: TenantRepository
    patients: PatientRepository
    invoices: InvoiceRepository
    documents: Documents
    webhooks: WebhookRepository | None = None  # where events to webhooks go, and what signs them

    def text_of(self, delivery: Delivery, contact: PatientContact | None, tenant: Tenant) -> str:
        return fill(
            delivery.message or DEFAULT_MESSAGE,
            first_name=(contact.first_name if contact else None) or "",
            url=self.documents.payment_link(delivery.invoice_id),
            amount=amount_text(delivery.amount_cents),
            practice=tenant.name,
        )

    def sms_text(self, delivery: Delivery) -> str | None:
        """The text an SMS delivery sends (Decoda's smsContent); None for another method."""
        if delivery.method is not Method.SMS or delivery.patient_id is None:
            return None
        contact = self.patients.get(delivery.tenant_id, delivery.patient_id)
        return self.text_of(delivery, contact, self.tenants.get(delivery.tenant_id))

    def parcel(self, delivery: Delivery, credential: str | None) -> Parcel | SendResult:
        """The parcel to send, or the permanent failure of a send that cannot be made."""
        if delivery.method is Method.WEBHOOK and delivery.event is not None and self.webhooks is not None:
            signing = self.webhooks.signing(delivery.tenant_id, delivery.event.webhook_id)
            if signing is None:
                return SendResult(ok=False, permanent=True, reason="the webhook was deleted")
            return Parcel(delivery, signing.secret, to=signing.url)
        if delivery.method not in PATIENT_METHODS:
            return Parcel(delivery, credential)
        contact = self.patients.get(delivery.tenant_id, delivery.patient_id) if delivery.patient_id else None
        missing = missing_for(contact, delivery.method)
        if missing is not None or contact is None:
            return SendResult(ok=False, permanent=True, reason=missing or "no contact for the patient")
        tenant = self.tenants.get(delivery.tenant_id)
        invoices = [self.invoices.get(delivery.tenant_id, i) for i in delivery.invoice_ids]
        if delivery.method is Method.CHARGE_CARD and not any(_open(i) for i in invoices):
            states = ", ".join(sorted({str(i.status) for i in invoices})) or "none"
            return SendResult(ok=False, permanent=True, reason=f"nothing to charge: the invoice is {states}")
        document = (
            self.documents.pdf(invoices[0], contact)
            if delivery.method in WITH_DOCUMENT and invoices
            else None
        )
        to = {
            Method.EMAIL: contact.email,
            Method.SMS: contact.phone,
            Method.CALL: contact.phone,
            Method.CHARGE_CARD: contact.card,
        }.get(delivery.method)
        return Parcel(
            delivery,
            credential,
            to=to,
            name=full_name(contact),
            address=contact.address,
            sender=tenant.email_identity,
            practice=tenant.name,
            subject=f"Your invoice {invoices[0].reg_number} from {tenant.name}" if invoices else None,
            text=self.text_of(delivery, contact, tenant),
            document=document,
        )


def _open(invoice: Invoice) -> bool:
    return invoice.status in OPEN and invoice.charges.remaining_amount > ZERO
