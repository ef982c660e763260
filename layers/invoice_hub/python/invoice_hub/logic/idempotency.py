"""Idempotency-Key handling shared by every creating POST."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from invoice_hub.dal.idempotency import IdempotencyRecord
from invoice_hub.domain.errors import IdempotencyKeyReused

TTL_SECONDS = 24 * 3600


def fingerprint(payload: Any) -> str:
    """A stable hash of the request body as validated (key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(record: IdempotencyRecord | None, request_hash: str, now_epoch: int) -> IdempotencyRecord | None:
    """The stored first response when this is a repeat of the same request; raises for another body."""
    if record is None or record.expired(now_epoch):
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return record
