"""eBillingHub facade (seed 002): `ProducerId` + `ProviderKey` headers, PascalCase, `{"Message": ...}`
errors, an `OperationId` header on every response (the same id is the logs' correlation id)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import StringConstraints

from invoice_hub.contracts import responses
from invoice_hub.contracts.ebh.models import (
    InvoiceStatuses,
    PayorInvoiceList,
    StatusDetails,
    StatusSearchRequest,
    StatusSearchResult,
    StatusUpdate,
    Submission,
    SubmissionCreated,
    SubmissionRequestCreated,
)
from invoice_hub.contracts.ebh.statuses import detail_of, status_of
from invoice_hub.contracts.error_bodies import ErrorMessage
from invoice_hub.contracts.http import (
    MAX_BODY_BYTES,
    XML,
    BodyProblem,
    IdempotencyKey,
    body_bytes,
    body_media_type,
    body_problem,
    header,
    json_response,
    proxy_response,
    read_json,
    unsupported_media_type,
)
from invoice_hub.domain import errors
from invoice_hub.entry import wiring
from invoice_hub.logic.payer_statuses import StatusSearch
from invoice_hub.observability import logger

if TYPE_CHECKING:  # a submission's issuing is loaded by the routes that submit: the status reads need none
    from invoice_hub.logic.issuing import Plan

IDEMPOTENCY_OPERATION = "ebh:submission"

TAG = "eBillingHub"
VERSIONS = ("v1", "v2")  # identical: eBillingHub documents both, and nothing differs between them
#: the `{version}` path parameter (another version is a 400, answered before routing)
Version = Annotated[Literal["v1", "v2"], Path(description="The API version: v1 or v2 (identical)")]
SECURITY: list[dict[str, list[str]]] = [{"EbhProducerId": [], "EbhProviderKey": []}]
UNEXPECTED = "An unexpected error occurred. Please, contact the support team."
NOT_JSON = "The request body must be a JSON object."
#: on every response, whatever its status
OPERATION_ID: responses.Headers = {
    "OperationId": responses.header("The unique identifier associated with the request", {"format": "uuid"})
}


def error(description: str, headers: responses.Headers | None = None) -> OpenAPIResponse:
    """An error answered `{"Message": "..."}`, with the OperationId header, for the OpenAPI document."""
    return responses.body(ErrorMessage, description, with_headers={**OPERATION_ID, **(headers or {})})


#: the answers of an operation that takes a body
BODY_ERRORS: dict[int, OpenAPIResponse] = {
    413: error(f"The body is larger than {MAX_BODY_BYTES} bytes."),
    415: error("The body is not in the media type the operation takes (named in the message)."),
}
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: error(
        "The request was incorrectly formatted, missing a required header or parameters were invalid."
    ),
    401: error("The Provider Key is not authorized."),
    406: error("Provided Accept HTTP Header is not supported."),
    500: error("Something went wrong."),
    503: error("Busy; retry after Retry-After seconds.", responses.RETRY_AFTER),
}

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def message(status_code: int, text: str) -> Response[Any]:
    return json_response(status_code, {"Message": text})


def resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=read_json)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        fields = sorted(
            {
                ".".join(str(part) for part in problem["loc"][1:]) or str(problem["loc"][0])
                for problem in error.errors()
            }
        )
        return message(400, f"The request is invalid: {', '.join(fields)}")

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response[Any]:
        # the entry point refuses such a body before routing; Powertools refuses it here too
        return message(415, f"{unsupported_media_type(body_media_type(app))}.")

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        return message(400, "The request URI is not valid.")  # a path parameter no route takes

    @app.exception_handler([errors.BusinessRuleViolation, errors.IdempotencyKeyReused])
    def _bad(error: errors.InvoiceHubError) -> Response[Any]:
        return message(400, error.message)

    @app.exception_handler(errors.NotFound)
    def _not_found(error: errors.NotFound) -> Response[Any]:
        return message(404, error.message)

    @app.exception_handler(errors.IllegalTransition)
    def _conflict(error: errors.IllegalTransition) -> Response[Any]:
        return message(409, error.message)

    @app.exception_handler(errors.ServiceBusy)
    def _busy(error: errors.ServiceBusy) -> Response[Any]:
        return json_response(503, {"Message": error.message}, {"Retry-After": str(error.retry_after)})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected failure", extra={"error_type": type(error).__name__})
        return message(500, UNEXPECTED)

    return app


def accepts_json(accept: str | None) -> bool:
    """Accept absent, `application/json` or `*/*` (eBillingHub writes JSON only)."""
    if not accept or not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (piece.strip().lower() for piece in part.split(";"))
        quality = next((p.split("=", 1)[1] for p in params if p.startswith("q=")), "1")
        if media in ("application/json", "*/*", "application/*") and quality not in (
            "0",
            "0.0",
            "0.00",
            "0.000",
        ):
            return True
    return False


def entry_point(
    app: APIGatewayRestResolver, *, successor: str | None = None, takes: str | None = None
) -> Handler:
    """Logging with the OperationId as correlation id; the producer's key, `Accept` and the API version
    checked before routing; `OperationId` (and, on a deprecated URL, `Deprecation` and `Link` to
    `successor` — a format string taking the path's parameters) on every response. `takes` names the
    media type of a body the operation reads itself (XML); else it is the one its model is read from."""

    takes = takes or body_media_type(app)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        operation_id = str(uuid.uuid4())
        logger.set_correlation_id(operation_id)
        path = {name: str(value) for name, value in (event.get("pathParameters") or {}).items()}
        version = path.get("version", "")
        extra = {"OperationId": operation_id}
        if successor and version in VERSIONS:
            extra["Deprecation"] = "true"
            url = successor.format_map({name: quote(value, safe="") for name, value in path.items()})
            extra["Link"] = f'<{url}>; rel="successor-version"'
        try:
            response = _checked(app, event, context, version, takes)
        except errors.ServiceBusy as error:  # the key check met a throttled store
            response = proxy_response(
                503, {"Message": error.message}, {"Retry-After": str(error.retry_after)}
            )
        except Exception:  # noqa: BLE001 - logged; nothing may leave without an OperationId and the contract's body
            logger.exception("unexpected failure")
            response = proxy_response(500, {"Message": UNEXPECTED})
        response["headers"] = {**(response.get("headers") or {}), **extra}
        if response.get("multiValueHeaders") is not None:
            response["multiValueHeaders"].update({name: [value] for name, value in extra.items()})
        return response

    wrapped: Handler = logger.inject_lambda_context(handle)
    return wrapped


def _checked(
    app: APIGatewayRestResolver,
    event: dict[str, Any],
    context: LambdaContext,
    version: str,
    takes: str | None,
) -> dict[str, Any]:
    producer, key = header(event, "ProducerId"), header(event, "ProviderKey")
    if not producer or not key:
        return proxy_response(400, {"Message": "The ProducerId and ProviderKey headers are required."})
    tenant_id = wiring.credentials().tenant_for("provider-key", key, producer)
    if tenant_id is None:
        return proxy_response(401, {"Message": "The Provider Key is not authorized."})
    if not accepts_json(header(event, "Accept")):
        return proxy_response(
            406, {"Message": "Provided Accept HTTP Header is not supported; use application/json."}
        )
    if version not in VERSIONS:
        return proxy_response(400, {"Message": f"Unknown API version '{version}'; use v1 or v2."})
    problem = body_problem(event, takes)
    if problem:
        return body_refusal(problem)
    app.append_context(tenant_id=tenant_id, username=header(event, "Username"))
    return app.resolve(event, context)


def body_refusal(problem: BodyProblem) -> dict[str, Any]:
    """A body the operation cannot read: too large 413, another media type 415, else 400."""
    status_code = {"too_large": 413, "unsupported_media_type": 415}.get(problem.kind)
    if status_code is None:
        return proxy_response(400, {"Message": NOT_JSON})
    return proxy_response(status_code, {"Message": f"{problem.message}."})


def tenant(app: APIGatewayRestResolver) -> UUID:
    found = app.context.get("tenant_id")
    if not isinstance(found, UUID):
        raise RuntimeError("route is not behind the eBillingHub key check")
    return found


def username(app: APIGatewayRestResolver) -> str | None:
    found = app.context.get("username")
    return str(found)[:128] if found else None


def submit(
    tenant_id: uuid.UUID, data: Submission, idempotency_key: str | None, by: str | None
) -> tuple[str, uuid.UUID, bool]:
    """(the 201 body, its SubmissionId, whether it replays the first answer to the key)."""
    from invoice_hub.domain.invoice import LineDraft
    from invoice_hub.logic.idempotency import fingerprint
    from invoice_hub.logic.issuing import IssueRequest
    from invoice_hub.logic.payer_submissions import Payer, PayerSubmission

    request = IssueRequest(
        tenant_id, IDEMPOTENCY_OPERATION, idempotency_key, fingerprint(data.model_dump(mode="json"))
    )
    submission = PayerSubmission(
        invoice_id=data.InvoiceId,
        lines=tuple(
            LineDraft(
                description=line.Description,
                code=line.Code,
                quantity=line.Quantity,
                unit_price=line.UnitPrice,
            )
            for line in data.Lines
        ),
        payers=tuple(Payer(org_id=p.PayorOrgId, ebilling_id=p.PayorOrgEBillingId) for p in data.Payors),
        invoice_date=data.InvoiceDate,
        patient_id=data.PatientId,
        encounter_id=data.EncounterId,
    )
    issued = wiring.submissions().submit(request, submission, by, _created)
    return issued.body, SubmissionCreated.model_validate_json(issued.body).SubmissionId, issued.replayed


def _created(plan: Plan) -> tuple[int, str]:
    return 201, SubmissionCreated(SubmissionId=plan.deliveries[0].submission_id).model_dump_json()


HISTORY_RESPONSES: dict[int, OpenAPIResponse] = {
    200: responses.body(
        InvoiceStatuses,
        "The request was successful; one entry per payer (an empty list for unknown ids).",
        with_headers=OPERATION_ID,
    ),
    **ERROR_RESPONSES,
}


def deprecated(
    answers: dict[int, OpenAPIResponse], at_deprecated_url: bool = True
) -> dict[int, OpenAPIResponse]:
    """A deprecated URL's answers, which also say so (when the version is one of the API's); at the current
    URL (`at_deprecated_url` false), the answers as they are."""
    if not at_deprecated_url:
        return answers
    return {
        status_code: {
            **response,
            "headers": {
                **response.get("headers", {}),
                "Deprecation": responses.header("true: this URL is deprecated", required=False),
                "Link": responses.header("The successor URL, rel=successor-version", required=False),
            },
        }
        for status_code, response in answers.items()
    }


DEPRECATED_HISTORY_RESPONSES = deprecated(HISTORY_RESPONSES)


def history_route(app: APIGatewayRestResolver) -> Callable[..., InvoiceStatuses]:
    """GET history, for the current URL and the deprecated one alike."""

    def history(
        version: Version,
        SubmissionId: Annotated[
            UUID | None, Query(description="The id the Submission API returned (either this or InvoiceId)")
        ] = None,
        InvoiceId: Annotated[
            str | None,
            Query(min_length=1, max_length=64, description="The billing organisation's invoice number"),
        ] = None,
    ) -> InvoiceStatuses:
        if SubmissionId is None and InvoiceId is None:
            raise errors.BusinessRuleViolation(
                "Either 'SubmissionId' or 'InvoiceId' should be specified.", "query"
            )
        sends = wiring.payer_statuses().history(tenant(app), SubmissionId, InvoiceId)
        return InvoiceStatuses(InvoiceStatuses=[status_of(d) for d in sends])

    return history


# -- SubmissionRequests: an eSF invoice in XML --------------------------------------------------------
ESF_OPERATION = "ebh:submission-request"
UBF_UNPUBLISHED = (
    "This service takes eSF invoices only (InvoiceType: ESF); UBF's structure is not published, and UBF "
    "is the default when InvoiceType is not sent."
)

InvoiceTypeHeader = Annotated[
    Literal["ESF", "UBF"] | None,
    Header(alias="InvoiceType", description="The invoice's format: ESF, or UBF (the default; not accepted)"),
]
InvoiceStateHeader = Annotated[
    Literal["FinalInvoice", "Proforma"] | None,
    Header(
        alias="InvoiceState",
        description="FinalInvoice (the default), or Proforma: validated and kept as new, never forwarded",
    ),
]


def submission_request_responses(deprecated_url: bool = False) -> dict[int, OpenAPIResponse]:
    answers: dict[int, OpenAPIResponse] = {
        201: responses.body(
            SubmissionRequestCreated,
            "The request was created successfully.",
            with_headers={
                **OPERATION_ID,
                "Location": responses.header("The URL of the created submission's status history."),
            },
        ),
        409: error("The invoice is with the payor org already and may not be resubmitted"),
        **ERROR_RESPONSES,
        413: error(f"Too large payload size (over {MAX_BODY_BYTES} bytes)."),
        415: error("Provided Content-Type HTTP Header is not supported (only application/xml), or UBF."),
    }
    return deprecated(answers, deprecated_url)


#: the request body, for the OpenAPI document (the operation reads it itself: Powertools reads JSON and forms)
SUBMISSION_REQUEST_BODY = {
    "x-request-body": {
        "description": "An eSF invoice: v2.0.2 on v1, v3.1.2 on v2 (docs/ebh.md lists its elements)",
        "required": True,
        # an opaque payload to OpenAPI (`format: binary`): its structure is the eSF field tables'
        "content": {XML: {"schema": {"type": "string", "format": "binary", "maxLength": MAX_BODY_BYTES}}},
    }
}


def submission_request_route(app: APIGatewayRestResolver) -> Callable[..., Response[Any]]:
    """POST SubmissionRequests, for the current URL and the deprecated one alike."""

    def submission_request(
        version: Version,
        invoice_type: InvoiceTypeHeader = None,
        invoice_state: InvoiceStateHeader = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Any]:
        from invoice_hub.contracts.ebh import esf  # the XML reader: only the submission requests load it
        from invoice_hub.logic.idempotency import fingerprint
        from invoice_hub.logic.issuing import IssueRequest
        from invoice_hub.logic.payer_submissions import PayerSubmission

        if (invoice_type or "UBF") != "ESF":
            return message(415, UBF_UNPUBLISHED)
        body = body_bytes(app.current_event.raw_event)
        try:
            invoice = esf.read(body, version)
        except esf.EsfInvalid as problem:
            return message(400, f"The invoice is invalid: {problem}.")
        tenant_id = tenant(app)
        request = IssueRequest(
            tenant_id,
            ESF_OPERATION,
            idempotency_key,
            fingerprint(
                {
                    "version": version,
                    "state": invoice_state or "FinalInvoice",
                    "esf": hashlib.sha256(body).hexdigest(),
                }
            ),
        )
        submission = PayerSubmission(
            invoice_id=invoice.invoice_id,
            lines=invoice.lines,
            payers=invoice.payors,
            invoice_date=invoice.invoice_date,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            matters=invoice.matters,
            proforma=invoice_state == "Proforma",
            awaits_attachments=invoice.has_attachments,
        )
        issued = wiring.submissions().submit(
            request, submission, username(app), partial(_request_created, invoice_id=invoice.invoice_id)
        )
        created = SubmissionRequestCreated.model_validate_json(issued.body)
        headers = {"Location": f"/ebh/statuses/{version}/history?SubmissionId={created.SubmissionId}"}
        if issued.replayed:
            headers["Idempotent-Replayed"] = "true"
        return json_response(201, issued.body, headers)

    return submission_request


def _request_created(plan: Plan, invoice_id: str) -> tuple[int, str]:
    created = SubmissionRequestCreated(SubmissionId=plan.deliveries[0].submission_id, InvoiceId=invoice_id)
    return 201, created.model_dump_json()


# -- the Submission API's ready, and the Status API's details, search and update -----------------------
def ready_responses(deprecated_url: bool = False) -> dict[int, OpenAPIResponse]:
    answers: dict[int, OpenAPIResponse] = {
        204: {"description": "The request was successful.", "headers": OPERATION_ID},
        404: error("A submission request or invoice was not found."),
        409: error("A submitted invoice was already sent to a vendor (or is a proforma, which is not)."),
        **ERROR_RESPONSES,
    }
    return deprecated(answers, deprecated_url)


#: the characters a path parameter may hold for the route to match it (Powertools' route pattern: RFC
#: 3986's unreserved and sub-delimiters, a few unsafe ones, and word characters; no space or slash)
ROUTABLE = r"^[-._~()'!*:@,;=+&$%<>\[\]{}|^\w]+$"


def ready_route(app: APIGatewayRestResolver) -> Callable[..., Response[Any]]:
    """PUT .../SubmissionRequests/{SubmissionId}/invoices/{Id}: an invoice submitted as new (waiting for
    its attachments) is received and forwarded."""

    def ready(
        version: Version,
        SubmissionId: Annotated[UUID, Path(description="The SubmissionId the Submission API returned")],
        Id: Annotated[
            str,
            Path(
                min_length=1,
                max_length=60,
                pattern=ROUTABLE,
                description="The InvoiceId the Submission API returned",
            ),
        ],
    ) -> Response[Any]:
        wiring.submissions().ready(tenant(app), SubmissionId, Id, username(app))
        return Response(status_code=204, body="")

    return ready


def details_responses(deprecated_url: bool = False) -> dict[int, OpenAPIResponse]:
    answers: dict[int, OpenAPIResponse] = {
        200: responses.body(
            StatusDetails,
            "The request was successful: one entry per payor of each invoice (none for unknown ids).",
            with_headers=OPERATION_ID,
        ),
        **ERROR_RESPONSES,
    }
    return deprecated(answers, deprecated_url)


def _ids(values: list[str]) -> tuple[str, ...]:
    """Repeated values, each of which may also be a comma-separated list."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def details_route(app: APIGatewayRestResolver) -> Callable[..., StatusDetails]:
    def details(
        version: Version,
        InvoiceId: Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=640)]],
            Query(
                min_length=1,
                max_length=100,
                description="The billing organisation's invoice numbers (repeated, or separated by commas)",
            ),
        ],
    ) -> StatusDetails:
        ids = _ids(InvoiceId)
        if not ids or len(ids) > MAX_IDS or any(len(one) > ID_LENGTH for one in ids):
            raise errors.BusinessRuleViolation(
                f"InvoiceId takes 1 to {MAX_IDS} invoice numbers of at most {ID_LENGTH} characters.",
                "InvoiceId",
            )
        sends = wiring.payer_statuses().details(tenant(app), ids)
        return StatusDetails(InvoiceList=PayorInvoiceList(ListOfInvoices=[detail_of(d) for d in sends]))

    return details


