"""Invoice API facade (seed 003): resolver, bearer authentication, responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.auth import Principal, principal_from_event
from invoice_hub.config import get_settings
from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.fastapi_style import BEARER_CHALLENGE
from invoice_hub.contracts.http import (
    as_powertools_reads,
    body_media_type,
    body_problem,
    greedy_remainder,
    json_response,
    no_route,
    proxy_response,
)
from invoice_hub.contracts.invoice_api.models import InvoiceOut
from invoice_hub.domain import errors
from invoice_hub.entry import wiring
from invoice_hub.logic.invoices import etag, version_tag
from invoice_hub.observability import logger

if TYPE_CHECKING:  # the create path's imports are made by `create`: only InvoiceCreate loads them
    from invoice_hub.contracts.invoice_api.models import InvoiceIn
    from invoice_hub.domain.invoice import Invoice
    from invoice_hub.logic.issuing import Plan

IDEMPOTENCY_OPERATION = "invoice-api:create"

TAG = "Invoice API"
#: the OpenAPI security requirement of every /invoice route (scheme declared in the merged document)
SECURITY: list[dict[str, list[str]]] = [{"OAuth2PasswordBearer": []}]
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    401: responses.UNAUTHORIZED_AT_THE_GATEWAY,
    403: fastapi_style.error("The user belongs to no practice"),
    422: fastapi_style.VALIDATION_ERROR,
    503: fastapi_style.BUSY,
}
#: the answers of an operation that takes a body
BODY_ERRORS = fastapi_style.BODY_ERRORS

#: the headers of an answer that carries an invoice
ETAG: responses.Headers = {"ETag": responses.header("The invoice's version, for If-Match")}
CREATED: responses.Headers = {
    **ETAG,
    "Location": responses.header("The new invoice's URL"),
    "Idempotent-Replayed": responses.header(
        "true when this is the first answer to the same Idempotency-Key, replayed", required=False
    ),
}

#: where an answer's invoice id goes next (the operation ids Powertools gives the /invoice/{id} routes)
INVOICE_LINKS = responses.links(
    ("get_invoice__id__get", "update_invoice__id__put", "delete_invoice__id__delete"), id="$response.body#/id"
)

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def resolver() -> APIGatewayRestResolver:
    return fastapi_style.resolver()


def entry_point(app: APIGatewayRestResolver, *, bearer: bool = True) -> Handler:
    """The function's `lambda_handler`: logging with the request's correlation id, then the slash route's
    other paths refused, then (with `bearer`) the token check, then the resolver."""
    takes = body_media_type(app)
    handler = only_the_slash(authenticated(app, takes) if bearer else readable_body(app, takes))
    wrapped: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        handler
    )
    return wrapped


def only_the_slash(handler: Handler) -> Handler:
    """A route `/invoice/{proxy+}` is in the template only so that `/invoice/` (the contract's spelling,
    which an HTTP API is reported not to match to the route `/invoice`) reaches the function that serves
    `/invoice` (docs/decisions/017-an-http-api.md). Whatever else it takes (`/invoice/x/y`) is answered as API
    Gateway answers a path no route takes, before the caller or the body are read: the same 404 and body
    as before the route existed."""

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if greedy_remainder(event):
            return no_route()
        return handler(event, context)

    return handle


def authenticated(app: APIGatewayRestResolver, takes: str | None) -> Handler:
    """The caller (the claims API Gateway's JWT authorizer verified) is read before routing or
    validation, so a caller without them learns nothing about the request's shape; then the body (in
    the media type `takes`)."""

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            principal = principal_from_event(event, get_settings().user_pool_client_id)
        except errors.Unauthenticated as error:
            return proxy_response(401, {"detail": error.message}, BEARER_CHALLENGE)
        except errors.Forbidden as error:
            return proxy_response(403, {"detail": error.message})
        problem = body_problem(event, takes)
        if problem:
            return fastapi_style.body_refusal(problem)
        app.append_context(principal=principal)
        return app.resolve(event, context)

    return handle


def readable_body(app: APIGatewayRestResolver, takes: str | None) -> Handler:
    """A route without authentication: the body is checked before routing, as behind `authenticated`."""

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        problem = body_problem(event, takes)
        if problem:
            return fastapi_style.body_refusal(problem)
        return app.resolve(as_powertools_reads(event), context)

    return handle


def principal(app: APIGatewayRestResolver) -> Principal:
    found = app.context.get("principal")
    if not isinstance(found, Principal):  # a route wired without `authenticated`: a bug, not a client error
        raise RuntimeError("route is not behind bearer authentication")
    return found


def invoice_response(invoice: Invoice, status_code: int = 200) -> Response[Any]:
    return json_response(status_code, InvoiceOut.of(invoice).model_dump_json(), {"ETag": etag(invoice)})


def create(tenant_id: UUID, invoice: InvoiceIn, idempotency_key: str | None) -> Response[Any]:
    """201 with the invoice, its ETag (a new invoice is version 1) and Location; a replay says so."""
    from invoice_hub.logic.idempotency import fingerprint
    from invoice_hub.logic.invoices import create_invoice
    from invoice_hub.logic.issuing import IssueRequest

    request = IssueRequest(
        tenant_id, IDEMPOTENCY_OPERATION, idempotency_key, fingerprint(invoice.model_dump(mode="json"))
    )
    created = create_invoice(wiring.invoices(), wiring.outbox(), request, invoice.draft(), _answer)
    invoice_id = json.loads(created.body)["id"]
    headers = {"ETag": version_tag(1), "Location": f"/invoice/{invoice_id}"}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(created.status_code, created.body, headers)


def _answer(plan: Plan) -> tuple[int, str]:
    if plan.invoice is None:  # create_invoice always plans an invoice
        raise RuntimeError("an Invoice API create without an invoice")
    return 201, InvoiceOut.of(plan.invoice).model_dump_json()
