"""EXPIRY: the end of a patient's billing sequence. Decoda lists it beside the channels as the last step
of a rule; it carries nothing to the patient. At its send time it is recorded as done (SENT, channel
status `EXPIRED`), without contacting anyone: the invoice stays as it is (writing it off is a person's
decision, through the API), and the rules stop escalating after it."""

from __future__ import annotations

from invoice_hub.connectors.base import Parcel, SendResult, Unasked


class ExpiryConnector(Unasked):
    idempotent = True  # nothing is carried: doing it again changes nothing

    def send(self, parcel: Parcel) -> SendResult:
        return SendResult(ok=True, channel_status="EXPIRED")
