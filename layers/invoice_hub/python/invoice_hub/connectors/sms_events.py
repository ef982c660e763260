"""What End User Messaging SMS reports of a text after it accepted it: the configuration set's events,
published to the stack's SmsEventsTopic and delivered raw to ChannelEventsQueue (SNS and SQS authenticate
them: IAM and the queue's policy, no signature travels with them).

Each is `{eventType, eventTimestamp, isFinal, messageId, messageStatus, messageStatusDescription,
context, destinationPhoneNumber, ...}`; the send is named by the `context` this service set (`tenant_id`,
`delivery_id`); the fact's id is the message id and its status (an event told twice is applied once).

| eventType | history | the text's status | ends the method |
|---|---|---|---|
| TEXT_QUEUED, TEXT_PENDING | `queued_by_carrier` | QUEUED | |
| TEXT_SUCCESSFUL, TEXT_DELIVERED | `delivered` | DELIVERED | |
| FOR_GOOD: invalid, unreachable, blocked, spam | `undelivered` | the status | yes |
| TEXT_TTL_EXPIRED, TEXT_UNKNOWN | `undelivered` | the status | |

The destination number and the message's text are read past, never kept.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from invoice_hub.connectors.base import ChannelEvent
from invoice_hub.domain.delivery import Method

ON_ITS_WAY = frozenset({"TEXT_QUEUED", "TEXT_PENDING"})
DELIVERED = frozenset({"TEXT_SUCCESSFUL", "TEXT_DELIVERED"})
#: the number or the message can never be delivered to: the method ends
FOR_GOOD = frozenset(
    {
        "TEXT_INVALID",
        "TEXT_UNREACHABLE",
        "TEXT_CARRIER_UNREACHABLE",
        "TEXT_BLOCKED",
        "TEXT_CARRIER_BLOCKED",
        "TEXT_SPAM",
        "TEXT_INVALID_MESSAGE",
        "TEXT_PROTECT_BLOCKED",
    }
)
NOT_KNOWN = frozenset({"TEXT_TTL_EXPIRED", "TEXT_UNKNOWN"})


def read(event: dict[str, Any]) -> ChannelEvent | None:
    """The SMS event End User Messaging reports, or None (not one of its SMS events, or not our send)."""
    kind = str(event.get("eventType", ""))
    context = event.get("context")
    if not kind.startswith("TEXT_") or not isinstance(context, dict):
        return None
    try:
        tenant, delivery = UUID(str(context.get("tenant_id"))), UUID(str(context.get("delivery_id")))
    except ValueError:
        return None
    status = str(event.get("messageStatus") or kind.removeprefix("TEXT_"))
    if kind in ON_ITS_WAY:
        history, ends = "queued_by_carrier", False
    elif kind in DELIVERED:
        history, status, ends = "delivered", "DELIVERED", False
    elif kind in FOR_GOOD | NOT_KNOWN:
        history, ends = "undelivered", kind in FOR_GOOD
    else:
        return None
    return ChannelEvent(
        tenant_id=tenant,
        delivery_id=delivery,
        event_id=f"sms:{event.get('messageId')}:{kind}",
        source="End User Messaging",
        method=Method.SMS,
        history=history,
        status=status,
        ends_method=ends,
        detail=None if kind in DELIVERED | ON_ITS_WAY else status,
    )
