"""MAIL: a printed letter through the print-and-mail provider's HTTP API (Lob's letters API shape).

`POST <base>/print-mail/v1/letters` as multipart/form-data: the addressee and postal address as `to_*`
fields, the invoice's PDF as the `file` part; the delivery id as `Idempotency-Key`, so a repeat is the
same letter, never a second one in the post.
"""

from __future__ import annotations

import httpx

from invoice_hub.connectors.base import Parcel, SendResult, StatusCheck
from invoice_hub.connectors.http import classify, post
from invoice_hub.domain.delivery import Delivery


class LetterConnector:
    idempotent = True

    def __init__(self, client: httpx.Client, base_url: str, credential_parameter: str | None) -> None:
        self.client = client
        self.url = f"{base_url.rstrip('/')}/print-mail/v1/letters"
        self.credential_parameter = credential_parameter

    def credential_name(self, delivery: Delivery) -> str | None:
        return self.credential_parameter

    def status(self, parcel: Parcel) -> StatusCheck:
        return StatusCheck("unknown")  # the key makes a repeat the same letter

    def send(self, parcel: Parcel) -> SendResult:
        address = parcel.address
        if address is None or parcel.document is None:
            return SendResult(ok=False, permanent=True, reason="a letter needs a postal address and the PDF")
        fields = {
            "description": f"Invoice from {parcel.practice or 'the practice'}",
            "to_name": parcel.name or "",
            "to_address_line1": address.line1,
            "to_address_line2": address.line2 or "",
            "to_address_city": address.city or "",
            "to_address_state": address.state or "",
            "to_address_zip": address.zip_code or "",
            "to_address_country": address.country or "US",
        }
        headers = {"Idempotency-Key": str(parcel.delivery.id)}
        if parcel.credential:
            headers["Authorization"] = f"Bearer {parcel.credential}"
        answer = post(
            self.client,
            self.url,
            data=fields,
            files={"file": ("invoice.pdf", parcel.document, "application/pdf")},
            headers=headers,
        )
        return answer if isinstance(answer, SendResult) else classify(answer)
