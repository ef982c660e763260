"""The invoice's document: rendered once per invoice version (and contact), kept in S3, served by a
short-lived presigned URL; and the payment link it and the messages carry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from invoice_hub.dal.documents import DocumentStore, document_key, documents_prefix
from invoice_hub.dal.invoices import InvoiceRepository
from invoice_hub.dal.patients import PatientRepository
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.domain.document import InvoiceDocument
from invoice_hub.domain.invoice import MAX_LIMIT, Invoice, InvoiceQuery
from invoice_hub.domain.patient import PatientContact


def full_name(contact: PatientContact | None) -> str | None:
    if contact is None:
        return None
    return " ".join(p for p in (contact.first_name, contact.last_name) if p) or None


def contact_stamp(contact: PatientContact | None) -> int:
    """A number that changes when the contact does (the name on the document), with no patient data."""
    return int(contact.updated_at.timestamp() * 1000) if contact else 0


@dataclass(frozen=True)
class Documents:
    invoices: InvoiceRepository
    tenants: TenantRepository
    patients: PatientRepository
    store: DocumentStore
    render: Callable[[InvoiceDocument], bytes]
    payment_link_base: str
    url_seconds: int

    def payment_link(self, invoice_id: UUID | None) -> str:
        base = self.payment_link_base.rstrip("/")
        return f"{base}/{invoice_id}" if invoice_id else base

    def _stored(
        self, invoice: Invoice, contact: PatientContact | None, *, new: bool = False
    ) -> tuple[str, bytes | None]:
        """The document's key, and its bytes when this call rendered it (None: it was already stored).
        `new`: the invoice was made by this request, so no document of it can be stored yet."""
        key = document_key(invoice.tenant_id, invoice.id, invoice.version, contact_stamp(contact))
        if not new and self.store.exists(key):
            return key, None
        tenant = self.tenants.get(invoice.tenant_id)
        pdf = self.render(
            InvoiceDocument.of(
                invoice,
                practice_name=tenant.name,
                practice_address=tenant.address,
                patient_name=full_name(contact),
                payment_url=self.payment_link(invoice.id),
            )
        )
        self.store.put(key, pdf)
        return key, pdf

    def pdf(self, invoice: Invoice, contact: PatientContact | None) -> bytes:
        key, rendered = self._stored(invoice, contact)
        if rendered is not None:
            return rendered
        return self.store.get(key) or self._stored(invoice, contact)[1] or b""

    def url(self, tenant_id: UUID, invoice_id: UUID) -> str:
        """A presigned URL of the invoice's current document (rendered now if it is not yet); NotFound
        for another tenant's invoice."""
        return self.url_of(self.invoices.get(tenant_id, invoice_id))

    def url_of(self, invoice: Invoice, *, new: bool = False) -> str:
        """`new`: the invoice was made by this request (a new id): its document is rendered and stored
        without looking for it first."""
        key, _ = self._stored(invoice, self.patients.get(invoice.tenant_id, invoice.patient_id), new=new)
        return self.store.url(key, self.url_seconds)

    def erase_patient(self, tenant_id: UUID, patient_id: UUID) -> None:
        """Deletes the documents of the patient's invoices (they show the erased patient's name); each is
        rendered again, without it, when next asked for."""
        offset = 0
        while True:
            _, page = self.invoices.list_page(
                tenant_id, InvoiceQuery(patient_id=patient_id, limit=MAX_LIMIT, offset=offset)
            )
            for invoice in page:
                self.store.delete_prefix(documents_prefix(tenant_id, invoice.id))
            if len(page) < MAX_LIMIT:
                return
            offset += MAX_LIMIT
