"""POST /webhooks/voice — the voice provider's call status events (completed, no answer, busy, failed),
verified by `Voice-Signature` and applied to the call's send once (callStatus, history)."""

from typing import Any

from invoice_hub.connectors import provider_events
from invoice_hub.contracts import webhooks
from invoice_hub.contracts.http import Response, header
from invoice_hub.entry import wiring

app = webhooks.resolver()


@app.post(
    "/webhooks/voice",
    summary="Voice provider webhook",
    description=(
        'Call status events, signed `Voice-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` '
        "with the endpoint's secret (at most five minutes old). `call.failed` ends the CALL method: a rule "
        "moves on at once."
    ),
    tags=[webhooks.TAG],
    responses=webhooks.RESPONSES,
)
def voice_webhook() -> Response[Any]:
    def verify() -> dict[str, Any]:
        signature = header(app.current_event.raw_event, "Voice-Signature")
        secret = wiring.provider_webhook_secret("voice")
        return provider_events.verified_call_event(webhooks.payload_of(app), signature, secret)

    return webhooks.receive("voice", verify, webhooks.channel_event(provider_events.read_call_event))


lambda_handler = webhooks.entry_point(app)
