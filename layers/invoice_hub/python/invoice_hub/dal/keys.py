"""Every key of the single table. Each one starts with the tenant, so no query can cross tenants."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID


def tenant_prefix(tenant_id: UUID) -> str:
    return f"T#{tenant_id}"


def invoice_key(tenant_id: UUID, invoice_id: UUID) -> dict[str, str]:
    return {"PK": f"{tenant_prefix(tenant_id)}#INV#{invoice_id}", "SK": "INVOICE"}


def invoice_sequence_key(tenant_id: UUID) -> dict[str, str]:
    return {"PK": f"{tenant_prefix(tenant_id)}#SEQ", "SK": "INVOICE"}


def tenant_key(tenant_id: UUID) -> dict[str, str]:
    return {"PK": tenant_prefix(tenant_id), "SK": "TENANT"}


def created_sort_key(created_at: datetime, invoice_id: UUID) -> str:
    return f"{created_at.isoformat()}#{invoice_id}"


def invoices_all(tenant_id: UUID) -> str:
    return f"{tenant_prefix(tenant_id)}#INV"


def invoices_by_status(tenant_id: UUID, status: str) -> str:
    return f"{tenant_prefix(tenant_id)}#INV#ST#{status}"


def invoices_by_patient(tenant_id: UUID, patient_id: UUID) -> str:
    return f"{tenant_prefix(tenant_id)}#INV#PAT#{patient_id}"


def invoices_by_appointment(tenant_id: UUID, appointment_id: UUID) -> str:
    return f"{tenant_prefix(tenant_id)}#INV#APT#{appointment_id}"


def idempotency_key(tenant_id: UUID, operation: str, key: str) -> dict[str, str]:
    return {"id": f"{tenant_prefix(tenant_id)}#{operation}#{key}"}


def delivery_key(tenant_id: UUID, delivery_id: UUID) -> dict[str, str]:
    return {"PK": f"{tenant_prefix(tenant_id)}#DLV#{delivery_id}", "SK": "DELIVERY"}


def deliveries_of_invoice(tenant_id: UUID, invoice_id: UUID) -> str:
    return f"{tenant_prefix(tenant_id)}#INV#{invoice_id}#DLV"


def deliveries_by_status(tenant_id: UUID, status: str) -> str:
    return f"{tenant_prefix(tenant_id)}#DLV#ST#{status}"


WORK_SHARDS = 4


def work_shard(delivery_id: UUID) -> str:
    """The scheduler's index is global (it serves every tenant), spread over a few partitions."""
    return f"WORK#{delivery_id.int % WORK_SHARDS}"


def work_shards() -> list[str]:
    return [f"WORK#{n}" for n in range(WORK_SHARDS)]


def credential_key(kind: str, key_hash: str) -> dict[str, str]:
    return {"PK": f"CRED#{kind}#{key_hash}", "SK": "CREDENTIAL"}


def payer_sends_of_submission_before(tenant_id: UUID, submission_id: UUID) -> str:
    """GSI3 partition of a submission's payer sends as issue 13 wrote them (read, never written)."""
    return f"{tenant_prefix(tenant_id)}#SUB#{submission_id}"


def payer_sends_of_tenant(tenant_id: UUID) -> str:
    """GSI3 partition of a tenant's sends to payers (eBillingHub), sorted by submission, then creation."""
    return f"{tenant_prefix(tenant_id)}#PAYSEND"


def deliveries_of_external_invoice(tenant_id: UUID, external_invoice_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}#EXT#{external_invoice_id}"


#: the operators' directory of tenants (GSI1): one small partition, read by the ops command only
TENANT_DIRECTORY = "TENANTS"


def tenant_slug_key(slug: str) -> dict[str, str]:
    """A slug's claim: it makes slugs unique and finds a tenant by slug with one GetItem."""
    return {"PK": f"SLUG#{slug}", "SK": "TENANT_SLUG"}


def credentials_of_tenant(tenant_id: UUID) -> str:
    """GSI1 partition of a tenant's keys (listing and revoking them by id)."""
    return f"{tenant_prefix(tenant_id)}#CRED"


def patient_contact_key(tenant_id: UUID, patient_id: UUID) -> dict[str, str]:
    """A patient's contact (PHI): the key holds only ids."""
    return {"PK": f"{tenant_prefix(tenant_id)}#PAT#{patient_id}", "SK": "CONTACT"}


def document_key(tenant_id: UUID, invoice_id: UUID, invoice_version: int, contact_stamp: int) -> str:
    return f"documents/{tenant_id}/{invoice_id}/v{invoice_version}-c{contact_stamp}.pdf"


def documents_prefix(tenant_id: UUID, invoice_id: UUID) -> str:
    return f"documents/{tenant_id}/{invoice_id}/"


def payment_key(provider: str, reference: str) -> dict[str, str]:
    """A processor's payment (its events name no practice: the item does). Ids only."""
    return {"PK": f"PAY#{provider}#{reference}", "SK": "PAYMENT"}


def webhooks_of_tenant(tenant_id: UUID) -> str:
    """The partition of a tenant's webhooks: one Query finds every webhook an event may go to."""
    return f"{tenant_prefix(tenant_id)}#HOOK"


def webhook_key(tenant_id: UUID, webhook_id: UUID) -> dict[str, str]:
    return {"PK": webhooks_of_tenant(tenant_id), "SK": f"HOOK#{webhook_id}"}


def events_of_webhook(tenant_id: UUID, webhook_id: UUID) -> str:
    """GSI1 partition of the events sent (or being sent) to one webhook, by creation."""
    return f"{webhooks_of_tenant(tenant_id)}#{webhook_id}#EVT"


def rule_sets_of_tenant(tenant_id: UUID) -> str:
    """The partition of a tenant's rule sets (each with its rules): one Query lists every rule."""
    return f"{tenant_prefix(tenant_id)}#RULESET"


def rule_set_key(tenant_id: UUID, rule_set_id: UUID) -> dict[str, str]:
    return {"PK": rule_sets_of_tenant(tenant_id), "SK": f"SET#{rule_set_id}"}


def patient_sends_of_tenant(tenant_id: UUID) -> str:
    """GSI3 partition of a tenant's sends to patients (Decoda's invoice table), by creation."""
    return f"{tenant_prefix(tenant_id)}#PSEND"


#: The indexes' names on AWS, by the attributes they key on (`GSI1` is keyed on GSI1PK / GSI1SK). GSI1-4
#: project only the keys and what the invoice list filters on since issue 15 (decision 020); AWS cannot
#: change an index's projection in place, so those are new indexes with new names.
INDEX_NAMES = {"GSI1": "GSI1v2", "GSI2": "GSI2v2", "GSI3": "GSI3v2", "GSI4": "GSI4v2", "GSI5": "GSI5"}


def index_name(index: str) -> str:
    """The deployed name of the index keyed on `<index>PK` / `<index>SK`."""
    return INDEX_NAMES[index]
