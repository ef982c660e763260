"""Invoice storage: the interface logic uses, over the single table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import (
    batch_get,
    cancellation_codes,
    dynamodb_client,
    error_code,
    from_item,
    full_items,
    query_pages,
    throttling_as_busy,
    to_item,
)
from invoice_hub.dal.idempotency import PUT_IF_FREE, IdempotencyRecord, parse_record, record_item
from invoice_hub.domain.errors import IllegalTransition, InvoiceNotFound, VersionConflict
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceQuery, InvoiceStatus, LineItem

ENTITY = "INVOICE"


class SequenceMoved(Exception):
    """Another create took the next registration number first; read the sequence again and retry."""


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same Idempotency-Key committed first."""


@dataclass(frozen=True)
class CreateContext:
    """What a create needs to read first: the live idempotency record (if any) and the last number."""

    record: IdempotencyRecord | None
    last_sequence: int


def search_text(invoice: Invoice) -> str:
    """Lower-cased text that the list's `search` matches: numbers, ids, item descriptions and tags."""
    parts = [invoice.reg_number, str(invoice.id), str(invoice.patient_id)]
    parts += [str(invoice.appointment_id)] if invoice.appointment_id else []
    parts += [invoice.external_id] if invoice.external_id else []
    parts += [item.description for item in invoice.charges.items]
    parts += [item.code for item in invoice.charges.items if item.code]
    parts += list(invoice.tags)
    return "\n".join(parts).lower()


def invoice_to_item(invoice: Invoice) -> dict[str, Any]:
    tid, created = invoice.tenant_id, keys.created_sort_key(invoice.created_at, invoice.id)
    charges = invoice.charges
    values: dict[str, Any] = {
        **keys.invoice_key(tid, invoice.id),
        "GSI1PK": keys.invoices_all(tid),
        "GSI1SK": created,
        "GSI2PK": keys.invoices_by_status(tid, invoice.status),
        "GSI2SK": created,
        "GSI3PK": keys.invoices_by_patient(tid, invoice.patient_id),
        "GSI3SK": created,
        "GSI4PK": keys.invoices_by_appointment(tid, invoice.appointment_id)
        if invoice.appointment_id
        else None,
        "GSI4SK": created if invoice.appointment_id else None,
        "entity": ENTITY,
        "id": str(invoice.id),
        "tenant_id": str(tid),
        "reg_number": invoice.reg_number,
        "external_id": invoice.external_id,
        "patient_id": str(invoice.patient_id),
        "appointment_id": str(invoice.appointment_id) if invoice.appointment_id else None,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "status": str(invoice.status),
        "items": [
            {
                k: v
                for k, v in {
                    "id": str(item.id),
                    "description": item.description,
                    "code": item.code,
                    "quantity": item.quantity,
                    "unit_price": item.unit_price,
                }.items()
                if v is not None
            }
            for item in charges.items
        ],
        "discount_amount": charges.discount_amount,
        "discount_percent": charges.discount_percent,
        "paid_amount": charges.paid_amount,
        "tags": list(invoice.tags),
        "write_off_reason": invoice.write_off_reason,
        "created_at": invoice.created_at.isoformat(),
        "updated_at": invoice.updated_at.isoformat(),
        "version": invoice.version,
        "search_text": search_text(invoice),
    }
    return to_item(values)


def invoice_from_item(item: dict[str, Any]) -> Invoice:
    data = from_item(item)
    charges = Charges(
        items=tuple(LineItem.model_validate(line) for line in data.get("items", [])),
        discount_amount=data["discount_amount"],
        discount_percent=data["discount_percent"],
        paid_amount=data["paid_amount"],
    )
    return Invoice(
        id=data["id"],
        tenant_id=data["tenant_id"],
        reg_number=data["reg_number"],
        external_id=data.get("external_id"),
        patient_id=data["patient_id"],
        appointment_id=data.get("appointment_id"),
        issue_date=data["issue_date"],
        due_date=data.get("due_date"),
        status=InvoiceStatus(data["status"]),
        charges=charges,
        tags=tuple(data.get("tags", [])),
        write_off_reason=data.get("write_off_reason"),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=int(data["version"]),
    )


