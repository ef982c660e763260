"""Error bodies in the FastAPI style that the Invoice API and Decoda contracts use: `{"detail": ...}`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from invoice_hub.contracts import responses
from invoice_hub.contracts.error_bodies import ErrorDetail, ValidationErrors
from invoice_hub.contracts.http import (
    MAX_BODY_BYTES,
    BodyProblem,
    body_media_type,
    json_response,
    proxy_response,
    read_json,
    unsupported_media_type,
)
from invoice_hub.domain import errors
from invoice_hub.observability import logger

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def error(description: str, headers: responses.Headers | None = None) -> OpenAPIResponse:
    """An error answered `{"detail": "..."}`, for the OpenAPI document."""
    return responses.body(ErrorDetail, description, with_headers=headers)


#: the 422 every validated route may give
VALIDATION_ERROR = responses.body(ValidationErrors, "Validation error")
#: the 503 a throttled store (or the token keys out of reach) gives
BUSY = error("Busy; retry after Retry-After seconds", responses.RETRY_AFTER)


def validation_detail(problems: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as FastAPI lists them, without the rejected input (it may be patient data)."""
    return [
        {
            "type": str(p.get("type", "value_error")),
            "loc": list(p.get("loc", ())),
            "msg": str(p.get("msg", "")),
        }
        for p in problems
    ]


#: the answers of an operation that takes a body, for the OpenAPI document
BODY_ERRORS: dict[int, OpenAPIResponse] = {
    413: error(f"The body is larger than {MAX_BODY_BYTES} bytes"),
    415: error("The body is not in the media type the operation takes (named in the message)"),
}
#: the type of the 422 FastAPI gives for a body it cannot read, by the kind of problem
VALIDATION_TYPES = {"not_an_object": "model_attributes_type"}


def body_refusal(problem: BodyProblem) -> dict[str, Any]:
    """The answer to a body the operation cannot read: too large 413, another media type 415 (FastAPI
    would try it as bytes and answer a misleading 422), unreadable content FastAPI's 422."""
    if problem.kind == "too_large":
        return proxy_response(413, {"detail": problem.message})
    if problem.kind == "unsupported_media_type":
        return proxy_response(415, {"detail": problem.message})
    kind = VALIDATION_TYPES.get(problem.kind, problem.kind)
    return proxy_response(422, {"detail": [{"type": kind, "loc": ["body"], "msg": problem.message}]})


def detail(status_code: int, message: Any, headers: Mapping[str, str] | None = None) -> Response[Any]:
    return json_response(status_code, {"detail": message}, headers)


#: domain error -> (status code, extra headers)
STATUS: dict[type[errors.InvoiceHubError], int] = {
    errors.NotFound: 404,
    errors.IllegalTransition: 409,
    errors.VersionConflict: 409,
    errors.PreconditionFailed: 412,
    errors.Unauthenticated: 401,
    errors.InvalidCredentials: 400,
    errors.Forbidden: 403,
}


def resolver() -> APIGatewayRestResolver:
    """A resolver with validation on and every error answered in the FastAPI style."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=read_json)
    install_error_handlers(app)
    return app


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """Maps every domain error, validation error and unexpected failure to its FastAPI-style body."""

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        return detail(422, validation_detail(error.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response[Any]:
        # the entry points refuse such a body before routing; Powertools refuses it here too
        return detail(415, unsupported_media_type(body_media_type(app)))

    @app.exception_handler(errors.BusinessRuleViolation)
    def _rule(error: errors.BusinessRuleViolation) -> Response[Any]:
        problem = {"type": "value_error", "loc": ["body", error.field], "msg": error.message}
        return detail(422, [problem])

    @app.exception_handler(errors.IdempotencyKeyReused)
    def _reused(error: errors.IdempotencyKeyReused) -> Response[Any]:
        return detail(
            422,
            [{"type": "idempotency_key_reused", "loc": ["header", "Idempotency-Key"], "msg": error.message}],
        )

    @app.exception_handler(errors.ServiceBusy)
    def _busy(error: errors.ServiceBusy) -> Response[Any]:
        return detail(503, error.message, {"Retry-After": str(error.retry_after)})

    for error_type, status_code in STATUS.items():
        app.exception_handler(error_type)(_mapped(status_code))

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        return detail(404, "Not Found")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        # the type only: a message may quote patient data
        logger.exception("unexpected failure", extra={"error_type": type(error).__name__})
        return detail(500, "Internal Server Error")


def _mapped(status_code: int) -> Callable[[errors.InvoiceHubError], Response[Any]]:
    headers = BEARER_CHALLENGE if status_code == 401 else None

    def handle(error: errors.InvoiceHubError) -> Response[Any]:
        return detail(status_code, error.message, headers)

    return handle
