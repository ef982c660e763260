"""The fake external systems: each outage mode's answer, idempotent repeats, the record of sends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from invoice_hub_local.fake_external import FakeExternal


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeExternal]:
    with FakeExternal(port=0) as running:
        yield running


@pytest.fixture
def http(fake: FakeExternal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        assert client.post("/_reset").status_code == 200
        yield client


def control(http: httpx.Client, **settings: object) -> None:
    response = http.post("/_control", json=settings)
    assert response.status_code == 200, response.text


def test_ok_accepts_a_send_with_an_external_reference(http: httpx.Client) -> None:
    response = http.post("/payers/PAYER-1/invoices", json={"invoice": "INV-1"})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "accepted"
    assert body["id"].startswith("ext_")


@pytest.mark.parametrize(
    ("mode", "status"), [("fail", 503), ("reject", 400), ("throttle", 429), ("timeout", 504)]
)
def test_each_outage_mode_answers_its_status(http: httpx.Client, mode: str, status: int) -> None:
    control(http, mode=mode, timeout_seconds=0)

    response = http.post("/sms", json={"to": "+15550100"})

    assert response.status_code == status
    assert "error" in response.json()
    if mode == "throttle":
        assert response.headers["Retry-After"] == "1"


def test_timeout_mode_holds_the_request_so_a_shorter_client_timeout_gives_up(
    fake: FakeExternal, http: httpx.Client
) -> None:
    control(http, mode="timeout", timeout_seconds=5)

    with httpx.Client(base_url=fake.url, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post("/email", json={})


def test_a_repeated_idempotency_key_answers_the_same_and_is_one_delivery(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "delivery-123"}
    first = http.post("/charge", json={"amount": "10.00"}, headers=headers)
    again = http.post("/charge", json={"amount": "10.00"}, headers=headers)
    elsewhere = http.post("/sms", json={}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert elsewhere.json()["id"] != first.json()["id"]  # a key belongs to one provider (path)
    received = http.get("/_received").json()
    assert [s["duplicate"] for s in received["received"]] == [False, True, False]
    assert [s["delivered"] for s in received["received"]] == [True, False, True]
    assert (received["sends"], received["delivered"], received["duplicates"]) == (3, 2, 1)


def test_a_send_that_met_an_outage_is_not_remembered_so_its_retry_delivers(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "delivery-456"}
    control(http, mode="fail")
    assert http.post("/mail", json={}, headers=headers).status_code == 503

    control(http, mode="ok")
    retried = http.post("/mail", json={}, headers=headers)

    assert retried.status_code == 201
    sends = http.get("/_received").json()["received"]
    assert [(s["mode"], s["status"], s["delivered"], s["duplicate"]) for s in sends] == [
        ("fail", 503, False, False),
        ("ok", 201, True, False),
    ]


def test_received_lists_every_send_with_its_details(http: httpx.Client) -> None:
    http.post("/payers/P-9/invoices", json={"InvoiceId": "E-1"}, headers={"Idempotency-Key": "k-1"})

    [send] = http.get("/_received").json()["received"]

    assert send["path"] == "/payers/P-9/invoices"
    assert send["idempotency_key"] == "k-1"
    assert send["mode"] == "ok"
    assert send["status"] == 201
    assert send["duplicate"] is False
    assert send["external_id"].startswith("ext_")
    assert send["body"] == {"InvoiceId": "E-1"}
    assert send["at"]


def test_reset_forgets_sends_and_ends_the_outage(http: httpx.Client) -> None:
    control(http, mode="fail", delay_ms=5)
    http.post("/sms", json={})

    assert http.post("/_reset").status_code == 200

    assert http.get("/_received").json()["received"] == []
    assert http.get("/_control").json() == {"mode": "ok", "delay_ms": 0, "timeout_seconds": 10.0}


def test_control_reports_the_current_settings(http: httpx.Client) -> None:
    control(http, mode="throttle", delay_ms=20, timeout_seconds=3)

    assert http.get("/_control").json() == {"mode": "throttle", "delay_ms": 20, "timeout_seconds": 3.0}


def test_delay_ms_delays_every_answer(http: httpx.Client) -> None:
    control(http, mode="ok", delay_ms=150)

    started = time.monotonic()
    response = http.post("/email", json={})
    elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert elapsed >= 0.15


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "sometimes"},
        {},
        {"mode": "ok", "delay_ms": -1},
        {"mode": "ok", "delay_ms": "100"},
        {"mode": "ok", "delay_ms": True},
        {"mode": "ok", "timeout_seconds": "soon"},
        {"mode": "ok", "colour": "blue"},
        ["ok"],
    ],
)
def test_invalid_control_is_a_400_and_changes_nothing(http: httpx.Client, body: object) -> None:
    response = http.post("/_control", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_control"
    assert http.get("/_control").json()["mode"] == "ok"


def test_control_that_is_not_json_is_a_400(http: httpx.Client) -> None:
    response = http.post("/_control", content=b"mode=fail", headers={"Content-Type": "text/plain"})

    assert response.status_code == 400


def test_a_send_whose_body_is_not_json_is_refused(http: httpx.Client) -> None:
    response = http.post("/sms", content=b"{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert http.get("/_received").json()["received"][0]["delivered"] is False


def test_only_posts_are_sends(http: httpx.Client) -> None:
    assert http.get("/sms").status_code == 405
    assert http.get("/_reset").status_code == 405
