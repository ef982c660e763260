"""EMAIL: Amazon SES v2 `SendEmail` from the practice's verified identity, with the stack's configuration
set, the invoice's PDF attached.

Attached, not linked: the patient keeps the document, and a link could not last (a presigned URL signed
with the function's role credentials dies with them, within hours). A 50-line invoice is tens of
kilobytes, far below SES's 40 MB message limit. The message is raw MIME: the text (placeholders filled)
and the PDF. The delivery and practice ids travel as the message tags `delivery_id` and `tenant_id` and
the headers `X-Invoice-Hub-Delivery` and `X-Invoice-Hub-Practice` (ids, never patient data), so SES's
events (connectors/ses_events.py) name the send they are about.

SES takes no idempotency key: `idempotent` is False, and the Sender never re-sends an e-mail whose
earlier attempt may have reached SES (docs/decisions/010-channels-and-what-they-never-do-twice.md).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub.connectors.aws_errors import refused
from invoice_hub.connectors.base import Parcel, SendResult, Unasked

DELIVERY_HEADER = "X-Invoice-Hub-Delivery"
TENANT_HEADER = "X-Invoice-Hub-Practice"


def ses_client(timeout_seconds: float) -> Any:
    from botocore.config import Config

    from invoice_hub import aws_clients

    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=timeout_seconds
    )
    return aws_clients.client("sesv2", config=config)


def mime(parcel: Parcel) -> bytes:
    message = EmailMessage()
    message["From"] = formataddr((parcel.practice or "", parcel.sender or ""))
    message["To"] = parcel.to or ""
    message["Subject"] = parcel.subject or "Your invoice"
    message[DELIVERY_HEADER] = str(parcel.delivery.id)
    message[TENANT_HEADER] = str(parcel.delivery.tenant_id)
    message.set_content(parcel.text or "")
    if parcel.document is not None:
        message.add_attachment(parcel.document, maintype="application", subtype="pdf", filename="invoice.pdf")
    return message.as_bytes()


class EmailConnector(Unasked):  # SES cannot be asked whether it has a message
    idempotent = False

    def __init__(self, client: Any, configuration_set: str | None) -> None:
        self.client = client  # sesv2
        self.configuration_set = configuration_set

    def send(self, parcel: Parcel) -> SendResult:
        if not parcel.sender:
            return SendResult(
                ok=False, permanent=True, reason="the practice has no e-mail identity to send from"
            )
        request: dict[str, Any] = {
            "FromEmailAddress": parcel.sender,
            "Destination": {"ToAddresses": [parcel.to]},
            "Content": {"Raw": {"Data": mime(parcel)}},
            "EmailTags": [
                {"Name": "delivery_id", "Value": str(parcel.delivery.id)},
                {"Name": "tenant_id", "Value": str(parcel.delivery.tenant_id)},
            ],
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            answer = self.client.send_email(**request)
        except (ClientError, BotoCoreError) as error:
            return refused("SES", error)
        return SendResult(ok=True, external_reference=answer.get("MessageId"), channel_status="SENT")
