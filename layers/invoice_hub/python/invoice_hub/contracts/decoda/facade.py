"""Decoda facade (seed 004): `TENANT` + `API-KEY` headers, camelCase, FastAPI-style errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.fastapi_style import detail
from invoice_hub.contracts.http import body_media_type, body_problem, header, proxy_response
from invoice_hub.dal.deliveries import DeliveryNotFound
from invoice_hub.domain import errors
from invoice_hub.entry import wiring
from invoice_hub.observability import logger

if TYPE_CHECKING:  # each use case and model is imported by the helper that needs it: a function loads its own
    from invoice_hub.contracts.decoda.models import (
        CreateManualInvoice,
        InvoiceDetails,
        InvoiceSetForTable,
        InvoiceSetStatus,
        RuleCreateWithoutId,
        RuleDetails,
        RuleUpdate,
    )
    from invoice_hub.domain.delivery import Delivery
    from invoice_hub.domain.invoice import Invoice
    from invoice_hub.logic.invoice_table import Row, TableQuery
    from invoice_hub.logic.rules import RuleDraft

IDEMPOTENCY_OPERATION = "decoda:create"

TAG = "Decoda"
SECURITY: list[dict[str, list[str]]] = [{"DecodaTenant": [], "DecodaApiKey": []}]
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    401: fastapi_style.error("Missing or wrong TENANT / API-KEY"),
    422: fastapi_style.VALIDATION_ERROR,
    503: fastapi_style.BUSY,
}
#: the answers of an operation that takes a body
BODY_ERRORS = fastapi_style.BODY_ERRORS

#: where a sent invoice's id goes next (the operation ids Powertools gives the /billing/invoice/{id} routes)
SENT_INVOICE_LINKS = {
    **responses.links(
        ("get_billing_invoice__id__get", "send_billing_invoice__id__send_now_put"), id="$response.body#/id"
    ),
    **responses.body_link(
        "execute_action_billing_invoice_execute_action_put",
        {"invoiceSetIds": ["$response.body#/id"], "actionType": "pause"},
    ),
    **responses.body_link(
        "retry_billing_invoice_retry_method_put", {"invoiceId": "$response.body#/id", "invoiceMethod": "SMS"}
    ),
}

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def resolver() -> APIGatewayRestResolver:
    app = fastapi_style.resolver()

    @app.exception_handler(DeliveryNotFound)
    def _missing(_: DeliveryNotFound) -> Response[Any]:
        return detail(404, "Invoice not found")  # a Decoda "invoice" is a send to a patient

    return app


def tenant_of(event: dict[str, Any]) -> UUID | None:
    """The tenant the `TENANT` and `API-KEY` headers prove, or None."""
    credentials = wiring.credentials()
    return credentials.tenant_for("api-key", header(event, "API-KEY"), header(event, "TENANT"))


def entry_point(app: APIGatewayRestResolver) -> Handler:
    """Logging, then the TENANT / API-KEY check (before routing or validation), the body, the resolver."""
    takes = body_media_type(app)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not header(event, "TENANT") or not header(event, "API-KEY"):
            return proxy_response(401, {"detail": "TENANT and API-KEY headers are required"})
        try:
            tenant_id = tenant_of(event)
        except errors.ServiceBusy as error:
            return proxy_response(503, {"detail": error.message}, {"Retry-After": str(error.retry_after)})
        if tenant_id is None:
            return proxy_response(401, {"detail": "Invalid TENANT or API-KEY"})
        problem = body_problem(event, takes)
        if problem:
            return fastapi_style.body_refusal(problem)
        app.append_context(tenant_id=tenant_id)
        return app.resolve(event, context)

    wrapped: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        handle
    )
    return wrapped


def tenant(app: APIGatewayRestResolver) -> UUID:
    found = app.context.get("tenant_id")
    if not isinstance(found, UUID):
        raise RuntimeError("route is not behind the Decoda key check")
    return found


def _keep_contact(tenant_id: UUID, data: CreateManualInvoice) -> None:
    """Keeps what the charges say of the invoice's patient, in one write (a later charge's field over an
    earlier one's; a charge of another patient says nothing of this one)."""
    from invoice_hub.contracts.decoda.models import PatientDetail
    from invoice_hub.logic.patient_bills import patient_uuid
    from invoice_hub.logic.patients import record_contact

    given: dict[str, object] = {}
    for charge in data.charges or ():
        patient = charge.patient
        if patient is not None and (charge.patientId or patient.id or data.patientId) == data.patientId:
            given.update(patient.model_dump(mode="json", exclude_none=True, exclude={"id"}))
    if given:
        contact = PatientDetail.model_validate(given).contact(
            tenant_id, patient_uuid(tenant_id, data.patientId), datetime.now(UTC)
        )
        record_contact(wiring.patients(), contact)