_SORT_KEYS: dict[str, Callable[[Invoice], Any]] = {
    "created_at": lambda i: i.created_at.isoformat(),
    "updated_at": lambda i: i.updated_at.isoformat(),
    "issue_date": lambda i: i.issue_date.isoformat(),
    "due_date": lambda i: i.due_date.isoformat() if i.due_date else None,
    "reg_number": lambda i: i.reg_number,
    "status": lambda i: str(i.status),
    "subtotal": lambda i: i.charges.subtotal,
    "total_amount": lambda i: i.charges.total_amount,
    "remaining_amount": lambda i: i.charges.remaining_amount,
    "paid_amount": lambda i: i.charges.paid_amount,
    "discount_amount": lambda i: i.charges.discount_amount,
    "patient_id": lambda i: str(i.patient_id),
    "appointment_id": lambda i: str(i.appointment_id) if i.appointment_id else None,
}


def sort_invoices(invoices: list[Invoice], field: str, descending: bool) -> list[Invoice]:
    """Stable order by `field` (missing values last either way), ties by creation."""
    key = _SORT_KEYS[field]
    ordered = sorted(invoices, key=lambda i: (i.created_at.isoformat(), str(i.id)), reverse=descending)
    present = [i for i in ordered if key(i) is not None]
    missing = [i for i in ordered if key(i) is None]
    return sorted(present, key=key, reverse=descending) + missing


