"""The e-mail pattern means the same to the OpenAPI document's readers (ECMA-262 regular expressions, as
schemathesis and a client's validator read them) as to the server (Python's and pydantic's): an address
with any character either calls a space is refused by both, so no address the document allows is refused."""

from __future__ import annotations

import re
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from invoice_hub.contracts.invoice_api.patients import Email
from invoice_hub.contracts.wire import EMAIL_PATTERN

#: ECMA-262's WhiteSpace and LineTerminator (what `\s` matches in the document's pattern)
ECMA_SPACES = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    map(chr, range(0x2000, 0x200B))
)
PYTHON_SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


@pytest.mark.parametrize(
    "space", sorted(set(ECMA_SPACES) | set(PYTHON_SPACES)), ids=lambda c: f"U+{ord(c):04X}"
)
@pytest.mark.parametrize("where", ["local", "domain", "top"])
def test_a_space_of_either_engine_anywhere_in_an_address_is_refused(space: str, where: str) -> None:
    address = {
        "local": f"a{space}b@example.com",
        "domain": f"ab@exa{space}mple.com",
        "top": f"ab@example.c{space}om",
    }
    assert re.fullmatch(EMAIL_PATTERN, address[where]) is None
    assert re.fullmatch(EMAIL_PATTERN, address[where], re.ASCII) is None  # as schemathesis reads the document
    with pytest.raises(ValidationError):
        TypeAdapter(Email).validate_python(address[where])


@pytest.mark.parametrize(
    "address", ["a@b.co", "first.last+tag@clinic.example.org", "ä@ö.ü", "x\u0016y@\u00d0.z"]
)
def test_an_address_without_spaces_is_taken(address: str) -> None:
    assert TypeAdapter(Email).validate_python(address) == address
