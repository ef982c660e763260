"""The table's changes, as its DynamoDB stream tells them: each record's item before and after, read back
into the domain's objects (a send, an invoice); records of other items (webhooks, keys, counters) are
nobody's facts and read as None."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invoice_hub.dal import deliveries, invoices
from invoice_hub.domain.delivery import Delivery
from invoice_hub.domain.invoice import Invoice


@dataclass(frozen=True)
class Change:
    """One item's write: what it was (None: new) and what it is (None: deleted)."""

    before: Delivery | Invoice | None
    after: Delivery | Invoice | None


def _read(image: dict[str, Any] | None) -> Delivery | Invoice | None:
    if not image:
        return None
    entity = (image.get("entity") or {}).get("S")
    if entity == deliveries.ENTITY:
        return deliveries.DeliveryRepository.from_item(image)
    if entity == invoices.ENTITY:
        return invoices.invoice_from_item(image)
    return None


def change_of(record: dict[str, Any]) -> Change | None:
    """The change a stream record (NEW_AND_OLD_IMAGES) tells, or None for an item that is not a send or an
    invoice."""
    images = record.get("dynamodb") or {}
    change = Change(_read(images.get("OldImage")), _read(images.get("NewImage")))
    return change if change.before is not None or change.after is not None else None
