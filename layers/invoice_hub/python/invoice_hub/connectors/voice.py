"""CALL: a voice message through the voice provider's HTTP API.

`POST <base>/voice/v1/calls` with `{"to": <E.164>, "message": <text>, "metadata": {tenant_id, delivery_id}}`
(the provider's status callbacks carry the metadata back: connectors/provider_events.py), its key as a bearer
token and the delivery id as `Idempotency-Key` (a repeat is the same call, not a second one). The answer's
`status` (`completed`, `no-answer`, ...) is the send's channel status: Decoda's `callStatus`.
"""

from __future__ import annotations

from invoice_hub.connectors.base import Parcel, SendResult, ids_of
from invoice_hub.connectors.http import KeyedProvider, classify, post


class VoiceConnector(KeyedProvider):
    path = "/voice/v1/calls"

    def send(self, parcel: Parcel) -> SendResult:
        answer = post(
            self.client,
            self.url,
            json={"to": parcel.to, "message": parcel.text, "metadata": ids_of(parcel)},
            headers=self.headers(parcel),
        )
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
