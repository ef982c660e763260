"""The payment ledger: one item per payment a processor reports, keyed by the processor's own reference
(a Stripe PaymentIntent id), so that a payment is recorded once however many times and by whichever path
it is told (the Sender's card charge, the processor's webhook, a redelivered event).

The processor's events do not name the practice; the item does (`tenant_id`, from the metadata this
service set on the payment, which the processor signs back). Its key holds the processor's id only, and
the item no patient data: which invoices it paid, how much, and how much was refunded since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import dynamodb_client, error_code, from_item, throttling_as_busy, to_item
from invoice_hub.domain.errors import VersionConflict

ENTITY = "PAYMENT"


@dataclass(frozen=True)
class LedgerEntry:
    provider: str
    reference: str
    tenant_id: UUID
    #: (invoice id, cents) in the order the payment was applied
    applied: tuple[tuple[UUID, int], ...]
    amount_cents: int
    refunded_cents: int
    at: datetime


class PaymentLedger:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()

    def get(self, provider: str, reference: str) -> LedgerEntry | None:
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table, Key=to_item(keys.payment_key(provider, reference)), ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        data = from_item(item)
        return LedgerEntry(
            provider=provider,
            reference=reference,
            tenant_id=UUID(data["tenant_id"]),
            applied=tuple((UUID(i), int(c)) for i, c in data["applied"]),
            amount_cents=int(data["amount_cents"]),
            refunded_cents=int(data.get("refunded_cents", 0)),
            at=datetime.fromisoformat(data["at"]),
        )

    def put_request(self, entry: LedgerEntry) -> dict[str, Any]:
        """The transaction item that records a new payment (refused if it is already recorded)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(
                    {
                        **keys.payment_key(entry.provider, entry.reference),
                        "entity": ENTITY,
                        "tenant_id": str(entry.tenant_id),
                        "applied": [[str(i), c] for i, c in entry.applied],
                        "amount_cents": entry.amount_cents,
                        "refunded_cents": entry.refunded_cents,
                        "at": entry.at.isoformat(),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def refund_request(self, entry: LedgerEntry, refunded_cents: int) -> dict[str, Any]:
        """The transaction item that raises the refunded total, only from the total read."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.payment_key(entry.provider, entry.reference)),
                "UpdateExpression": "SET refunded_cents = :new",
                "ConditionExpression": "refunded_cents = :old",
                "ExpressionAttributeValues": to_item({":new": refunded_cents, ":old": entry.refunded_cents}),
            }
        }

    def write(self, items: list[dict[str, Any]]) -> None:
        """The payment's items and the invoices it changes, all or none."""
        transaction: Any = items
        try:
            with throttling_as_busy():
                self.client.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise VersionConflict("the payment or its invoice changed meanwhile") from error
            raise


@lru_cache(maxsize=4)
def payment_ledger(settings: Settings) -> PaymentLedger:
    return PaymentLedger(settings.table_name)
