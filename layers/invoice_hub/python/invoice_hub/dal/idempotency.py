"""Idempotency records: the first response to a key, kept 24 h, written with what the request created."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from invoice_hub.dal.dynamo import from_item, to_item


class IdempotencyRecord(BaseModel):
    request_hash: str
    status_code: int
    body: str
    expiration: int  # epoch seconds; DynamoDB's TTL attribute

    def expired(self, now_epoch: int) -> bool:
        """TTL deletion lags by up to days, so expiry is also checked on read."""
        return self.expiration <= now_epoch


def record_item(key: dict[str, str], record: IdempotencyRecord) -> dict[str, Any]:
    return to_item({**key, **record.model_dump()})


def parse_record(item: dict[str, Any] | None) -> IdempotencyRecord | None:
    if not item:
        return None
    return IdempotencyRecord.model_validate(from_item(item))


#: a put that succeeds only where no live record holds the key
PUT_IF_FREE = {
    "ConditionExpression": "attribute_not_exists(id) OR expiration <= :now",
}
