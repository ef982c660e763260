"""Healthbridge wire formats (seeds 000 and 001): content negotiation, JSON and DataContract XML. No I/O.

The service being reproduced is ASP.NET Web API: Json.NET answers `application/json` and `text/json`,
the DataContractSerializer answers `application/xml` and `text/xml`. What is copied from it, and why:

- **Negotiation** is Web API's `DefaultContentNegotiator`: the Accept ranges sorted by q-value (more
  specific first on a tie), each formatter (JSON, then XML) matched against the first range that covers
  one of its media types, then the best of the literal, `type/*` and `*/*` matches by q-value (the earlier
  wins a tie). The answer's Content-Type is the matched media type with `charset=utf-8`, so `text/xml`
  is answered as `text/xml` and `text/json` as `text/json`, as Web API does. One difference, on purpose:
  when nothing acceptable matches, Web API falls back to JSON, and here `NotAcceptable` (406) is raised.
  A missing, empty or wholly unparsable Accept header means JSON (Web API ignores values it cannot parse).
- **XML** is written by a small string builder, not ElementTree: DataContractSerializer declares the
  `d2p1` prefix on the `Data` element, and ElementTree can only declare namespaces on the root. It
  writes what .NET's XmlWriter writes: members in ordinal order of their names (the serializer's default,
  which the samples show), a null as `<Name i:nil="true" />`, an empty element in the short form with its
  space (`<Links />`), no XML declaration, no indentation (the samples are indented by the help page, the
  wire is not). Text is escaped as XmlWriter escapes element text (`&`, `<`, `>`); a character XML 1.0
  cannot carry becomes U+FFFD, where .NET would fail the whole response with a 500.
- **Dates**: in XML, as DataContractSerializer writes a UTC DateTime: `2026-05-20T18:09:49.936175Z` (the
  fraction without trailing zeros; Python keeps microseconds where .NET keeps 100 ns). The samples show
  the server's local time with its offset (`...49.9361753+02:00`): the same instant, written another way.
  In JSON, as the samples show: UTC, whole seconds, `Z` (see `models.healthbridge_api.json_time`).
- **Generic root names**: .NET names `RestApiResult<T>` `RestApiResultOf{T's contract name}`, followed by
  a digest of T's namespace unless T comes from a built-in namespace (`generic_contract_name`). That gives
  `RestApiResultOfArrayOfInvoiceSendingStatusVo8ZwS41wm`, as seed 001 shows, and `RestApiResultOfguid`:
  Guid's namespace is built in, so no digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias
from uuid import UUID

from pydantic import BaseModel

from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo, RestApiResult, as_utc
from invoice_hub.domain.errors import InvoiceHubError

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
BILLING_NS = "http://schemas.datacontract.org/2004/07/Com.Healthbridge.Hhas.Billing.Interface.ValueObjects"
COMMON_NS = (
    "http://schemas.datacontract.org/2004/07/Com.Healthbridge.Core.CommonDomain.Interface.ValueObjects"
)
#: .NET's built-in data contract namespaces (XSD types, and Guid, char, ... of the serialization namespace)
SCHEMA_NS = "http://www.w3.org/2001/XMLSchema"
SERIALIZATION_NS = "http://schemas.microsoft.com/2003/10/Serialization/"

HealthbridgeBody: TypeAlias = (
    list[InvoiceSendingStatusVo] | RestApiResult[list[InvoiceSendingStatusVo]] | RestApiResult[UUID]
)


class NotAcceptable(InvoiceHubError):
    """No media type in the Accept header is one this API can write (answered 406 by the facade)."""

    def __init__(self) -> None:
        super().__init__(
            "None of the media types in the Accept header can be produced; "
            "this resource is available as application/json, text/json, application/xml or text/xml"
        )


# --- content negotiation ------------------------------------------------------------------------------


class WireFormat(StrEnum):
    JSON = "json"
    XML = "xml"


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The outcome of negotiation: which serializer, and the media type to answer with."""

    format: WireFormat
    media_type: str

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


JSON = Negotiated(WireFormat.JSON, "application/json")

#: Web API's default formatters in registration order, each with its media types in order.
FORMATTERS: tuple[tuple[WireFormat, tuple[str, ...]], ...] = (
    (WireFormat.JSON, ("application/json", "text/json")),
    (WireFormat.XML, ("application/xml", "text/xml")),
)

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_QVALUE = re.compile(r"\d+(?:\.\d*)?|\.\d+")