MAX_IDS = 100
ID_LENGTH = 64


def search_responses(deprecated_url: bool = False) -> dict[int, OpenAPIResponse]:
    answers: dict[int, OpenAPIResponse] = {
        200: responses.body(
            StatusSearchResult,
            "The request was successful: a page of the matches.",
            with_headers=OPERATION_ID,
        ),
        **ERROR_RESPONSES,
        **BODY_ERRORS,
    }
    return deprecated(answers, deprecated_url)


def search_route(app: APIGatewayRestResolver) -> Callable[..., StatusSearchResult]:
    def search(version: Version, body: StatusSearchRequest) -> StatusSearchResult:
        found = wiring.payer_statuses().search(
            tenant(app),
            StatusSearch(
                submission_ids=tuple(body.SubmissionId),
                invoice_ids=tuple(body.InvoiceId),
                matter_ids=tuple(body.MatterId),
                payor_org_id=body.PayorOrgId,
                payor_org_ebilling_id=body.PayorOrgEBillingId,
                since=body.StartDate,
                until=body.EndDate,
                active_only=body.IsActive,
            ),
        )
        first = (body.Page - 1) * body.PageSize
        page = found[first : first + body.PageSize]
        return StatusSearchResult(
            InvoiceList=PayorInvoiceList(ListOfInvoices=[detail_of(d) for d in page]),
            Page=body.Page,
            PageSize=body.PageSize,
            TotalCount=len(found),
        )

    return search


