"""AWS End User Messaging SMS (`pinpoint-sms-voice-v2`), played for the local stack: `SendTextMessage` over
its JSON 1.0 protocol (`X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`; the SDK's own client, pointed
here by the stack's SmsApiUrl), and the configuration set's events published to its SNS topic (moto's) a
moment after, as End User Messaging publishes them. moto does not serve this API.

What a number does (the fake's reserved test values): ending `99` has replied STOP (the opt-out list:
`ConflictException`, reason `DESTINATION_PHONE_NUMBER_OPTED_OUT`); ending `0188` is not a mobile number
the carrier knows (`TEXT_INVALID`); every other one is queued by the carrier and then delivered
(`TEXT_SUCCESSFUL`, `TEXT_DELIVERED`). Each text is kept for `/_outbox` with its Context's delivery id.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from invoice_hub_local.fake_providers import Carried

TARGET_PREFIX = "PinpointSMSVoiceV2."
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
OPTED_OUT_SUFFIX = "99"
INVALID_SUFFIX = "0188"


Answer = tuple[int, dict[str, Any]]


def _error(status: int, kind: str, message: str, **fields: Any) -> Answer:
    return status, {"__type": kind, "Message": message, **fields}


class EndUserMessaging:
    def __init__(self) -> None:
        #: configuration set name -> the SNS topic its events go to, and how to publish there
        self.topics: dict[str, str] = {}
        self.publish: Callable[[str, str], Any] | None = None
        self.later_seconds = 1.0
        self._stopping = threading.Event()

    def configure(self, topics: dict[str, str], publish: Callable[[str, str], Any]) -> None:
        self.topics, self.publish = dict(topics), publish

    def stop(self) -> None:
        self._stopping.set()

    def handle(
        self, target: str, body: bytes, mode: str
    ) -> tuple[tuple[int, dict[str, Any]], Carried | None]:
        """(status and JSON answer, what was carried) for one call."""
        operation = target.removeprefix(TARGET_PREFIX)
        if mode == "fail":
            return _error(500, "InternalServerException", "the fake End User Messaging is unavailable"), None
        if mode == "throttle":
            return _error(400, "ThrottlingException", "Rate exceeded"), None
        if operation != "SendTextMessage":
            return _error(
                400, "UnknownOperationException", f"the fake serves SendTextMessage, not {operation}"
            ), None
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "SerializationException", "the body is not JSON"), None
        to = request.get("DestinationPhoneNumber")
        text = request.get("MessageBody")
        if not isinstance(to, str) or not E164.match(to):
            return _error(
                400, "ValidationException", "DestinationPhoneNumber must be E.164", Reason="INVALID_PARAMETER"
            ), None
        if not isinstance(text, str) or not text:
            return _error(
                400, "ValidationException", "MessageBody is required", Reason="MISSING_PARAMETER"
            ), None
        if to.endswith(OPTED_OUT_SUFFIX):
            return (
                _error(
                    400,
                    "ConflictException",
                    "The destination phone number is opted out",
                    Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                    ResourceType="opt-out-list",
                    ResourceId="Default",
                ),
                None,
            )
        context = request.get("Context") if isinstance(request.get("Context"), dict) else {}
        message_id = str(uuid.uuid4())
        carried = Carried("SMS", to, None, text, delivery_id=context.get("delivery_id"), reference=message_id)
        topic = self.topics.get(str(request.get("ConfigurationSetName") or ""))
        if topic and self.publish is not None:
            fates = ["TEXT_INVALID"] if to.endswith(INVALID_SUFFIX) else ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]
            record = {"messageId": message_id, "destinationPhoneNumber": to, "context": context, "text": text}
            timer = threading.Timer(self.later_seconds, self._report, args=(topic, record, fates))
            timer.daemon = True
            timer.start()
        return (200, {"MessageId": message_id}), carried

    def _report(self, topic: str, record: dict[str, Any], fates: list[str]) -> None:
        assert self.publish is not None
        for kind in fates:
            if self._stopping.is_set():
                return
            status = {"TEXT_INVALID": "INVALID"}.get(
                kind, "DELIVERED" if kind == "TEXT_DELIVERED" else "SUCCESSFUL"
            )
            event = {
                "eventType": kind,
                "eventVersion": "1.0",
                "eventTimestamp": int(time.time() * 1000),
                "isFinal": kind != "TEXT_SUCCESSFUL",
                "originationPhoneNumber": "+12065550152",
                "destinationPhoneNumber": record["destinationPhoneNumber"],
                "isInternationalSend": False,
                "mcc": "310",
                "mnc": "800",
                "messageId": record["messageId"],
                "messageRequestTimestamp": int(time.time() * 1000),
                "messageEncoding": "GSM",
                "messageType": "TRANSACTIONAL",
                "messageStatus": status,
                "messageStatusDescription": {
                    "TEXT_INVALID": "Invalid destination phone number",
                    "TEXT_SUCCESSFUL": "Message has been accepted by phone carrier",
                }.get(kind, "Message has been delivered"),
                "context": record["context"],
                "totalMessageParts": 1,
                "totalMessagePrice": 0.00581,
                "totalCarrierFee": 0.00302,
            }
            self.publish(topic, json.dumps(event))