def create_manual_invoice(
    tenant_id: UUID, data: CreateManualInvoice, idempotency_key: str | None
) -> tuple[str, bool]:
    """(the InvoiceDetails JSON, whether it is a replay of the first answer to the key)."""
    from invoice_hub.domain.delivery import Method
    from invoice_hub.logic.idempotency import fingerprint
    from invoice_hub.logic.issuing import IssueRequest
    from invoice_hub.logic.patient_bills import Charge, PatientBill

    request = IssueRequest(
        tenant_id, IDEMPOTENCY_OPERATION, idempotency_key, fingerprint(data.model_dump(mode="json"))
    )
    bill = PatientBill(
        patient_id=data.patientId,
        method=Method(data.invoiceMethod),
        charges=tuple(
            Charge(amount_cents=c.amount_cents, description=c.description, external_id=c.externalId)
            for c in data.charges or ()
        ),
        delay_days=data.rule.delayInDays if data.rule else 0,
        message=(data.rule.message if data.rule else None) or data.message,
        rule=data.rule.model_dump(mode="json") if data.rule else None,
        methods=tuple(Method(m) for m in data.rule.methods) if data.rule else (),
    )
    _keep_contact(tenant_id, data)
    issued = wiring.patient_bills().create(
        request, bill, lambda delivery, invoice: details(delivery, data.rule, invoice).model_dump_json()
    )
    return issued.body, issued.replayed


def details(
    delivery: Delivery, rule: RuleDetails | None = None, invoice: Invoice | None = None
) -> InvoiceDetails:
    """A send as Decoda answers it: with its invoice's document (`pdfPath`, a presigned URL valid for
    minutes) and, for an SMS, the text it sends (`smsContent`). `invoice`: the one the request made (not
    yet stored)."""
    from invoice_hub.contracts.decoda.models import InvoiceDetails, RuleDetails
    from invoice_hub.domain.delivery import Method

    documents = wiring.documents()
    if rule is None and delivery.rule:
        rule = RuleDetails.model_validate(delivery.rule)
    if invoice is not None:
        pdf_path: str | None = documents.url_of(invoice, new=True)
    elif delivery.invoice_id is not None:
        pdf_path = documents.url(delivery.tenant_id, delivery.invoice_id)
    else:
        pdf_path = None
    # only a text has one: the composer (and the Sender's parcels with it) is loaded for a text alone
    sms_text = wiring.composer().sms_text(delivery) if delivery.method is Method.SMS else None
    return InvoiceDetails.of(delivery, rule, pdf_path, sms_text)


def aware(value: datetime | None) -> datetime | None:
    """A query's date-time, in UTC when it names no zone."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def rule_draft(rule: RuleCreateWithoutId | RuleUpdate) -> RuleDraft:
    """A rule of a rule set's create or edit, as the use case takes it."""
    from invoice_hub.domain.delivery import Method
    from invoice_hub.logic.rules import RuleDraft

    return RuleDraft(
        name=rule.name,
        id=getattr(rule, "id", None),
        delay_days=rule.delayInDays,
        methods=tuple(Method(m) for m in rule.methods) if rule.methods else None,
        message=rule.message,
        amount_greater_than=rule.amountGreaterThan,
        amount_less_than=rule.amountLessThan,
        less_than_or_equal_to=rule.lessThanOrEqualTo,
    )


def table_row(row: Row) -> InvoiceSetForTable:
    """A row of Decoda's invoice table (no PDF link or text per row: the invoice's read gives them)."""
    from invoice_hub.contracts.decoda.models import (
        ChargeInvoicingDetails,
        InvoiceDetails,
        InvoiceSetForTable,
        InvoiceSetStatus,
        PatientInvoicingDetails,
        RuleDetails,
    )
    from invoice_hub.domain.money import as_integer_cents

    send, contact = row.delivery, row.contact
    address = contact.address if contact is not None else None
    rule = RuleDetails.model_validate(send.rule) if send.rule else None
    return InvoiceSetForTable(
        id=str(send.id),
        status=InvoiceSetStatus(str(row.status)),
        resumedDate=send.resumed_at,
        pausedDate=send.paused_at,
        createdDate=send.created_at,
        updatedDate=send.updated_at,
        invoices=[InvoiceDetails.of(send, rule)],
        patient=PatientInvoicingDetails(
            id=str(send.patient_id or ""),
            firstName=(contact.first_name if contact is not None else None) or "",
            lastName=contact.last_name if contact is not None else None,
            phoneNumber=contact.phone if contact is not None else None,
            email=contact.email if contact is not None else None,
            address=address.line1 if address is not None else None,
            addressLineTwo=address.line2 if address is not None else None,
            city=address.city if address is not None else None,
            state=address.state if address is not None else None,
            zipCode=address.zip_code if address is not None else None,
            country=address.country if address is not None else None,
            charges=[
                ChargeInvoicingDetails(
                    id=str(invoice.id),
                    createdDate=invoice.created_at,
                    totalOutstanding=as_integer_cents(invoice.charges.remaining_amount),
                    total=as_integer_cents(invoice.charges.total_amount),
                    externalCreatedDate=None,
                )
                for invoice in row.invoices
            ],
        ),
    )


def table_query(
    *,
    page: int,
    per_page: int,
    sort_by: str,
    sort_direction: str,
    search_term: str | None,
    rule_set_id: UUID | None,
    status: list[InvoiceSetStatus] | None,
    amount: list[int] | None,
    created_date: list[datetime] | None,
    send_time: list[datetime] | None,
) -> TableQuery:
    """The table's query as the use case takes it (each range at most [from, to]: the operation says so)."""
    from invoice_hub.logic.invoice_table import SetStatus, TableQuery

    return TableQuery(
        statuses=tuple(SetStatus(str(s)) for s in status or ()),
        amount=tuple(amount or ()),
        created=tuple(aware(d) or d for d in created_date or ()),
        send_time=tuple(aware(d) or d for d in send_time or ()),
        search=search_term,
        rule_set_id=rule_set_id,
        sort_by=sort_by,
        descending=sort_direction == "desc",
        page=page,
        per_page=per_page,
    )
