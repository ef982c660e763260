"""No patient data in logs: unique canary values (names, date of birth, phone, e-mail, address, card,
item descriptions, the free patient id and message of Decoda, a password) go through every endpoint that
takes them and through the Sender on every channel (an e-mail with the PDF, a text, a call, a letter, a
card charge; a rejected send, a re-drive), and never show in the functions' log lines (captured at
DEBUG), in SQS messages, or echoed back in an error body that rejected something else. The log lines
carry correlation ids instead."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from invoice_hub.logic.patient_bills import patient_uuid
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.polling import wait_for
from tests.report import tried
from tests.security.conftest import FunctionLogs, SqsMessages

pytestmark = pytest.mark.e2e
SUITE = "no patient data in logs"


def canaries() -> dict[str, str]:
    """Values no code, library or log format could produce by chance."""
    tag = uuid.uuid4().hex[:10]
    rng = random.Random(tag)
    return {
        "first_name": f"Ysolde{tag}",
        "last_name": f"Quarrington{tag}",
        "date_of_birth": f"19{rng.randint(10, 49)}-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}",
        "phone": f"+1-555-{rng.randint(100000, 999999)}1",  # never ending in 99: not opted out
        "card": f"pm_canary{tag}",
        "email": f"ysolde.{tag}@patient.example",
        "address": f"{rng.randint(100, 999)} Canary Lane {tag}",
        "city": f"Larkhaven{tag}",
        "description": f"Left knee arthroscopy {tag}",
        "code": f"K{tag}",
        "tag": f"oncology-{tag}",
        "external_id": f"EXT-{tag}",
        "patient_id": f"pat-{tag}",
        "message": f"Dear Ysolde{tag} ({{first_name}}), your invoice is ready: {{url}}",
        "rule_name": f"Reminder for Ysolde{tag}",
        "password": f"Pw-{tag}-Secret!",
    }


def leaks(text: str, values: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value in text}


def decoda_body(values: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patientId": values["patient_id"],
        "message": values["message"],
        "invoiceMethod": "SMS",
        "rule": {"name": values["rule_name"], "message": values["message"]},
        "charges": [
            {
                "patientId": values["patient_id"],
                "description": values["description"],
                "externalId": values["external_id"],
                "totalOutstanding": 4200,
                "patient": {
                    "firstName": values["first_name"],
                    "lastName": values["last_name"],
                    "dateOfBirth": values["date_of_birth"],
                    "phoneNumber": values["phone"],
                    "email": values["email"],
                    "address": values["address"],
                    "city": values["city"],
                },
            }
        ],
    }
    body.update(overrides)
    return body


def submission(values: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "InvoiceId": values["external_id"],
        "Lines": [{"Description": values["description"], "Code": values["code"], "UnitPrice": 90}],
        "Payors": [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}],
    }
    body.update(overrides)
    return body


def test_canaries_through_every_endpoint_and_the_sender_never_reach_the_logs(
    stack: LocalStack,
    http: httpx.Client,
    admin: Practice,
    function_logs: FunctionLogs,
    sqs_messages: SqsMessages,
    outage: Callable[[str], None],
) -> None:
    values = canaries()
    answers: list[httpx.Response] = []
    echoes: list[tuple[str, httpx.Response]] = []  # rejected for another field: must not echo the canaries

    def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = http.request(method, url, **kwargs)
        assert response.status_code < 500, (method, url, response.status_code, response.text)
        answers.append(response)
        return response

    bearer, decoda, ebh = admin.headers, admin.decoda_headers, admin.ebh_headers
    items = [{"description": values["description"], "code": values["code"], "unit_price": 120}]
    invoice = invoice_body(
        status="ISSUED", items=items, tags=[values["tag"]], external_id=values["external_id"]
    )

    # Invoice API: create (and its replay), read, list with a search, update, and bad requests
    created = call("POST", "/invoice/", json=invoice, headers={**bearer, "Idempotency-Key": values["tag"]})
    assert created.status_code == 201, created.text
    invoice_id = created.json()["id"]
    call("POST", "/invoice/", json=invoice, headers={**bearer, "Idempotency-Key": values["tag"]})
    call("GET", f"/invoice/{invoice_id}", headers=bearer)
    listed = call("GET", "/invoice/", params={"search": values["description"]}, headers=bearer)
    assert listed.json()["total"] == 1
    call("GET", "/invoice/", params={"tags": values["tag"], "status": "ISSUED"}, headers=bearer)
    updated = call(
        "PUT",
        f"/invoice/{invoice_id}",
        json={**invoice, "items": created.json()["items"], "paid_amount": 20},
        headers={**bearer, "If-Match": '"1"'},
    )
    assert updated.status_code == 200, updated.text
    draft = call("POST", "/invoice/", json=invoice_body(items=items, tags=[values["tag"]]), headers=bearer)
    stale = call("PUT", f"/invoice/{draft.json()['id']}", json=invoice, headers={**bearer, "If-Match": '"9"'})
    assert stale.status_code == 412
    echoes.append(("stale If-Match", stale))
    bad = invoice_body(items=[*items, {"description": "x", "unit_price": -1}], tags=[values["tag"]])
    echoes.append(("Invoice API 422", call("POST", "/invoice/", json=bad, headers=bearer)))
    call(
        "POST",
        "/invoice/",
        json=invoice_body(items=[{"description": values["description"] * 40}]),
        headers=bearer,
    )
    call("DELETE", f"/invoice/{draft.json()['id']}", headers=bearer)

    # a patient's contact: kept, merged, read, a bad one rejected for another field, erased
    patient = str(uuid.uuid4())
    values["phone_e164"] = values["phone"].replace("-", "")  # as it is kept (Decoda's is normalised to it)
    contact = {
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "email": values["email"],
        "phone": values["phone_e164"],
        "address": {"line1": values["address"], "city": values["city"]},
        "card": values["card"],
        "date_of_birth": values["date_of_birth"],
    }
    assert call("PUT", f"/patient/{patient}/contact", json=contact, headers=bearer).status_code == 200
    call("PUT", f"/patient/{patient}/contact", json={"email": values["email"]}, headers=bearer)
    call("GET", f"/patient/{patient}/contact", headers=bearer)
    bad_contact = {**contact, "email": "not-an-address"}
    echoes.append(
        ("contact 422", call("PUT", f"/patient/{patient}/contact", json=bad_contact, headers=bearer))
    )
    assert call("DELETE", f"/patient/{patient}/contact", headers=bearer).status_code == 204

    # Decoda: create (its nested patient record), details, and a bad request
    manual = call("POST", "/billing/invoice/create", json=decoda_body(values), headers=decoda)
    assert manual.status_code == 200, manual.text
    manual_id = manual.json()["id"]
    call("GET", f"/billing/invoice/{manual_id}", headers=decoda)
    wrong_method = decoda_body(values, invoiceMethod="PIGEON")
    echoes.append(("Decoda 422", call("POST", "/billing/invoice/create", json=wrong_method, headers=decoda)))

    # eBillingHub: a submission, its history, and a bad one (Username is who submitted, kept on purpose)
    submitted = call(
        "POST", "/ebh/submissions/v1", json=submission(values), headers={**ebh, "Username": "clerk"}
    )
    assert submitted.status_code == 201, submitted.text
    call("GET", "/ebh/statuses/v1/history", params={"InvoiceId": values["external_id"]}, headers=ebh)
    no_payors = submission(values, Payors=[])
    echoes.append(("eBillingHub 400", call("POST", "/ebh/submissions/v2", json=no_payors, headers=ebh)))

    # the token endpoint with a wrong password, and one of the practice's own lists
    token = call("POST", "/auth/token", data={"username": admin.email, "password": values["password"]})
    assert token.status_code == 400
    echoes.append(("wrong password", token))

    # the Sender on every channel: the text above, an e-mail (with the PDF), a letter, a card charge (the
    # card given through the Invoice API for Decoda's patient), then a rejected call, its failure and a
    # re-drive from the API
    decoda_patient = str(patient_uuid(admin.tenant.id, values["patient_id"]))
    call("PUT", f"/patient/{decoda_patient}/contact", json={"card": "pm_card_visa"}, headers=bearer)
    sends = [manual_id]
    for method in ("EMAIL", "MAIL", "CHARGE_CARD"):
        made = call(
            "POST", "/billing/invoice/create", json=decoda_body(values, invoiceMethod=method), headers=decoda
        )
        assert made.status_code == 200, made.text
        sends.append(made.json()["id"])
    for send in sends:
        wait_for(
            lambda send=send: http.get(f"/billing/invoice/{send}", headers=decoda).json()["status"] == "SENT",
            what="the patient sends",
        )
    outage("reject")
    rejected_body = decoda_body(values, invoiceMethod="CALL")
    rejected = call("POST", "/billing/invoice/create", json=rejected_body, headers=decoda).json()["id"]
    wait_for(
        lambda: http.get(f"/billing/invoice/{rejected}", headers=decoda).json()["status"] == "FAILED",
        what="the rejected send",
    )
    failed = call("GET", "/api/v1/billing/invoices/failed", headers=bearer).json()
    assert ("CALL", "rejected: 400 BAD REQUEST") in {(row["SendingType"], row["Reason"]) for row in failed}
    outage("ok")
    assert call("POST", "/api/v1/billing/invoices/retryallfailed", headers=bearer).json()["Sucess"] is True
    wait_for(
        lambda: http.get(f"/billing/invoice/{rejected}", headers=decoda).json()["status"] == "SENT",
        what="the re-driven send",
    )
    call("GET", "/api/v1/billing/invoices/aborted", headers=bearer)

    # what the patient received does carry the message and the contact (it is the send's purpose)
    carried = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    said = json.dumps([m for m in carried if m["delivery_id"] == rejected], ensure_ascii=False)
    filled = values["message"].replace("{first_name}", values["first_name"]).split("{url}")[0]
    assert filled in said
    assert {values["email"], values["phone_e164"]} <= {m["to"] for m in carried}

    logs = function_logs.text()
    assert leaks(logs, values) == {}, "patient data in the functions' logs"
    for why, response in echoes:
        assert response.status_code in (400, 412, 422), (why, response.status_code)
        assert leaks(response.text, values) == {}, f"{why} echoed request data it did not reject"
    assert sqs_messages.sent, "the sends above went through SendQueue"
    for message in sqs_messages.sent:
        assert set(json.loads(message["body"])) == {"tenant_id", "delivery_id"}
        assert not message["attributes"]
        assert leaks(json.dumps(message), values) == {}

    # every API request left one line, under a correlation id of its own
    request_lines = [line for line in function_logs.service_lines() if line.get("message") == "request"]
    assert len(request_lines) >= len(answers)
    assert all(line.get("correlation_id") for line in request_lines)
    correlation_ids = [line["correlation_id"] for line in request_lines]
    assert len(set(correlation_ids)) == len(correlation_ids)
    operation_ids = {r.headers["OperationId"] for r in answers if "OperationId" in r.headers}
    assert len(operation_ids) == 3
    assert operation_ids <= set(correlation_ids)  # eBillingHub's OperationId is the correlation id
    send_lines = [line for line in function_logs.service_lines() if line.get("message") == "send outcome"]
    assert {line["outcome"] for line in send_lines} >= {"sent", "rejected"}
    assert all(line.get("delivery_id") for line in send_lines)

    operations = {(line["http_method"], line["resource"]) for line in request_lines}
    tried(
        SUITE,
        f"{len(values)} canary values through {len(answers)} requests ({len(operations)} operations)"
        f" and {len(send_lines)} sends (sent,"
        f" rejected, re-driven): 0 in {len(function_logs.lines)} log lines at DEBUG, 0 in"
        f" {len(sqs_messages.sent)} SQS messages, 0 echoed in {len(echoes)} error bodies;"
        f" {len(request_lines)} request lines, each with its own correlation id",
    )


def test_an_unexpected_error_is_logged_without_its_message(function_logs: FunctionLogs) -> None:
    """A failure's message may quote the input (pydantic prints the rejected value): the traceback and
    the error's type are logged, the message is not."""
    from invoice_hub.observability import logger

    values = canaries()
    try:
        raise ValueError(f"bad item {values['description']} for {values['first_name']}")
    except ValueError as error:
        failure = error
    worker = threading.Thread(target=lambda: logger.exception("unexpected failure", exc_info=failure))
    worker.start()  # in a thread of its own, as a function runs locally
    worker.join()
    lines = [line for line in function_logs.service_lines() if line.get("message") == "unexpected failure"]
    assert len(lines) == 1
    assert lines[0]["exception_name"] == "ValueError"
    assert "test_an_unexpected_error_is_logged_without_its_message" in lines[0]["exception"]
    assert leaks(function_logs.text(), values) == {}


