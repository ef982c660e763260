"""SMS: Amazon SNS `Publish` to the patient's phone number, as a transactional text.

A number that has opted out (replied STOP) is not texted: SNS is asked first, and the send is a permanent
failure that says so. SNS takes no idempotency key: `idempotent` is False, and the Sender never re-sends
a text whose earlier attempt may have reached SNS
(docs/decisions/010-channels-and-what-they-never-do-twice.md).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub.connectors.aws_errors import refused
from invoice_hub.connectors.base import Parcel, SendResult, Unasked

#: SNS's limit for one SMS publish (longer texts are split into parts by the carrier, up to this)
MAX_TEXT = 1600


def sns_client(timeout_seconds: float) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=timeout_seconds
    )
    return boto3.client("sns", config=config)


class SmsConnector(Unasked):  # SNS cannot be asked whether it sent a text
    idempotent = False

    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self.client = client  # sns
        self.sender_id = sender_id

    def send(self, parcel: Parcel) -> SendResult:
        attributes: dict[str, Any] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        try:
            if self.client.check_if_phone_number_is_opted_out(phoneNumber=parcel.to).get("isOptedOut"):
                return SendResult(
                    ok=False,
                    permanent=True,
                    reason="the patient's number has opted out of texts",
                    channel_status="OPTED_OUT",
                )
            answer = self.client.publish(
                PhoneNumber=parcel.to, Message=(parcel.text or "")[:MAX_TEXT], MessageAttributes=attributes
            )
        except (ClientError, BotoCoreError) as error:
            return refused("SNS", error)
        return SendResult(ok=True, external_reference=answer.get("MessageId"), channel_status="SENT")
