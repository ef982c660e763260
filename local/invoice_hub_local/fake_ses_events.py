"""SES's event publishing, played for the local stack: what became of each e-mail moto's SES accepted, put
on EventBridge's default bus (moto's) as SES puts it, so the template's rule takes it to ChannelEventsQueue.

moto's SES sends nothing onward; this watches what it accepted (its backend's `sent_messages`, as the
outbox does) and, for each e-mail of a configuration set with an EventBridge destination, publishes the
events SES would: `Email Sent` at once, then a moment later what SES's mailbox simulator does for its
reserved addresses (the documented test addresses at `simulator.amazonses.com`): `bounce@` a permanent
bounce, `complaint@` a delivery and then a complaint, `suppressionlist@` a bounce (OnAccountSuppressionList);
every other address `Email Delivered`. Each event is SES's record (`eventType`, `mail` with `messageId`,
`destination` and the message's `tags`, then `delivery`, `bounce` or `complaint`) under `detail`.
moto keeps no SES v2 EmailTags, so the tags are read back from the headers the e-mail connector sets with
them (X-Invoice-Hub-Delivery, X-Invoice-Hub-Practice).
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("invoice_hub_local.fake_ses_events")
SIMULATOR = "simulator.amazonses.com"
HEADER_TAGS = (("X-Invoice-Hub-Delivery", "delivery_id"), ("X-Invoice-Hub-Practice", "tenant_id"))
DETAIL_TYPES = {
    "send": ("Send", "Email Sent"),
    "delivery": ("Delivery", "Email Delivered"),
    "bounce": ("Bounce", "Email Bounced"),
    "complaint": ("Complaint", "Email Complaint Received"),
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def fates(recipient: str) -> list[str]:
    """The events after `send` that SES's mailbox simulator gives an address."""
    local, _, domain = recipient.lower().partition("@")
    if domain == SIMULATOR and local.startswith(("bounce", "suppressionlist")):
        return ["bounce"]
    if domain == SIMULATOR and local.startswith("complaint"):
        return ["delivery", "complaint"]
    return ["delivery"]


def ses_record(kind: str, mail: dict[str, Any], recipient: str, suppressed: bool = False) -> dict[str, Any]:
    event_type, _ = DETAIL_TYPES[kind]
    record: dict[str, Any] = {"eventType": event_type, "mail": mail}
    at = _now()
    if kind == "send":
        record["send"] = {}
    elif kind == "delivery":
        record["delivery"] = {
            "timestamp": at,
            "processingTimeMillis": 800,
            "recipients": [recipient],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        }
    elif kind == "bounce":
        record["bounce"] = {
            "feedbackId": f"{uuid.uuid4().hex}-000000",
            "bounceType": "Permanent",
            "bounceSubType": "OnAccountSuppressionList" if suppressed else "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": at,
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        }
    else:
        record["complaint"] = {
            "feedbackId": f"{uuid.uuid4().hex}-000000",
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "timestamp": at,
        }
    return record


class SesEvents:
    """Publishes the events of what moto's SES accepts, while started."""

    def __init__(
        self,
        configuration_sets: dict[str, list[str]],
        put_events: Callable[[list[dict[str, Any]]], Any],
        account: str,
        region: str,
        later_seconds: float = 1.0,
    ) -> None:
        self.configuration_sets = configuration_sets  # name -> the event types it publishes (CFN's names)
        self.put_events = put_events
        self.account, self.region = account, region
        self.later_seconds = later_seconds
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SesEvents:
        if self.configuration_sets:
            self._thread = threading.Thread(target=self._run, name="ses-events", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self._publish_new()
            except Exception:  # a malformed message or a moto hiccup: the next look goes on
                log.exception("publishing SES events failed")

    def _publish_new(self) -> None:
        from moto.ses.models import RawMessage, ses_backends

        name, types = next(iter(self.configuration_sets.items()))
        for message in list(ses_backends[self.account][self.region].sent_messages):
            if not isinstance(message, RawMessage) or message.id in self._seen:
                continue
            self._seen.add(message.id)
            parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
            tags: dict[str, list[str]] = {"ses:configuration-set": [name]}
            for header, tag in (
                ("X-Invoice-Hub-Delivery", "delivery_id"),
                ("X-Invoice-Hub-Practice", "tenant_id"),
            ):
                if parsed.get(header):
                    tags[tag] = [str(parsed[header]).strip()]
            recipients = list(message.destinations) or [str(parsed.get("To") or "")]
            mail = {
                "timestamp": _now(),
                "source": message.source,
                "messageId": message.id,
                "destination": recipients,
                "tags": tags,
            }
            recipient = recipients[0]
            self._put("send", mail, recipient, types)
            for kind in fates(recipient):
                timer = threading.Timer(
                    self.later_seconds,
                    self._put,
                    args=(kind, mail, recipient, types, recipient.lower().startswith("suppressionlist")),
                )
                timer.daemon = True
                timer.start()

    def _put(
        self, kind: str, mail: dict[str, Any], recipient: str, types: list[str], suppressed: bool = False
    ) -> None:
        if kind not in types or self._stop.is_set():
            return
        _, detail_type = DETAIL_TYPES[kind]
        entry = {
            "Source": "aws.ses",
            "DetailType": detail_type,
            "Detail": json.dumps(ses_record(kind, mail, recipient, suppressed)),
            "Resources": [],
        }
        self.put_events([entry])
