"""Healthbridge billing API (seeds 000 and 001): what goes out, PascalCase exactly as the contract shows it.

Field order is the JSON order of the seeds' samples (Json.NET writes properties in declaration order);
the XML renderer in `api/healthbridge_format.py` sorts them itself, as .NET's DataContractSerializer does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field, PlainSerializer


def as_utc(value: datetime) -> datetime:
    """The instant in UTC. A naive value is taken to be UTC already: storage keeps UTC, and guessing a
    local zone on a Lambda (always UTC) would only hide a bug."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_time(value: datetime) -> str:
    """`2026-05-20T20:09:49Z`: UTC, whole seconds, `Z`, the form of the seeds' JSON samples."""
    return as_utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


#: A date as the contract's JSON shows it (the XML form is the renderer's business).
HealthbridgeTime = Annotated[datetime, PlainSerializer(json_time, return_type=str, when_used="json")]

DataT = TypeVar("DataT")


class InvoiceSendingStatusVo(BaseModel):
    """Where one invoice stands with the external system it is sent to (GET failed, POST retryallfailed)."""

    PracticeId: UUID
    EncounterId: UUID | None  # an invoice need not belong to an encounter
    InvoiceId: UUID
    Reason: str | None
    Status: str
    System: str
    SendingTime: HealthbridgeTime | None
    SendingAttempts: int
    SendingType: str


class RestApiLink(BaseModel):
    Rel: str
    HRef: str


class RestApiResult(BaseModel, Generic[DataT]):
    """The common envelope: `RestApiResult<List<InvoiceSendingStatusVo>>` (retryallfailed) or
    `RestApiResult<Guid>` (per-practice cancel). `Sucess` is the contract's own spelling."""

    Sucess: bool
    ResponseCode: int
    ResponseMessage: str
    Data: DataT
    Links: list[RestApiLink] = Field(default_factory=list)
