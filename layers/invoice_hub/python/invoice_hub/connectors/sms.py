"""SMS: AWS End User Messaging SMS (`pinpoint-sms-voice-v2` `SendTextMessage`) to the patient's phone
number, as a transactional text, with the stack's configuration set: its events (queued, delivered,
blocked, invalid, unreachable, ...) come back through an SNS topic to ChannelEventsQueue
(connectors/sms_events.py), each carrying the message's `Context` (the practice and delivery ids).

A number that has opted out (replied STOP: End User Messaging keeps the opt-out list) is refused by the
service (`ConflictException`, reason `DESTINATION_PHONE_NUMBER_OPTED_OUT`): the send fails for good as
`OPTED_OUT`, and a rule moves on. End User Messaging takes no idempotency key: `idempotent` is False, and
the Sender never re-sends a text whose earlier attempt may have reached it
(docs/decisions/010-channels-and-what-they-never-do-twice.md).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub.connectors.aws_errors import refused
from invoice_hub.connectors.base import Parcel, SendResult, Unasked, ids_of

#: the longest message body SendTextMessage takes (longer texts are split into parts, up to this)
MAX_TEXT = 1600
OPTED_OUT = "DESTINATION_PHONE_NUMBER_OPTED_OUT"


def sms_client(timeout_seconds: float, endpoint_url: str | None = None) -> Any:
    from botocore.config import Config

    from invoice_hub import aws_clients

    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=timeout_seconds
    )
    return aws_clients.client("pinpoint-sms-voice-v2", config=config, endpoint_url=endpoint_url)


class SmsConnector(Unasked):  # End User Messaging cannot be asked whether it sent a text
    idempotent = False

    def __init__(
        self, client: Any, configuration_set: str | None = None, origination_identity: str | None = None
    ) -> None:
        self.client = client  # pinpoint-sms-voice-v2
        self.configuration_set = configuration_set
        self.origination_identity = origination_identity

    def send(self, parcel: Parcel) -> SendResult:
        request: dict[str, Any] = {
            "DestinationPhoneNumber": parcel.to,
            "MessageBody": (parcel.text or "")[:MAX_TEXT],
            "MessageType": "TRANSACTIONAL",
            "Context": ids_of(parcel),
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if self.origination_identity:
            request["OriginationIdentity"] = self.origination_identity
        try:
            answer = self.client.send_text_message(**request)
        except ClientError as error:
            if error.response.get("Reason") == OPTED_OUT:
                return SendResult(
                    ok=False,
                    permanent=True,
                    reason="the patient's number has opted out of texts",
                    channel_status="OPTED_OUT",
                )
            return refused("End User Messaging", error)
        except BotoCoreError as error:
            return refused("End User Messaging", error)
        return SendResult(ok=True, external_reference=answer.get("MessageId"), channel_status="SENT")
