"""Patients' contacts: recorded from what a contract gives, erased on request."""

from __future__ import annotations

from uuid import UUID

from invoice_hub.dal.patients import PatientRepository
from invoice_hub.domain.errors import NotFound
from invoice_hub.domain.patient import PatientContact
from invoice_hub.logic.documents import Documents


def record_contact(repo: PatientRepository, contact: PatientContact) -> PatientContact:
    """The patient's contact after this one is recorded over it (fields not given stay)."""
    return repo.put(contact)


def erase_contact(
    repo: PatientRepository, tenant_id: UUID, patient_id: UUID, documents: Documents | None = None
) -> None:
    """Removes every contact field of the patient, and the documents that show the patient's name;
    invoices and sends stay, by the patient's id."""
    if not repo.erase(tenant_id, patient_id):
        raise NotFound("no contact is kept for this patient")
    if documents is not None:
        documents.erase_patient(tenant_id, patient_id)


def contact_of(repo: PatientRepository, tenant_id: UUID, patient_id: UUID) -> PatientContact:
    found = repo.get(tenant_id, patient_id)
    if found is None:
        raise NotFound("no contact is kept for this patient")
    return found