def status_update_responses(deprecated_url: bool = False) -> dict[int, OpenAPIResponse]:
    answers: dict[int, OpenAPIResponse] = {
        200: responses.body(
            InvoiceStatuses,
            "The status was updated: the history of each payor's invoice it was set for.",
            with_headers=OPERATION_ID,
        ),
        404: error("No submitted invoice matches the request."),
        409: error("The invoice may not take that status now (it is dead, or may not be received again)."),
        **ERROR_RESPONSES,
        **BODY_ERRORS,
    }
    return deprecated(answers, deprecated_url)


PayorIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None,
    Query(max_length=20, description="Either PayorOrgId or PayorOrgEBillingId or both (several allowed)"),
]


def status_update_route(app: APIGatewayRestResolver) -> Callable[..., InvoiceStatuses]:
    def update(
        version: Version,
        body: StatusUpdate,
        SubmissionId: Annotated[
            UUID | None, Query(description="The id the Submission API returned (either this or InvoiceId)")
        ] = None,
        InvoiceId: Annotated[
            str | None,
            Query(min_length=1, max_length=64, description="The billing organisation's invoice number"),
        ] = None,
        PayorOrgId: PayorIds = None,
        PayorOrgEBillingId: PayorIds = None,
    ) -> InvoiceStatuses:
        if SubmissionId is None and InvoiceId is None:
            raise errors.BusinessRuleViolation(
                "Either 'SubmissionId' or 'InvoiceId' should be specified.", "query"
            )
        if not PayorOrgId and not PayorOrgEBillingId:
            raise errors.BusinessRuleViolation(
                "Either 'PayorOrgId' or 'PayorOrgEBillingId' or both should be specified.", "query"
            )
        changed = wiring.submissions().set_status(
            tenant(app),
            SubmissionId,
            InvoiceId,
            (frozenset(PayorOrgId or ()), frozenset(PayorOrgEBillingId or ())),
            body.Status,
            body.Comment,
            username(app),
        )
        return InvoiceStatuses(InvoiceStatuses=[status_of(d) for d in changed])

    return update
