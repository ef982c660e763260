"""Patients' contacts: one item per patient and practice, in the table the stack's key encrypts.

The item holds the contact's fields and the ids; its key holds only the ids. Erasing deletes the item:
invoices and sends refer to the patient by id and keep no contact data.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import batch_get, dynamodb_client, from_item, throttling_as_busy, to_item
from invoice_hub.domain.patient import PatientContact

ENTITY = "PATIENT_CONTACT"


class PatientRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()

    def get(self, tenant_id: UUID, patient_id: UUID) -> PatientContact | None:
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table,
                Key=to_item(keys.patient_contact_key(tenant_id, patient_id)),
                ConsistentRead=True,
            ).get("Item")
        if not item:
            return None
        data = from_item(item)
        return PatientContact.model_validate(
            {k: v for k, v in data.items() if k in PatientContact.model_fields}
        )

    def get_many(self, tenant_id: UUID, patient_ids: Sequence[UUID]) -> dict[UUID, PatientContact]:
        """The tenant's patients' contacts of these ids that exist, 100 a request."""
        wanted = [keys.patient_contact_key(tenant_id, p) for p in dict.fromkeys(patient_ids)]
        found = (self._contact(from_item(item)) for item in batch_get(self.client, self.table, wanted))
        return {contact.patient_id: contact for contact in found}

    def put(self, contact: PatientContact) -> PatientContact:
        """Stores the contact over the stored one in one write: a field the new one gives replaces the
        stored field, a field it leaves out stays (concurrent puts cannot lose each other's fields)."""
        given = {"entity": ENTITY, **contact.model_dump(mode="json", exclude_none=True)}
        names = {f"#f{n}": field for n, field in enumerate(given)}
        values = {f":v{n}": value for n, value in enumerate(given.values())}
        with throttling_as_busy():
            answer = self.client.update_item(
                TableName=self.table,
                Key=to_item(keys.patient_contact_key(contact.tenant_id, contact.patient_id)),
                UpdateExpression="SET " + ", ".join(f"#f{n} = :v{n}" for n in range(len(given))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        return self._contact(from_item(answer["Attributes"]))

    def erase(self, tenant_id: UUID, patient_id: UUID) -> bool:
        """Deletes the contact; False when there was none."""
        with throttling_as_busy():
            answer = self.client.delete_item(
                TableName=self.table,
                Key=to_item(keys.patient_contact_key(tenant_id, patient_id)),
                ReturnValues="ALL_OLD",
            )
        return bool(answer.get("Attributes"))

    @staticmethod
    def _contact(data: dict[str, Any]) -> PatientContact:
        return PatientContact.model_validate(
            {k: v for k, v in data.items() if k in PatientContact.model_fields}
        )


@lru_cache(maxsize=4)
def patient_repository(settings: Settings) -> PatientRepository:
    return PatientRepository(settings.table_name)
