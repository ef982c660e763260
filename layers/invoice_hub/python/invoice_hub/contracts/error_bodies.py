"""Error bodies as the contracts write them (for the OpenAPI document; the facades in api/ build them).

FastAPI-style (Invoice API, Decoda): `{"detail": "..."}`, and `{"detail": [{type, loc, msg}]}` for a
validation error. ASP.NET-style (Healthbridge, eBillingHub): `{"Message": "..."}`.
"""

from pydantic import Field

from invoice_hub.contracts.wire import WireModel


class ErrorDetail(WireModel):
    """FastAPI's HTTPException body."""

    detail: str


class ValidationIssue(WireModel):
    """One problem of a request, without the rejected input (it may be patient data)."""

    type: str
    loc: list[str | int] = Field(description="Where: body, query, path or header, then the field")
    msg: str


class ValidationErrors(WireModel):
    """FastAPI's 422 body."""

    detail: list[ValidationIssue]


class ErrorMessage(WireModel):
    """ASP.NET Web API's error body (Healthbridge and eBillingHub)."""

    Message: str
