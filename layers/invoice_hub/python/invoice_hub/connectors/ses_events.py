"""What SES reports of an e-mail after it accepted it: the events of the stack's configuration set, which
SES publishes to EventBridge's default bus (`source` `aws.ses`, `detail` the SES event record) and an
EventBridge rule puts on ChannelEventsQueue. EventBridge and SQS are authenticated by AWS (IAM, the queue's
policy): no signature travels with them.

| SES event | history | emailStatus | ends the method |
|---|---|---|---|
| Send | `accepted` | SENT | |
| Delivery | `delivered` | DELIVERED | |
| DeliveryDelay | `delayed` | DELAYED | |
| Bounce | `bounced` (bounce type / subtype) | BOUNCED | yes: a soft bounce is told once SES gave up |
| Complaint | `complained` | COMPLAINED | yes: the patient marked it as spam |
| Reject | `rejected` | REJECTED | yes |

The send is named by the message tags this service set (`tenant_id`, `delivery_id`); the event's id is
SES's message id, its type and the time SES gives the fact, so the same fact told twice is applied once.
Nothing of the recipient (their address, the diagnostic text that quotes it) is kept.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from invoice_hub.connectors.base import ChannelEvent
from invoice_hub.domain.delivery import Method

#: SES eventType -> (history status, emailStatus, ends the method)
KINDS = {
    "Send": ("accepted", "SENT", False),
    "Delivery": ("delivered", "DELIVERED", False),
    "DeliveryDelay": ("delayed", "DELAYED", False),
    "Bounce": ("bounced", "BOUNCED", True),
    "Complaint": ("complained", "COMPLAINED", True),
    "Reject": ("rejected", "REJECTED", True),
}
#: where each event type keeps the time of its fact
FACT = {
    "Delivery": "delivery",
    "DeliveryDelay": "deliveryDelay",
    "Bounce": "bounce",
    "Complaint": "complaint",
}


def _tag(mail: dict[str, Any], name: str) -> UUID | None:
    values = (mail.get("tags") or {}).get(name) or []
    try:
        return UUID(str(values[0])) if values else None
    except ValueError:
        return None


def read(event: dict[str, Any]) -> ChannelEvent | None:
    """The e-mail event an EventBridge event from SES tells, or None (not SES's, not one of our sends, an
    event type not recorded: opens, clicks)."""
    if event.get("source") != "aws.ses" or not isinstance(event.get("detail"), dict):
        return None
    detail: dict[str, Any] = event["detail"]
    kind = str(detail.get("eventType") or detail.get("notificationType") or "")
    mail = detail.get("mail") or {}
    if kind not in KINDS or not isinstance(mail, dict):
        return None
    tenant, delivery = _tag(mail, "tenant_id"), _tag(mail, "delivery_id")
    if tenant is None or delivery is None:
        return None
    fact = detail.get(FACT.get(kind, ""), {}) or {}
    when = fact.get("timestamp") or mail.get("timestamp") or event.get("time") or ""
    history, status, ends = KINDS[kind]
    described = None
    if kind == "Bounce":
        described = f"{fact.get('bounceType', 'Undetermined')} / {fact.get('bounceSubType', 'General')}"
    elif kind == "Complaint":
        described = str(fact.get("complaintFeedbackType") or "complaint")
    elif kind == "Reject":
        described = str((detail.get("reject") or {}).get("reason") or "rejected")
    return ChannelEvent(
        tenant_id=tenant,
        delivery_id=delivery,
        event_id=f"ses:{mail.get('messageId')}:{kind}:{when}",
        source="SES",
        method=Method.EMAIL,
        history=history,
        status=status,
        ends_method=ends,
        detail=described,
    )
