"""The invoice document rendered by the stack's render function (docs/decisions/029-a-render-function.md).

The functions that serve or send a document (Decoda's answers, the Invoice API's PDF, the Sender) do not
import reportlab: they call `RenderFunction` synchronously (Lambda `Invoke`, RequestResponse) with the
document as JSON, and it answers the PDF's bytes in base64. One function renders for all of them, so one
container pays reportlab's import and first render, and stays warm for the others.

The payload holds the patient's name (it is printed on the document): it travels in the Invoke's body
only, over TLS, and neither side logs it. An error names its type only, never the message, which may
quote the document; the caller takes it as a busy service (DocumentNotRendered): nothing was stored or
sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from botocore.config import Config

from invoice_hub import aws_clients
from invoice_hub.domain.document import DocumentLine, InvoiceDocument
from invoice_hub.domain.errors import ServiceBusy


class RenderFailed(RuntimeError):
    """What the render function raises when a render fails: the error's type only (its message may quote
    the document)."""


class DocumentNotRendered(ServiceBusy):
    """The render function answered an error (`kind`: Lambda's function error and its type, e.g. a timeout's
    `Sandbox.Timedout`). Nothing was stored or sent, so the caller may try again: an API request answers
    503 with Retry-After, the Sender's send is retried as any send that was not composed."""

    def __init__(self, kind: str) -> None:
        super().__init__("The invoice document could not be rendered; retry shortly")
        self.kind = kind


def payload(document: InvoiceDocument) -> dict[str, Any]:
    """The document as the render function's event: decimals and dates as text, exactly."""
    return {
        "practice_name": document.practice_name,
        "practice_address": document.practice_address,
        "patient_name": document.patient_name,
        "reg_number": document.reg_number,
        "issue_date": document.issue_date.isoformat(),
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "lines": [
            {
                "description": line.description,
                "code": line.code,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in document.lines
        ],
        "subtotal": str(document.subtotal),
        "discount_amount": str(document.discount_amount),
        "discount_percent": str(document.discount_percent),
        "total": str(document.total),
        "paid": str(document.paid),
        "remaining": str(document.remaining),
        "payment_url": document.payment_url,
        "currency": document.currency,
    }


def document_of(event: dict[str, Any]) -> InvoiceDocument:
    """The document `payload` made (KeyError, ValueError or InvalidOperation for an event it did not make)."""
    due = event["due_date"]
    return InvoiceDocument(
        practice_name=event["practice_name"],
        practice_address=event["practice_address"],
        patient_name=event["patient_name"],
        reg_number=event["reg_number"],
        issue_date=date.fromisoformat(event["issue_date"]),
        due_date=date.fromisoformat(due) if due else None,
        lines=tuple(
            DocumentLine(
                description=line["description"],
                code=line["code"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                amount=Decimal(line["amount"]),
            )
            for line in event["lines"]
        ),
        subtotal=Decimal(event["subtotal"]),
        discount_amount=Decimal(event["discount_amount"]),
        discount_percent=Decimal(event["discount_percent"]),
        total=Decimal(event["total"]),
        paid=Decimal(event["paid"]),
        remaining=Decimal(event["remaining"]),
        payment_url=event["payment_url"],
        currency=event["currency"],
    )


def answer(pdf: bytes) -> dict[str, str]:
    """The render function's answer: the PDF in base64 (a 50-line invoice's is about 64 KB)."""
    return {"pdf": base64.b64encode(pdf).decode("ascii")}


def render_handler(
    render: Callable[[InvoiceDocument], bytes],
) -> Callable[[dict[str, Any], Any], dict[str, str]]:
    """The render function's handler: the event `payload` made, answered with `answer`. A failure is
    raised again as RenderFailed naming its type only: Lambda writes an uncaught error's message to the
    log and to the caller, and a layout error of reportlab's quotes the cells (the patient's name)."""

    def handle(event: dict[str, Any], _context: Any) -> dict[str, str]:
        try:
            return answer(render(document_of(event)))
        except Exception as error:
            raise RenderFailed(type(error).__name__) from error

    return handle


class RemoteRender:
    """`render(document) -> bytes`, done by the render function named `function_name`."""

    def __init__(self, function_name: str, timeout_seconds: float = 10) -> None:
        self.function_name = function_name
        self.timeout_seconds = timeout_seconds

    @cached_property
    def client(self) -> Any:
        # rendering is pure, so a retried Invoke renders the same bytes; the read waits for a cold render
        return aws_clients.client(
            "lambda",
            config=Config(
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=2,
                read_timeout=self.timeout_seconds,
            ),
        )

    def __call__(self, document: InvoiceDocument) -> bytes:
        answered = self.client.invoke(
            FunctionName=self.function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload(document)).encode(),
        )
        body = json.loads(answered["Payload"].read() or b"null")
        if answered.get("FunctionError"):
            kind = body.get("errorType", "unknown") if isinstance(body, dict) else "unknown"
            raise DocumentNotRendered(f"{answered['FunctionError']}: {kind}")
        return base64.b64decode(body["pdf"])
