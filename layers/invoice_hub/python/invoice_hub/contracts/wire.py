"""Types the contracts share: dates only as the ISO 8601 text the documents show, numbers only as JSON
numbers; and the JSON schemas that say what these types really take and answer, where pydantic's own
say less (an offset a date-time need not have, the decimal places and bounds of a decimal).

Pydantic's lax mode reads `0`, `1700000000` or `"0"` as a date (seconds since 1970), and `true` as the
number 1; a client that sends those has made a mistake, and hears so (the contract's validation error)
instead of getting an invoice dated 1970. Stored values (DynamoDB's Decimal) still read as numbers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema


class WireModel(BaseModel):
    """A contract's model: its validator and serializer are built on its first use, not when its module is
    imported. Each function uses a few of its contract's models (and the error bodies are there for the
    OpenAPI document), so a cold start builds only those (docs/performance.md, issue 15)."""

    model_config = ConfigDict(defer_build=True)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: what no e-mail address holds: an @ or a space, spelled out, as `\s` differs between the engines that read
#: the pattern (ECMA-262 for the OpenAPI document's readers, some of them ASCII-only; Python's and pydantic's
#: for the server): every character any of them calls a space, so the document and the server refuse the same
_NOT_AT_OR_SPACE = r"[^@\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
#: an e-mail address as far as a form can tell (one @, a dot in the domain, no spaces)
EMAIL_PATTERN = rf"^{_NOT_AT_OR_SPACE}+@{_NOT_AT_OR_SPACE}+\.{_NOT_AT_OR_SPACE}+$"


def iso_text(value: Any) -> Any:
    """The value, if it is text starting with a yyyy-mm-dd date (or already a date); else a ValueError."""
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE.match(value.strip())):
        return value
    raise ValueError("Input should be an ISO 8601 date or date-time text")


IsoDate = Annotated[date, BeforeValidator(iso_text)]


def number(value: Any) -> Any:
    """The value, unless it is `true`/`false` or text, which lax mode would read as a number."""
    if isinstance(value, bool | str):
        raise ValueError("Input should be a number")
    return value


#: a JSON number (an integer in cents, days, ...): lax mode would read `true` as 1 and `"12"` as 12
Number = BeforeValidator(number)

#: a text's schema where the text is stripped before its length is checked: it must hold a character that
#: stripping keeps (not Unicode's White_Space, which pydantic strips), or " " would be documented valid and
#: refused as too short
NOT_BLANK = Field(
    json_schema_extra={"pattern": r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"}
)


#: `2026-06-01T05:53:48.451968` (seed 003's own sample), `2026-06-01T05:53:48Z` or `...+02:00`: a
#: date-time with an offset, RFC 3339's `date-time`, or without one, the OpenAPI format registry's
#: `date-time-local`; one without an offset is kept and returned as sent
_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"  # months of 31 days
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"  # of 30
    r"|02-(?:0[1-9]|1\d|2[0-8]))"  # February
)
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
_OFFSET = r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
DATE_TIME_DESCRIPTION = (
    "An RFC 3339 date-time, yyyy-mm-ddThh:mm:ss[.ffffff] and its offset (Z or ±hh:mm), or the same "
    "without an offset (date-time-local), which is kept and returned as sent"
)


def date_time_schema(
    local_pattern: str, offset_pattern: str | None, mode: Literal["validation", "serialization"]
) -> WithJsonSchema:
    """A date-time's schema: `date-time` or `date-time-local`, each held to its pattern where one is given
    (the formats alone allow what the reader refuses: year 0, a leap second)."""
    with_offset: dict[str, Any] = {"type": "string", "format": "date-time"}
    if offset_pattern:
        with_offset["pattern"] = offset_pattern
    return WithJsonSchema(
        {
            "anyOf": [with_offset, {"type": "string", "format": "date-time-local", "pattern": local_pattern}],
            "description": DATE_TIME_DESCRIPTION,
        },
        mode=mode,
    )


#: what a date-time field takes: every value the patterns match is read (29 February aside, which is read
#: in leap years, as are a bare date, a space for the `T` and other ISO 8601 spellings)
DATE_TIME_IN = date_time_schema(
    rf"^[1-9]\d{{3}}-{_DAY}T{_TIME}$", rf"^[1-9]\d{{3}}-{_DAY}T{_TIME}{_OFFSET}$", "validation"
)
#: what a date-time field answers: pydantic's ISO 8601, with the offset it was given, if any
DATE_TIME_OUT = date_time_schema(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$", None, "serialization"
)
IsoDateTime = Annotated[datetime, BeforeValidator(iso_text), DATE_TIME_IN]
#: a date-time as the Invoice API answers it (pydantic's ISO 8601, the offset it was given, if any)
EchoedDateTime = Annotated[datetime, DATE_TIME_OUT]


def decimal_schema(number: dict[str, Any], text_pattern: str) -> WithJsonSchema:
    """A decimal's schema as what validation takes: a JSON number within its bounds and a multiple of its
    smallest unit (its decimal places), or the same number as text. Pydantic documents the bounds of the
    number only, without the places, and any text of digits, however large or negative."""
    return WithJsonSchema(
        {"anyOf": [{"type": "number", **number}, {"type": "string", "pattern": text_pattern}]},
        mode="validation",
    )


#: 0 to 999,999,999.99 in cents
MONEY_SCHEMA = decimal_schema(
    {"minimum": 0, "maximum": 999999999.99, "multipleOf": 0.01}, r"^\d{1,9}(?:\.\d{1,2})?$"
)
#: 0 to 100 in hundredths
PERCENT_SCHEMA = decimal_schema(
    {"minimum": 0, "maximum": 100, "multipleOf": 0.01}, r"^(?:100(?:\.00?)?|\d{1,2}(?:\.\d{1,2})?)$"
)
#: more than 0, up to 1,000,000, in thousandths
QUANTITY_SCHEMA = decimal_schema(
    {"exclusiveMinimum": 0, "maximum": 1000000, "multipleOf": 0.001},
    r"^(?:1000000(?:\.0{1,3})?|[1-9]\d{0,5}(?:\.\d{1,3})?|0\.\d{0,2}[1-9])$",
)
