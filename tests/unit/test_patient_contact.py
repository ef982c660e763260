"""A patient's contact: phone numbers in E.164, what each channel needs, an address on one line."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoice_hub.domain.delivery import Method
from invoice_hub.domain.patient import PatientContact, PostalAddress, e164, missing_for

E164 = re.compile(r"\+[1-9]\d{7,14}")


@pytest.mark.parametrize(
    ("given_as", "kept"),
    [
        ("(555) 010-0300", "+15550100300"),
        ("555.010.0300", "+15550100300"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+1-555-0100300", "+15550100300"),
    ],
)
def test_a_phone_number_is_kept_in_e164(given_as: str, kept: str) -> None:
    assert e164(given_as) == kept


@pytest.mark.parametrize(
    "text", ["", "12", "+", "+0123456789", "call me", "+1234567890123456", "555-CALL-NOW"]
)
def test_what_is_not_a_phone_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        e164(text)


@given(st.text(alphabet="0123456789 +-().", max_size=24))
def test_any_number_kept_is_e164(text: str) -> None:
    try:
        kept = e164(text)
    except ValueError:
        return
    assert E164.fullmatch(kept)
    assert [c for c in kept if c.isdigit()][-8:] == [c for c in text if c.isdigit()][-8:]


def contact(**fields: object) -> PatientContact:
    return PatientContact(
        tenant_id=uuid.uuid4(), patient_id=uuid.uuid4(), updated_at=datetime.now(UTC), **fields
    )


def test_each_channel_says_what_it_lacks_without_patient_data() -> None:
    empty = contact(first_name="Ann")
    assert missing_for(empty, Method.EMAIL) == "no e-mail address for the patient (EMAIL)"
    assert missing_for(empty, Method.SMS) == "no phone number for the patient (SMS)"
    assert missing_for(empty, Method.CALL) == "no phone number for the patient (CALL)"
    assert missing_for(empty, Method.MAIL) == "no postal address for the patient (MAIL)"
    assert missing_for(empty, Method.CHARGE_CARD) == "no card on file for the patient (CHARGE_CARD)"
    assert missing_for(None, Method.EMAIL) == "no e-mail address for the patient (EMAIL)"
    assert missing_for(empty, Method.EBILL) is None  # a payer hub needs no patient contact
    full = contact(
        email="ann@example.org",
        phone="+15550100300",
        address=PostalAddress(line1="1 Main St"),
        card="pm_123",
    )
    assert all(full.missing_for(m) is None for m in Method)


def test_an_address_reads_on_one_line() -> None:
    address = PostalAddress(
        line1="1 Main St", line2="Apt 2", city="Springfield", state="IL", zip_code="62701", country="US"
    )
    assert address.one_line() == "1 Main St, Apt 2, Springfield, IL 62701, US"
    assert PostalAddress(line1="1 Main St", zip_code="62701").one_line() == "1 Main St, 62701"
