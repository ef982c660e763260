"""Healthbridge facade (seeds 000, 001): bearer token with the admin role, PascalCase, JSON or XML by
`Accept`, ASP.NET-style error bodies `{"Message": ...}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import (
    OpenAPIResponse,
    OpenAPIResponseContentModel,
    OpenAPIResponseContentSchema,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.auth import Principal, principal_from_event
from invoice_hub.config import get_settings
from invoice_hub.contracts import responses
from invoice_hub.contracts.error_bodies import ErrorMessage
from invoice_hub.contracts.healthbridge.format import (
    Negotiated,
    NotAcceptable,
    negotiate,
    render,
    render_error,
)
from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo, RestApiResult
from invoice_hub.contracts.http import header, read_json
from invoice_hub.domain import errors
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.entry import wiring
from invoice_hub.observability import logger

TAG = "Healthbridge"
SECURITY: list[dict[str, list[str]]] = [{"OAuth2PasswordBearer": []}]
MEDIA_TYPES = ("application/json", "text/json", "application/xml", "text/xml")
ERROR_MEDIA_TYPES = ("application/json", "application/xml", "text/xml")  # text/json errors are JSON
NOT_FOUND = "No HTTP resource was found that matches the request URI."


def content(model: Any) -> dict[str, OpenAPIResponseContentModel | OpenAPIResponseContentSchema]:
    """The response's media types, each with the body's model (XML carries the same fields)."""
    return {media_type: {"model": model} for media_type in MEDIA_TYPES}


def error(description: str, headers: responses.Headers | None = None) -> OpenAPIResponse:
    """An error answered `{"Message": "..."}`, or `<Error><Message>` to an XML client, for the OpenAPI
    document."""
    return responses.body(ErrorMessage, description, media_types=ERROR_MEDIA_TYPES, with_headers=headers)


ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    401: responses.UNAUTHORIZED_AT_THE_GATEWAY,
    403: error("The user is not an admin"),
    406: error("Accept names no media type this API writes (JSON or XML)"),
    503: error("Busy; retry after Retry-After seconds", responses.RETRY_AFTER),
}
#: routes with path parameters: a parameter that is not what the route takes
INVALID_PARAMETER: dict[int, OpenAPIResponse] = {
    400: error("A path parameter is not of its type"),
    404: error("A path parameter has characters no route takes"),
}


Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
Body = list[InvoiceSendingStatusVo] | RestApiResult[list[InvoiceSendingStatusVo]] | RestApiResult[Any]


def error_response(
    event: dict[str, Any], status_code: int, text: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An error as a Lambda proxy response, in the format the request's `Accept` negotiates."""
    body, content_type = render_error(text, header(event, "Accept"))
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_type, **(headers or {})},
        "multiValueHeaders": {},
        "body": body,
        "isBase64Encoded": False,
    }


def resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=read_json)

    def message(status_code: int, text: str, headers: dict[str, str] | None = None) -> Response[Any]:
        body, content_type = render_error(text, header(app.current_event.raw_event, "Accept"))
        return Response(status_code=status_code, content_type=content_type, body=body, headers=headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        fields = ", ".join(".".join(str(part) for part in problem["loc"][1:]) for problem in error.errors())
        return message(400, f"The request is invalid: {fields}")

    @app.exception_handler(errors.NotFound)
    def _missing(error: errors.NotFound) -> Response[Any]:
        return message(404, NOT_FOUND)

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        return message(404, NOT_FOUND)  # a path parameter the route's pattern does not take

    @app.exception_handler([errors.IllegalTransition, errors.VersionConflict])
    def _conflict(error: errors.InvoiceHubError) -> Response[Any]:
        return message(409, error.message)

    @app.exception_handler(errors.ServiceBusy)
    def _busy(error: errors.ServiceBusy) -> Response[Any]:
        return message(503, error.message, {"Retry-After": str(error.retry_after)})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected failure", extra={"error_type": type(error).__name__})
        return message(500, "An error has occurred.")

    return app


def entry_point(app: APIGatewayRestResolver) -> Handler:
    """Logging; then the bearer token and the admin role, then `Accept`, before routing."""

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            principal = principal_from_event(event, get_settings().user_pool_client_id)
            principal.require_admin()
            negotiated = negotiate(header(event, "Accept"))
        except errors.Unauthenticated:
            return error_response(
                event,
                401,
                "Authorization has been denied for this request.",
                {"WWW-Authenticate": "Bearer"},
            )
        except errors.Forbidden as error:
            return error_response(event, 403, error.message)
        except NotAcceptable as error:
            return error_response(event, 406, error.message)
        except errors.ServiceBusy as error:
            return error_response(event, 503, error.message, {"Retry-After": str(error.retry_after)})
        app.append_context(principal=principal, negotiated=negotiated)
        return app.resolve(event, context)

    wrapped: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        handle
    )
    return wrapped


def principal(app: APIGatewayRestResolver) -> Principal:
    found = app.context.get("principal")
    if not isinstance(found, Principal):
        raise RuntimeError("route is not behind the Healthbridge admin check")
    return found


def practice(app: APIGatewayRestResolver, practiceid: UUID) -> UUID:
    """The caller's practice, when the path names it; another practice's path is answered as if it did not
    exist."""
    tenant_id = principal(app).tenant_id
    if practiceid != tenant_id:
        raise errors.NotFound("another practice")
    return tenant_id


def respond(app: APIGatewayRestResolver, body: Body, status_code: int = 200) -> Response[Any]:
    negotiated = app.context.get("negotiated")
    if not isinstance(negotiated, Negotiated):
        raise RuntimeError("route is not behind content negotiation")
    text, content_type = render(body, negotiated)
    return Response(status_code=status_code, content_type=content_type, body=text)


def list_by_status(
    app: APIGatewayRestResolver, status: DeliveryStatus, since_prefix: str = ""
) -> Response[Any]:
    """The practice's deliveries in `status` (FAILED, CANCELLED or SENT) as InvoiceSendingStatusVo."""
    tenant_id = principal(app).tenant_id
    deliveries = wiring.deliveries().by_status(tenant_id, status, since_prefix)
    return respond(app, [status_vo(d) for d in deliveries])


def status_vo(delivery: Delivery) -> InvoiceSendingStatusVo:
    """A delivery as Healthbridge's InvoiceSendingStatusVo: the practice is the tenant, the encounter the
    appointment, the invoice the delivery's invoice (its own id when it bills a patient's balance)."""
    return InvoiceSendingStatusVo(
        PracticeId=delivery.tenant_id,
        EncounterId=delivery.appointment_id,
        InvoiceId=delivery.invoice_id or delivery.id,
        Reason=delivery.failed_reason,
        Status=str(delivery.status),
        System=delivery.system,
        SendingTime=delivery.last_attempt_at,
        SendingAttempts=delivery.attempts,
        SendingType=str(delivery.method),
    )
