"""CALL: a voice message through the voice provider's HTTP API.

`POST <base>/voice/v1/calls` with `{"to": <E.164>, "message": <text>}`, the provider's key as a bearer
token and the delivery id as `Idempotency-Key` (a repeat is the same call, not a second one). The answer's
`status` (`completed`, `no-answer`, ...) is the send's channel status: Decoda's `callStatus`.
"""

from __future__ import annotations

import httpx

from invoice_hub.connectors.base import Parcel, SendResult, StatusCheck
from invoice_hub.connectors.http import classify, post
from invoice_hub.domain.delivery import Delivery


class VoiceConnector:
    idempotent = True

    def __init__(self, client: httpx.Client, base_url: str, credential_parameter: str | None) -> None:
        self.client = client
        self.url = f"{base_url.rstrip('/')}/voice/v1/calls"
        self.credential_parameter = credential_parameter

    def credential_name(self, delivery: Delivery) -> str | None:
        return self.credential_parameter

    def status(self, parcel: Parcel) -> StatusCheck:
        return StatusCheck("unknown")  # the key makes a repeat the same call

    def send(self, parcel: Parcel) -> SendResult:
        headers = {"Idempotency-Key": str(parcel.delivery.id)}
        if parcel.credential:
            headers["Authorization"] = f"Bearer {parcel.credential}"
        answer = post(self.client, self.url, json={"to": parcel.to, "message": parcel.text}, headers=headers)
        if isinstance(answer, SendResult):
            return answer
        result = classify(answer)
        if not result.ok:
            return result
        body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        status = body.get("status") if isinstance(body, dict) else None
        return SendResult(
            ok=True, external_reference=result.external_reference, channel_status=str(status or "placed")
        )
