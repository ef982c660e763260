"""Input types the contracts share: dates only as the ISO 8601 text the documents show, numbers only as
JSON numbers.

Pydantic's lax mode reads `0`, `1700000000` or `"0"` as a date (seconds since 1970), and `true` as the
number 1; a client that sends those has made a mistake, and hears so (the contract's validation error)
instead of getting an invoice dated 1970. Stored values (DynamoDB's Decimal) still read as numbers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_text(value: Any) -> Any:
    """The value, if it is text starting with a yyyy-mm-dd date (or already a date); else a ValueError."""
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE.match(value.strip())):
        return value
    raise ValueError("Input should be an ISO 8601 date or date-time text")


IsoDate = Annotated[date, BeforeValidator(iso_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(iso_text)]


def number(value: Any) -> Any:
    """The value, unless it is `true`/`false` or text, which lax mode would read as a number."""
    if isinstance(value, bool | str):
        raise ValueError("Input should be a number")
    return value


#: a JSON number (an integer in cents, days, ...): lax mode would read `true` as 1 and `"12"` as 12
Number = BeforeValidator(number)