def test_a_chain_of_exceptions_is_logged_with_every_type_and_no_message() -> None:
    from invoice_hub.observability import withheld_traceback

    values = canaries()
    try:
        try:
            raise KeyError(values["first_name"])
        except KeyError as inner:
            raise ValueError(values["email"]) from inner
    except ValueError as outer:
        text = withheld_traceback((type(outer), outer, outer.__traceback__))
    assert text.index("builtins.KeyError: (message withheld)") < text.index(
        "builtins.ValueError: (message withheld)"
    )
    assert text.count("Traceback (most recent call last):") == 2
    assert leaks(text, values) == {}


def test_library_debug_output_stays_off_at_debug_level() -> None:
    """With the application log level at DEBUG (Lambda's advanced logging controls set the root
    logger), the SDK would print every request's parameters — the DynamoDB items, patient data. The
    layer holds the libraries at WARNING: a fresh process with the root at DEBUG shows it."""
    values = canaries()
    script = f"""
import logging
logging.basicConfig(level=logging.DEBUG)
import invoice_hub.observability
import boto3
from botocore.config import Config
client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
    aws_access_key_id="x", aws_secret_access_key="x",
    config=Config(retries={{"total_max_attempts": 1}}, connect_timeout=1))
try:
    client.put_item(TableName="t", Item={{"name": {{"S": "{values["first_name"]}"}}}})
except Exception as error:
    logging.getLogger("app").debug("the call failed as expected: %s", type(error).__name__)
"""
    env = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    done = subprocess.run(  # noqa: S603 - this interpreter, this test's script
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert "the call failed as expected" in done.stderr  # the root logger did log at DEBUG
    assert values["first_name"] not in done.stderr + done.stdout
    unguarded = script.replace("import invoice_hub.observability\n", "")
    control = subprocess.run(  # noqa: S603 - this interpreter, this test's script
        [sys.executable, "-c", unguarded], capture_output=True, text=True, env=env, timeout=60
    )
    assert values["first_name"] in control.stderr  # without the layer's guard, the SDK prints it
    tried(
        SUITE,
        "root logger at DEBUG: a DynamoDB item's value printed 0 times with the layer imported, "
        f"{control.stderr.count(values['first_name'])} times without it",
    )