class InvoiceRepository:
    """Invoices of every tenant; every method takes the caller's tenant and builds keys from it."""

    def __init__(self, table_name: str, idempotency_table_name: str) -> None:
        self.table = table_name
        self.idempotency_table = idempotency_table_name
        self.client = dynamodb_client()

    # -- create --------------------------------------------------------------------------------------
    def create_context(self, tenant_id: UUID, idempotency: dict[str, str] | None) -> CreateContext:
        """One BatchGetItem: the idempotency record (when a key is given) and the tenant's sequence."""
        request: dict[str, Any] = {
            self.table: {"Keys": [to_item(keys.invoice_sequence_key(tenant_id))], "ConsistentRead": True}
        }
        if idempotency:
            request[self.idempotency_table] = {"Keys": [to_item(idempotency)], "ConsistentRead": True}
        with throttling_as_busy():
            response = self.client.batch_get_item(RequestItems=request)
        unprocessed = response.get("UnprocessedKeys") or {}
        if unprocessed:  # throttled part of the batch: read again once, key by key
            for table, ask in unprocessed.items():
                for key in ask["Keys"]:
                    got = self.client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
                    if got:
                        response["Responses"].setdefault(table, []).append(got)
        found = response.get("Responses", {})
        sequence = found.get(self.table, [])
        records = found.get(self.idempotency_table, [])
        last = int(from_item(sequence[0])["seq"]) if sequence else 0
        return CreateContext(record=parse_record(records[0] if records else None), last_sequence=last)

    def create(
        self,
        invoice: Invoice,
        sequence: int,
        idempotency: tuple[dict[str, str], IdempotencyRecord] | None,
        now_epoch: int,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """One transaction: the sequence moves on, the invoice and its idempotency record appear."""
        seq_key = to_item(keys.invoice_sequence_key(invoice.tenant_id))
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": seq_key,
                    "UpdateExpression": "SET seq = :next",
                    "ConditionExpression": "attribute_not_exists(seq) OR seq = :last",
                    "ExpressionAttributeValues": to_item({":next": sequence, ":last": sequence - 1}),
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": invoice_to_item(invoice),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        if idempotency:
            items.append(self._record_put(idempotency, now_epoch))
        items.extend(also)  # after the idempotency record: cancellation reasons are read by position
        try:
            with throttling_as_busy():
                self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            codes = cancellation_codes(error)
            if idempotency and len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise IdempotencyKeyTaken() from error
            if codes and codes[0] == "ConditionalCheckFailed":
                raise SequenceMoved() from error
            raise

    def _record_put(
        self, idempotency: tuple[dict[str, str], IdempotencyRecord], now_epoch: int
    ) -> dict[str, Any]:
        """The transaction item that stores an idempotency record, if its key is free or expired."""
        key, record = idempotency
        return {
            "Put": {
                "TableName": self.idempotency_table,
                "Item": record_item(key, record),
                **PUT_IF_FREE,
                "ExpressionAttributeValues": to_item({":now": now_epoch}),
            }
        }

    def create_without_invoice(
        self,
        idempotency: tuple[dict[str, str], IdempotencyRecord] | None,
        now_epoch: int,
        also: Sequence[dict[str, Any]],
    ) -> None:
        """One transaction: what a request creates besides an invoice, with its idempotency record."""
        items: list[dict[str, Any]] = []
        if idempotency:
            items.append(self._record_put(idempotency, now_epoch))
        items.extend(also)
        try:
            with throttling_as_busy():
                transact: Any = items
                self.client.transact_write_items(TransactItems=transact)
        except ClientError as error:
            if idempotency and cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise IdempotencyKeyTaken() from error
            raise

    # -- read ----------------------------------------------------------------------------------------
    def get(self, tenant_id: UUID, invoice_id: UUID) -> Invoice:
        with throttling_as_busy():
            response = self.client.get_item(
                TableName=self.table, Key=to_item(keys.invoice_key(tenant_id, invoice_id))
            )
        item = response.get("Item")
        if not item:
            raise InvoiceNotFound()
        return invoice_from_item(item)

    def get_many(self, tenant_id: UUID, invoice_ids: Sequence[UUID]) -> dict[UUID, Invoice]:
        """The tenant's invoices of these ids that exist, 100 a request."""
        wanted = [keys.invoice_key(tenant_id, i) for i in dict.fromkeys(invoice_ids)]
        found = (invoice_from_item(item) for item in batch_get(self.client, self.table, wanted))
        return {invoice.id: invoice for invoice in found}

    def list_page(self, tenant_id: UUID, query: InvoiceQuery) -> tuple[int, list[Invoice]]:
        """(total, page) of the tenant's invoices matching `query`.

        The index is the one made for the most selective equality filter (appointment, patient,
        status, else all), so those filters read only what they return. In creation order the
        query stops after offset + limit matches and counts the rest with Select=COUNT only when
        there is more; in any other order every match is read once and sorted here. The indexes carry
        the keys and the attributes the filters name (decision 020): the invoices themselves are read by
        `BatchGetItem`, the page's in creation order, every match's in any other.
        """
        index, partition, remaining = self._index_for(tenant_id, query)
        filters, values, names = self._filters(query, remaining)
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.index_name(index),
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"{index}PK", **names},
            "ExpressionAttributeValues": to_item({":pk": partition, **values}),
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)

        if query.order_field != "created_at":
            matches = self._read(query_pages(self.client, request))
            ordered = sort_invoices(matches, query.order_field, query.descending)
            return len(ordered), ordered[query.offset : query.offset + query.limit]

        request["ScanIndexForward"] = not query.descending
        wanted = query.offset + query.limit
        page: list[dict[str, Any]] = []
        exhausted = True
        for item in query_pages(self.client, {**request, "Limit": wanted} if not filters else request):
            page.append(item)
            if len(page) == wanted:
                exhausted = False
                break
        total = len(page) if exhausted else self._count(request)
        return total, self._read(page[query.offset :])

    def _read(self, entries: Iterable[dict[str, Any]]) -> list[Invoice]:
        """The invoices of these index entries, in their order."""
        return [invoice_from_item(item) for item in full_items(self.client, self.table, entries)]

    def _count(self, request: dict[str, Any]) -> int:
        total, start = 0, None
        while True:
            count_request: dict[str, Any] = {**request, "Select": "COUNT"}
            if start:
                count_request["ExclusiveStartKey"] = start
            with throttling_as_busy():
                response = self.client.query(**count_request)
            total += int(response.get("Count", 0))
            start = response.get("LastEvaluatedKey")
            if not start:
                return total

    @staticmethod
    def _index_for(tenant_id: UUID, query: InvoiceQuery) -> tuple[str, str, set[str]]:
        """The index and partition to query, and which equality filters it leaves to a FilterExpression."""
        remaining = {name for name in ("appointment_id", "patient_id", "status") if getattr(query, name)}
        if query.appointment_id:
            return (
                "GSI4",
                keys.invoices_by_appointment(tenant_id, query.appointment_id),
                remaining - {"appointment_id"},
            )
        if query.patient_id:
            return "GSI3", keys.invoices_by_patient(tenant_id, query.patient_id), remaining - {"patient_id"}
        if query.status:
            return "GSI2", keys.invoices_by_status(tenant_id, query.status), remaining - {"status"}
        return "GSI1", keys.invoices_all(tenant_id), remaining

    @staticmethod
    def _filters(
        query: InvoiceQuery, remaining: set[str]
    ) -> tuple[list[str], dict[str, Any], dict[str, str]]:
        filters: list[str] = []
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        for name in sorted(remaining):
            filters.append(f"#{name} = :{name}")
            names[f"#{name}"] = name
            values[f":{name}"] = str(getattr(query, name))
        for n, tag in enumerate(query.tags):
            filters.append(f"contains(#tags, :tag{n})")
            names["#tags"] = "tags"
            values[f":tag{n}"] = tag
        if query.search:
            filters.append("contains(#search, :search)")
            names["#search"] = "search_text"
            values[":search"] = query.search.strip().lower()
        return filters, values, names

    # -- write ---------------------------------------------------------------------------------------
    def replace_request(self, invoice: Invoice, expected_version: int) -> dict[str, Any]:
        """The conditional put of the invoice's new state (only if nobody wrote since the version read)."""
        return {
            "TableName": self.table,
            "Item": invoice_to_item(invoice),
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": to_item({":expected": expected_version}),
        }

    def replace(self, invoice: Invoice, expected_version: int, also: Sequence[dict[str, Any]] = ()) -> None:
        """Writes the new state only if nobody wrote since `expected_version` was read; with `also` (the
        deliveries an issue creates) in the same transaction."""
        self.replace_all([(invoice, expected_version)], also)

    def replace_all(
        self, invoices: Sequence[tuple[Invoice, int]], also: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Several invoices' new states (each on the version read) and `also`, all or none."""
        puts = [self.replace_request(invoice, expected) for invoice, expected in invoices]
        try:
            with throttling_as_busy():
                if len(puts) == 1 and not also:
                    self.client.put_item(**puts[0])
                else:
                    items: Any = [*({"Put": put} for put in puts), *also]
                    self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            conflict = error_code(error) == "ConditionalCheckFailedException" or (
                error_code(error) == "TransactionCanceledException"
                and "ConditionalCheckFailed" in cancellation_codes(error)
            )
            if conflict:
                raise VersionConflict(
                    "the invoice was changed by another request; read it again and retry"
                ) from error
            raise

    def delete_draft(self, tenant_id: UUID, invoice_id: UUID) -> None:
        try:
            with throttling_as_busy():
                self.client.delete_item(
                    TableName=self.table,
                    Key=to_item(keys.invoice_key(tenant_id, invoice_id)),
                    ConditionExpression="#status = :draft",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=to_item({":draft": InvoiceStatus.DRAFT.value}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            if not old:
                raise InvoiceNotFound() from error
            status = from_item(old)["status"]
            raise IllegalTransition(f"only a DRAFT invoice may be deleted; this one is {status}") from error


@lru_cache(maxsize=4)
def invoice_repository(settings: Settings) -> InvoiceRepository:
    """The repository of this container (its client and table names are reused by every invocation)."""
    return InvoiceRepository(settings.table_name, settings.idempotency_table_name)
