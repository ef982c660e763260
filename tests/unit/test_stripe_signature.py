"""Stripe's webhook signature, checked without the SDK (decision 027), gives the SDK's verdict: for any
header, body, secret and age, both accept (and read the same event) or both refuse."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from hypothesis import example, given, settings
from hypothesis import strategies as st

from invoice_hub.connectors.stripe_events import TOLERANCE_SECONDS, Unauthentic, verified

SECRET = "whsec_test_secret"  # a test value, no account
EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "payment_intent.succeeded",
    "data": {"object": {"amount": 5}},
}


def sdk(payload: str, header: str, secret: str) -> dict[str, Any] | None:
    """The SDK's verdict: the event it constructs, or None where it refuses (with any error)."""
    try:
        found: dict[str, Any] = stripe.Webhook.construct_event(payload, header, secret).to_dict()
    except Exception:  # noqa: BLE001 - any refusal of the SDK's is a refusal
        return None
    return found


def ours(payload: str, header: str, secret: str) -> dict[str, Any] | None:
    try:
        return verified(payload, header, secret)
    except Unauthentic:
        return None


def signed(payload: str, secret: str, age: int) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, int(time.time()) - age)


#: ages well inside or well outside the tolerance: the two checks read the clock a moment apart
AGES = st.one_of(st.integers(-(10**6), TOLERANCE_SECONDS - 5), st.integers(TOLERANCE_SECONDS + 5, 10**9))
BODIES = st.one_of(
    st.just(json.dumps(EVENT)),
    st.dictionaries(st.sampled_from(["id", "object", "type", "data"]), st.text(max_size=8)).map(json.dumps),
    st.sampled_from(['{"object": "v2.core.event", "id": "evt_2"}', "[1, 2]", '"text"', "null", "{", ""]),
    st.text(max_size=40),
)
ELEMENT = st.one_of(
    st.builds(
        lambda k, v: f"{k}={v}", st.sampled_from(["t", "v1", "v0", "x", " t", "v1 "]), st.text(max_size=12)
    ),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(body=BODIES, age=AGES, secret=st.sampled_from([SECRET, "whsec_other", " ", "é"]))
@example(body=json.dumps(EVENT), age=0, secret=SECRET)
@example(body=json.dumps(EVENT), age=TOLERANCE_SECONDS + 60, secret=SECRET)
def test_a_signed_body_gets_the_sdk_s_verdict(body: str, age: int, secret: str) -> None:
    header = signed(body, SECRET, age)
    assert ours(body, header, secret) == sdk(body, header, secret)


@settings(max_examples=300, deadline=None)
@given(elements=st.lists(ELEMENT, max_size=5), keep_valid=st.booleans(), age=AGES)
def test_any_header_gets_the_sdk_s_verdict(elements: list[str], keep_valid: bool, age: int) -> None:
    body = json.dumps(EVENT)
    valid = signed(body, SECRET, age).split(",")
    header = ",".join([*(valid if keep_valid else []), *elements])
    assert ours(body, header, SECRET) == sdk(body, header, SECRET)


def test_a_rolled_secret_s_second_signature_verifies_and_the_event_is_read_whole() -> None:
    body = json.dumps(EVENT)
    now = int(time.time())
    other = stripe.WebhookSignature.generate_signature_header(body, "whsec_old", now).split(",")[1]
    header = f"t={now},{other},v0=abc," + signed(body, SECRET, 0).split(",")[1]
    assert verified(body, header, SECRET) == EVENT == sdk(body, header, SECRET)


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("", "no Stripe-Signature"),
        ("v1=" + "0" * 64, "no timestamp"),
        ("t=abc,v1=" + "0" * 64, "no timestamp"),
        ("t={now},v1=" + "0" * 64, "does not verify"),
        ("t={now},v0=whatever", "does not verify"),
    ],
)
def test_each_refusal_says_why(header: str, why: str) -> None:
    # the time is put in here, not in the parameters: every xdist worker must collect the same test ids
    with pytest.raises(Unauthentic, match=why):
        verified(json.dumps(EVENT), header.replace("{now}", str(int(time.time()))), SECRET)


def test_an_old_signature_is_refused_as_old() -> None:
    body = json.dumps(EVENT)
    with pytest.raises(Unauthentic, match="older than five minutes"):
        verified(body, signed(body, SECRET, TOLERANCE_SECONDS + 1), SECRET)
    now = time.time() + TOLERANCE_SECONDS + 1  # the same signature, read later
    header = signed(body, SECRET, 0)
    with pytest.raises(Unauthentic, match="older than five minutes"):
        verified(body, header, SECRET, now=now)