@dataclass(frozen=True, slots=True)
class _MediaRange:
    type: str
    subtype: str
    quality: float

    @property
    def specificity(self) -> int:
        """2 for `type/subtype`, 1 for `type/*`, 0 for `*/*`: Web API's tie-break and match ranking."""
        if self.type == "*":
            return 0
        return 1 if self.subtype == "*" else 2

    def covers(self, media_type: str) -> bool:
        type_, _, subtype = media_type.partition("/")
        return self.type == "*" or (self.type == type_ and self.subtype in ("*", subtype))


def _media_range(text: str) -> _MediaRange | None:
    """One Accept value, or None when it does not parse (it is then ignored, as Web API ignores it)."""
    head, *parameters = text.split(";")
    type_, slash, subtype = head.strip().lower().partition("/")
    if not slash or not _TOKEN.fullmatch(type_) or not _TOKEN.fullmatch(subtype):
        return None
    if type_ == "*" and subtype != "*":
        return None
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "q":
            continue  # other parameters do not take part in matching (Web API's formatters declare none)
        value = value.strip()
        if not _QVALUE.fullmatch(value) or not 0 <= float(value) <= 1:
            return None
        quality = float(value)
    return _MediaRange(type_, subtype, quality)


def _accepted_ranges(accept: str | None) -> list[_MediaRange]:
    """The parsable ranges of an Accept header, most preferred first: by q-value, then by specificity,
    then in the client's order (the sort is stable, like the LINQ OrderByDescending Web API uses)."""
    ranges = [found for part in (accept or "").split(",") if (found := _media_range(part)) is not None]
    return sorted(ranges, key=lambda found: (found.quality, found.specificity), reverse=True)


def negotiate(accept: str | None) -> Negotiated:
    """The format and media type to answer a request carrying this Accept header with.

    Raises `NotAcceptable` when the header names only media types this API cannot write."""
    ranges = _accepted_ranges(accept)
    if not ranges:
        return JSON
    best: dict[int, tuple[float, Negotiated]] = {}  # by specificity of the matching range
    for wire_format, media_types in FORMATTERS:
        match = _first_match(ranges, wire_format, media_types)
        if match is None:
            continue
        specificity, quality, negotiated = match
        current = best.get(specificity)
        if current is None or quality > current[0]:
            best[specificity] = (quality, negotiated)
    chosen: tuple[float, Negotiated] | None = None
    for specificity in (2, 1, 0):
        candidate = best.get(specificity)
        if candidate is not None and (chosen is None or candidate[0] > chosen[0]):
            chosen = candidate
    if chosen is None:
        raise NotAcceptable()
    return chosen[1]


def _first_match(
    ranges: Sequence[_MediaRange], wire_format: WireFormat, media_types: Sequence[str]
) -> tuple[int, float, Negotiated] | None:
    for accepted in ranges:
        if accepted.quality == 0:  # q=0: explicitly not acceptable
            continue
        for media_type in media_types:
            if accepted.covers(media_type):
                return accepted.specificity, accepted.quality, Negotiated(wire_format, media_type)
    return None


# --- .NET data contract names ---------------------------------------------------------------------------


def namespaces_digest(namespaces: str) -> str:
    """DataContract.GetNamespacesDigest: base64 of the first 6 bytes of the MD5 of the UTF-8 text, with
    `=` dropped, `/` written `_S` and `+` written `_P`. (.NET carries its own MD5 code for it, "for
    backwards-compatible name generation" only; this is a name, not a security measure.)"""
    digest = hashlib.md5(namespaces.encode("utf-8"), usedforsecurity=False).digest()[:6]
    text = base64.b64encode(digest).decode("ascii")
    return text.replace("=", "").replace("/", "_S").replace("+", "_P")


def generic_contract_name(name: str, arguments: Sequence[tuple[str, str]]) -> str:
    """The data contract name .NET gives a closed generic type declared at namespace level: `name`, `Of`,
    each argument's contract name, then - unless every argument comes from a built-in namespace - the
    digest of " {argument count}" followed by " {namespace}" for each argument.

    `arguments` are the (contract name, contract namespace) of each type argument. Nested generic types,
    whose digest also counts the parameters of the enclosing types, are not needed here."""
    local = name + "Of" + "".join(argument for argument, _ in arguments)
    if all(namespace in (SCHEMA_NS, SERIALIZATION_NS) for _, namespace in arguments):
        return local
    namespaces = f" {len(arguments)}" + "".join(f" {namespace}" for _, namespace in arguments)
    return local + namespaces_digest(namespaces)


