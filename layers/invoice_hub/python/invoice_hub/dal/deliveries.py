"""Delivery storage over the single table.

Indexes a delivery appears in:
- GSI1, the invoice's deliveries (by creation), or a webhook's events;
- GSI3 and GSI4, for payer submissions (eBillingHub): the tenant's, by SubmissionId (the status
  search reads the whole partition), and by the billing organisation's InvoiceId; GSI3 also holds a
  practice's sends to patients (Decoda's invoice table);
- GSI2, by status, only while FAILED, CANCELLED or SENT (sparse: these are the lists the Healthbridge
  contract serves, so listing failures costs what is returned, not what is stored), sorted by when
  the delivery reached that status; an event to a webhook only while FAILED (a failed event is re-driven
  as a failed send is; the sent and aborted lists are of invoices);
- GSI5, the scheduler's work index, global and sharded, only while the schedule has work to do with
  it: PENDING (at `check_at`: its send time, or when a queued message should have been handled) or
  FAILED transiently with automatic re-drive rounds left (at its next retry, with growing back-off).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import (
    dynamodb_client,
    error_code,
    from_item,
    full_items,
    query_pages,
    throttling_as_busy,
    to_item,
)
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, HistoryEntry, RedrivePolicy
from invoice_hub.domain.errors import NotFound, VersionConflict

S = DeliveryStatus
LISTED = frozenset({S.FAILED, S.CANCELLED, S.SENT})
ENTITY = "DELIVERY"


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Delivery not found")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class DeliveryRepository:
    def __init__(self, table_name: str, redrive: RedrivePolicy, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()  # the ops command passes its target's
        # the work index holds a FAILED delivery at the time this policy re-drives it; the schedule reads
        # the index and checks each delivery by the same policy
        self.redrive = redrive

    # -- items ---------------------------------------------------------------------------------------
    def to_item(self, delivery: Delivery) -> dict[str, Any]:
        tid = delivery.tenant_id
        values: dict[str, Any] = {
            **keys.delivery_key(tid, delivery.id),
            "entity": ENTITY,
            **delivery.model_dump(mode="json", exclude_none=True, exclude={"history", "destination"}),
            "destination": delivery.destination.model_dump(mode="json", exclude_none=True),
            "history": [entry.model_dump(mode="json", exclude_none=True) for entry in delivery.history],
        }
        if delivery.invoice_ids:
            values["GSI1PK"] = keys.deliveries_of_invoice(tid, delivery.invoice_ids[0])
            values["GSI1SK"] = f"{delivery.created_at.isoformat()}#{delivery.id}"
        elif delivery.event is not None:  # an event to a webhook: listed by its webhook
            values["GSI1PK"] = keys.events_of_webhook(tid, delivery.event.webhook_id)
            values["GSI1SK"] = f"{delivery.created_at.isoformat()}#{delivery.id}"
        if delivery.payor_org_id is not None:  # a submission to a payer (eBillingHub)
            values["GSI3PK"] = keys.payer_sends_of_tenant(tid)
            values["GSI3SK"] = f"{delivery.submission_id}#{delivery.created_at.isoformat()}#{delivery.id}"
        elif delivery.destination.kind == "patient_channel":  # the practice's sends to patients (Decoda's)
            values["GSI3PK"] = keys.patient_sends_of_tenant(tid)
            values["GSI3SK"] = f"{delivery.created_at.isoformat()}#{delivery.id}"
        if delivery.external_invoice_id is not None:
            values["GSI4PK"] = keys.deliveries_of_external_invoice(tid, delivery.external_invoice_id)
            values["GSI4SK"] = f"{delivery.created_at.isoformat()}#{delivery.id}"
        if delivery.status in LISTED and (delivery.event is None or delivery.status is S.FAILED):
            reached = delivery.sent_at if delivery.status is S.SENT else delivery.updated_at
            values["GSI2PK"] = keys.deliveries_by_status(tid, delivery.status)
            values["GSI2SK"] = f"{_iso(reached)}#{delivery.id}"
        due = self._work_due(delivery)
        if due is not None:
            values["GSI5PK"] = keys.work_shard(delivery.id)
            values["GSI5SK"] = f"{due.isoformat()}#{tid}#{delivery.id}"
        return to_item(values)

    def _work_due(self, delivery: Delivery) -> datetime | None:
        if delivery.status is S.PENDING:
            return delivery.check_at
        return self.redrive.due(delivery)

    @staticmethod
    def from_item(item: dict[str, Any]) -> Delivery:
        data = from_item(item)
        data["destination"] = Destination.model_validate(data["destination"])
        data["history"] = tuple(HistoryEntry.model_validate(entry) for entry in data.get("history", []))
        fields = Delivery.model_fields
        return Delivery.model_validate({name: value for name, value in data.items() if name in fields})

    def put_requests(self, deliveries: Sequence[Delivery]) -> list[dict[str, Any]]:
        """Transaction items that create these deliveries (for a transaction with what caused them)."""
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self.to_item(delivery),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for delivery in deliveries
        ]

    # -- reads ---------------------------------------------------------------------------------------
    def get(self, tenant_id: UUID, delivery_id: UUID) -> Delivery:
        with throttling_as_busy():
            response = self.client.get_item(
                TableName=self.table,
                Key=to_item(keys.delivery_key(tenant_id, delivery_id)),
                ConsistentRead=True,
            )
        item = response.get("Item")
        if not item:
            raise DeliveryNotFound()
        return self.from_item(item)

    def by_status(self, tenant_id: UUID, status: DeliveryStatus, prefix: str = "") -> list[Delivery]:
        """FAILED, CANCELLED or SENT deliveries, oldest first; `prefix` narrows by the time they got there
        (e.g. a UTC date `2026-11-21`)."""
        if status not in LISTED:
            raise ValueError(f"{status} deliveries are not indexed by status")
        condition = "GSI2PK = :pk" + (" AND begins_with(GSI2SK, :prefix)" if prefix else "")
        values = {":pk": keys.deliveries_by_status(tenant_id, status)}
        if prefix:
            values[":prefix"] = prefix
        request = {
            "TableName": self.table,
            "IndexName": keys.index_name("GSI2"),
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }
        return self._read(query_pages(self.client, request))

    def oldest_by_status(self, tenant_id: UUID, status: DeliveryStatus, limit: int) -> list[Delivery]:
        """At most `limit` FAILED, CANCELLED or SENT deliveries, oldest first: one `Query` page of `limit`
        items (not every 1 MB page of the status), so the read costs what it returns."""
        if status not in LISTED:
            raise ValueError(f"{status} deliveries are not indexed by status")
        request = {
            "TableName": self.table,
            "IndexName": keys.index_name("GSI2"),
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.deliveries_by_status(tenant_id, status)}),
            "Limit": limit,
        }
        return self._read(islice(query_pages(self.client, request), limit))

    def of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[Delivery]:
        return self._by_index("GSI1", keys.deliveries_of_invoice(tenant_id, invoice_id))

    def events_of_webhook(self, tenant_id: UUID, webhook_id: UUID) -> list[Delivery]:
        """The events made for one webhook, oldest first."""
        return self._by_index("GSI1", keys.events_of_webhook(tenant_id, webhook_id))

    def to_patients(self, tenant_id: UUID) -> list[Delivery]:
        """The practice's sends to patients, oldest first."""
        return self._by_index("GSI3", keys.patient_sends_of_tenant(tenant_id))

    def of_submission(self, tenant_id: UUID, submission_id: UUID) -> list[Delivery]:
        found = self._by_index("GSI3", keys.payer_sends_of_tenant(tenant_id), f"{submission_id}#")
        # a send written before payer sends shared the tenant's partition (and not changed since) is
        # still under its submission's own
        return found or self._by_index(
            "GSI3", keys.payer_sends_of_submission_before(tenant_id, submission_id)
        )

    def to_payers(self, tenant_id: UUID) -> list[Delivery]:
        """The tenant's sends to payers, by submission (eBillingHub's status search)."""
        return self._by_index("GSI3", keys.payer_sends_of_tenant(tenant_id))

    def of_external_invoice(self, tenant_id: UUID, external_invoice_id: str) -> list[Delivery]:
        return self._by_index("GSI4", keys.deliveries_of_external_invoice(tenant_id, external_invoice_id))

    def _by_index(self, index: str, partition: str, prefix: str = "") -> list[Delivery]:
        """The deliveries of one partition of `index`, in its sort order (those whose sort key begins
        with `prefix`, when given)."""
        names = {"#pk": f"{index}PK"}
        values = {":pk": partition}
        condition = "#pk = :pk"
        if prefix:
            names["#sk"] = f"{index}SK"
            values[":prefix"] = prefix
            condition += " AND begins_with(#sk, :prefix)"
        request = {
            "TableName": self.table,
            "IndexName": keys.index_name(index),
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }
        return self._read(query_pages(self.client, request))

    def _read(self, entries: Iterable[dict[str, Any]]) -> list[Delivery]:
        """The deliveries of these index entries (the indexes project keys and a few attributes, not the
        item: decision 020), in the index's order."""
        return [self.from_item(item) for item in full_items(self.client, self.table, entries)]

    def due_work(self, now: datetime, limit: int = 500) -> list[tuple[UUID, UUID]]:
        """(tenant id, delivery id) of every delivery whose work is due, across tenants and shards."""
        found: list[tuple[UUID, UUID]] = []
        for shard in keys.work_shards():
            request = {
                "TableName": self.table,
                "IndexName": keys.index_name("GSI5"),
                "KeyConditionExpression": "GSI5PK = :pk AND GSI5SK <= :now",
                "ExpressionAttributeValues": to_item({":pk": shard, ":now": f"{now.isoformat()}~"}),
            }
            for item in query_pages(
                self.client, request
            ):  # the index keeps keys only: the sort key names the delivery
                _, tenant_id, delivery_id = str(from_item(item)["GSI5SK"]).rsplit("#", 2)
                found.append((UUID(tenant_id), UUID(delivery_id)))
                if len(found) >= limit:
                    return found
        return found

    # -- writes --------------------------------------------------------------------------------------
    def create(self, deliveries: Sequence[Delivery]) -> None:
        for chunk in range(0, len(deliveries), 100):
            items: Any = self.put_requests(deliveries[chunk : chunk + 100])
            with throttling_as_busy():
                self.client.transact_write_items(TransactItems=items)

    def create_once(self, delivery: Delivery) -> bool:
        """Creates the delivery unless one with its id exists (False then: made before, by an earlier
        reading of the same fact)."""
        try:
            with throttling_as_busy():
                self.client.put_item(**self.put_requests([delivery])[0]["Put"])
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save_request(self, delivery: Delivery) -> dict[str, Any]:
        """The transaction item of `save` (for a transaction with what the outcome changes)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": self.to_item(delivery),
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": to_item({":expected": delivery.version - 1}),
            }
        }

    def save(self, delivery: Delivery) -> None:
        """Writes the next state, only if nobody wrote since the version before it."""
        try:
            with throttling_as_busy():
                self.client.put_item(**self.save_request(delivery)["Put"])
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise VersionConflict("the delivery changed meanwhile") from error
            raise


@lru_cache(maxsize=4)
def delivery_repository(settings: Settings) -> DeliveryRepository:
    redrive = RedrivePolicy(timedelta(seconds=settings.retry_backoff_seconds), settings.max_redrive_rounds)
    return DeliveryRepository(settings.table_name, redrive)
