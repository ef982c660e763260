"""POST /webhooks/stripe — Stripe's events (payments, refunds, declines), verified by their signature and
recorded once each (invoice_hub.logic.payments).

Answers as Stripe expects of an endpoint: 200 for an event taken (or one that adds nothing: a duplicate,
an event of a kind not recorded), 400 for one that is unsigned, wrongly signed, stale or not an event
(nothing changes), 503 when the store is busy (Stripe sends it again later)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from invoice_hub.connectors import stripe_events
from invoice_hub.contracts.http import header, json_response
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub.entry import wiring
from invoice_hub.logic.payments import record_stripe
from invoice_hub.observability import logger

app = APIGatewayRestResolver(enable_validation=True)


@app.post(
    "/webhooks/stripe",
    summary="Stripe webhook",
    description=(
        "Stripe's events, signed with the endpoint's secret (`Stripe-Signature`): "
        "`payment_intent.succeeded` and a paid `checkout.session.completed` record a payment on the "
        "practice's invoices (once per PaymentIntent), `charge.refunded` takes the refund back from "
        "them, `payment_intent.payment_failed` enters the decline in the send's history."
    ),
    tags=["Webhooks"],
    responses={
        200: {"description": "The event was taken (recorded, or nothing to record)"},
        400: {"description": "Unsigned, wrongly signed, stale, or not a Stripe event: nothing changed"},
        503: {"description": "The store is busy: Stripe sends the event again later"},
    },
)
def stripe_webhook() -> Response[Any]:
    event = app.current_event
    try:
        payload = stripe_events.text_of(event.body, bool(event.is_base64_encoded))
        signature = header(event.raw_event, "Stripe-Signature")
        verified = stripe_events.verified(payload, signature, wiring.stripe_webhook_secret())
    except stripe_events.Unauthentic as refusal:
        logger.warning("stripe event refused", extra={"reason": str(refusal)})
        return json_response(400, {"error": str(refusal)})
    told = stripe_events.read(verified)
    recorded = False
    if told is not None:
        try:
            recorded = record_stripe(told, wiring.payments(), wiring.feedback(), datetime.now(UTC))
        except ServiceBusy as busy:
            return json_response(503, {"error": busy.message}, {"Retry-After": str(busy.retry_after)})
    logger.info(
        "stripe event",
        extra={"event_id": verified.get("id"), "type": verified.get("type"), "recorded": recorded},
    )
    return json_response(200, {"received": True, "recorded": recorded})


lambda_handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
    app.resolve
)