RESULT_OF_STATUS_LIST = generic_contract_name(
    "RestApiResult", [("ArrayOfInvoiceSendingStatusVo", BILLING_NS)]
)
RESULT_OF_GUID = generic_contract_name("RestApiResult", [("guid", SERIALIZATION_NS)])


# --- rendering ---------------------------------------------------------------------------------------------


def render(body: HealthbridgeBody, negotiated: Negotiated) -> tuple[str, str]:
    """The response body and its Content-Type."""
    text = render_xml(body) if negotiated.format is WireFormat.XML else render_json(body)
    return text, negotiated.content_type


def render_error(message: str, accept: str | None) -> tuple[str, str]:
    """Web API's HttpError, the body of every error: `<Error><Message>...</Message></Error>` (no namespace)
    to a client that negotiates XML, else `{"Message": ...}` (Web API's JSON fallback, which a 406 takes
    too). Returns the body and its Content-Type."""
    try:
        negotiated = negotiate(accept)
    except NotAcceptable:
        negotiated = JSON
    if negotiated.format is WireFormat.XML:
        return _element("Error", "", (_leaf("Message", message),)), negotiated.content_type
    return json.dumps({"Message": message}, ensure_ascii=False, separators=(",", ":")), "application/json"


def render_json(body: HealthbridgeBody) -> str:
    """Keys in declaration order (the samples' order), compact, non-ASCII kept as is (as Json.NET does)."""
    if isinstance(body, list):
        value: object = [item.model_dump(mode="json") for item in body]
    else:
        value = body.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_xml(body: HealthbridgeBody) -> str:
    if isinstance(body, list):
        return _element(
            "ArrayOfInvoiceSendingStatusVo",
            _root_namespaces(BILLING_NS),
            (_record("InvoiceSendingStatusVo", item) for item in body),
        )
    return _result(body)


def xml_time(value: datetime) -> str:
    """A date as DataContractSerializer writes a UTC DateTime: `2026-05-20T18:09:49.936175Z`."""
    whole, _, fraction = as_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds").partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}Z" if fraction else f"{whole}Z"


def _result(result: RestApiResult[list[InvoiceSendingStatusVo]] | RestApiResult[UUID]) -> str:
    data = result.Data
    if isinstance(data, UUID):
        root, data_xml = RESULT_OF_GUID, _leaf("Data", data)
    elif isinstance(data, list):
        # the items' namespace differs from the envelope's, so .NET declares a prefix for it on `Data`
        items = (_record("InvoiceSendingStatusVo", item, prefix="d2p1:") for item in data)
        root, data_xml = RESULT_OF_STATUS_LIST, _element("Data", f' xmlns:d2p1="{BILLING_NS}"', items)
    else:
        raise TypeError(f"no Healthbridge contract for RestApiResult data of type {type(data).__name__}")
    members = (  # ordinal order of the member names, as for every data contract
        data_xml,
        _element("Links", "", (_record("RestApiLink", link) for link in result.Links)),
        _leaf("ResponseCode", result.ResponseCode),
        _leaf("ResponseMessage", result.ResponseMessage),
        _leaf("Sucess", result.Sucess),
    )
    return _element(root, _root_namespaces(COMMON_NS), members)


def _root_namespaces(default_namespace: str) -> str:
    return f' xmlns:i="{XSI_NS}" xmlns="{default_namespace}"'


def _record(tag: str, model: BaseModel, prefix: str = "") -> str:
    """A flat data contract: its members in ordinal order of their names."""
    members = (_leaf(prefix + name, getattr(model, name)) for name in sorted(type(model).model_fields))
    return _element(prefix + tag, "", members)


def _element(tag: str, attributes: str, children: Iterable[str]) -> str:
    content = "".join(children)
    return f"<{tag}{attributes}>{content}</{tag}>" if content else f"<{tag}{attributes} />"


def _leaf(tag: str, value: object) -> str:
    if value is None:
        return f'<{tag} i:nil="true" />'
    return _element(tag, "", (_xml_text(value),))


def _xml_text(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, datetime):
        return xml_time(value)
    if isinstance(value, int | UUID):
        return str(value)
    if isinstance(value, str):
        return _escape(value)
    raise TypeError(f"no XML form for {type(value).__name__}")


#: anything outside XML 1.0's Char production (C0 controls but tab, CR and LF; lone surrogates; U+FFFE/F)
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(text: str) -> str:
    text = _NOT_XML_CHAR.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
