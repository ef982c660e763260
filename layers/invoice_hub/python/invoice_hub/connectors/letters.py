"""MAIL: a printed letter through the print-and-mail provider's HTTP API (Lob's letters API shape).

`POST <base>/print-mail/v1/letters` as multipart/form-data: the addressee and postal address as `to_*`
fields, the invoice's PDF as the `file` part, the practice and delivery ids as `metadata[...]` (the
provider's events carry them back); the delivery id as `Idempotency-Key`, so a repeat is the same letter,
never a second one in the post.
"""

from __future__ import annotations

from invoice_hub.connectors.base import Parcel, SendResult, ids_of
from invoice_hub.connectors.http import KeyedProvider, classify, post


class LetterConnector(KeyedProvider):
    path = "/print-mail/v1/letters"

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
            **{f"metadata[{name}]": value for name, value in ids_of(parcel).items()},
        }
        answer = post(
            self.client,
            self.url,
            data=fields,
            files={"file": ("invoice.pdf", parcel.document, "application/pdf")},
            headers=self.headers(parcel),
        )
        return answer if isinstance(answer, SendResult) else classify(answer)
