"""The document as the render function's event and its PDF as its answer (decision 029): every value crosses
exactly, the PDF is the one this process would render, and a failure names its type only."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_hub.connectors.pdf import render
from invoice_hub.connectors.render_function import (
    DocumentNotRendered,
    RemoteRender,
    RenderFailed,
    document_of,
    payload,
    render_handler,
)
from invoice_hub.domain.document import DocumentLine, InvoiceDocument
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub.entry import render as render_entry
from tests.unit.test_pdf import document

decimals = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    name=st.none() | texts,
    address=st.none() | texts,
    due=st.none() | st.dates(),
    issued=st.dates(),
    amounts=st.lists(decimals, min_size=9, max_size=9),
    lines=st.lists(st.tuples(texts, st.none() | texts, decimals, decimals, decimals), max_size=4),
)
def test_a_document_crosses_to_the_render_function_exactly(
    name: str | None,
    address: str | None,
    due: date | None,
    issued: date,
    amounts: list[Decimal],
    lines: list[tuple[str, str | None, Decimal, Decimal, Decimal]],
) -> None:
    sent = InvoiceDocument(
        practice_name="Praxis",
        practice_address=address,
        patient_name=name,
        reg_number="INV-1",
        issue_date=issued,
        due_date=due,
        lines=tuple(DocumentLine(*line) for line in lines),
        subtotal=amounts[0],
        discount_amount=amounts[1],
        discount_percent=amounts[2],
        total=amounts[3],
        paid=amounts[4],
        remaining=amounts[5],
        payment_url="https://pay.example/x",
        currency="EUR",
    )
    # through JSON, as Lambda carries it
    received = document_of(json.loads(json.dumps(payload(sent))))
    assert received == sent
    # the same digits, not only the same value: 1.50 stays 1.50 (the PDF prints what it is given)
    assert [str(line.quantity) for line in received.lines] == [str(line[2]) for line in lines]


def test_the_answer_is_the_pdf_this_process_renders() -> None:
    sent = document(lines=3)
    answered = render_handler(render)(json.loads(json.dumps(payload(sent))), None)
    assert base64.b64decode(answered["pdf"]) == render(sent)


def test_a_failed_render_names_its_type_and_never_the_document() -> None:
    def failing(document: InvoiceDocument) -> bytes:
        raise ValueError(f"cannot lay out {document.patient_name}")

    with pytest.raises(RenderFailed) as failed:
        render_handler(failing)(payload(document()), None)
    assert str(failed.value) == "ValueError"
    assert "Zoë" not in str(failed.value)


def test_an_event_that_is_not_a_document_is_refused() -> None:
    with pytest.raises(RenderFailed, match=r"^KeyError$"):
        render_handler(render)({"reg_number": "INV-1"}, None)


def test_the_entry_logs_a_failure_without_the_document(caplog: pytest.LogCaptureFixture) -> None:
    event = payload(replace(document(), issue_date=date(2026, 1, 1)))
    event["subtotal"] = "Zoë is not a number"

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "RenderFunction", 512, "r-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:render"

    with pytest.raises(RenderFailed, match=r"^InvalidOperation$"):
        render_entry.lambda_handler(event, Context())
    (record,) = [r for r in caplog.records if r.getMessage() == "the document was not rendered"]
    logged = render_entry.logger.registered_formatter.format(record)  # the line as CloudWatch gets it
    assert "InvalidOperation" in logged
    assert "Zoë" not in logged


class FakeLambda:
    """The SDK's Lambda client as `invoke` answers: a streaming payload, FunctionError on a handler error."""

    def __init__(self, answer: Any, function_error: str | None = None) -> None:
        self.answer, self.function_error, self.calls = answer, function_error, []  # type: ignore[var-annotated]

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        answered: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps(self.answer).encode()),
        }
        if self.function_error:
            answered["FunctionError"] = self.function_error
        return answered


def test_remote_render_invokes_the_function_synchronously_and_returns_its_bytes() -> None:
    remote = RemoteRender("stack-RenderFunction")
    remote.__dict__["client"] = fake = FakeLambda({"pdf": base64.b64encode(b"%PDF-1.4 x").decode()})
    assert remote(document()) == b"%PDF-1.4 x"
    (call,) = fake.calls
    assert call["FunctionName"] == "stack-RenderFunction"
    assert call["InvocationType"] == "RequestResponse"
    assert document_of(json.loads(call["Payload"])) == document()


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            {"errorMessage": "ValueError", "errorType": "RenderFailed", "stackTrace": []},
            "Unhandled: RenderFailed",
        ),
        (
            {"errorMessage": "Task timed out after 10.00 seconds", "errorType": "Sandbox.Timedout"},
            "Unhandled: Sandbox.Timedout",
        ),
        (None, "Unhandled: unknown"),
    ],
)
def test_a_function_error_is_a_busy_service_that_names_only_its_kind(error: Any, kind: str) -> None:
    remote = RemoteRender("stack-RenderFunction")
    remote.__dict__["client"] = FakeLambda(error, function_error="Unhandled")
    with pytest.raises(DocumentNotRendered) as failed:
        remote(document())
    assert isinstance(failed.value, ServiceBusy)  # an API answers 503 + Retry-After; the Sender retries
    assert failed.value.kind == kind
    assert str(failed.value) == "The invoice document could not be rendered; retry shortly"
