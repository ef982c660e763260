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

from invoice_hub import errors
from invoice_hub.api import responses
from invoice_hub.api.http import json_response
from invoice_hub.models.error_api import ErrorDetail, ValidationErrors
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


BODY_PROBLEMS = {
    "json_invalid": "JSON decode error",
    "model_attributes_type": "Input should be a valid dictionary or object to extract fields from",
    "multipart_invalid": "There was an error parsing the body",
}


def body_error(problem: str) -> dict[str, Any]:
    """The 422 a FastAPI service gives for a body that is not a JSON object (or a form it can read)."""
    return {"detail": [{"type": problem, "loc": ["body"], "msg": BODY_PROBLEMS[problem]}]}


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
    app = APIGatewayRestResolver(enable_validation=True)
    install_error_handlers(app)
    return app


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """Maps every domain error, validation error and unexpected failure to its FastAPI-style body."""

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        return detail(422, validation_detail(error.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(_: RequestUnsupportedContentType) -> Response[Any]:
        # FastAPI reads a body that is neither JSON nor a form as bytes, which no model accepts
        return json_response(422, body_error("model_attributes_type"))

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
