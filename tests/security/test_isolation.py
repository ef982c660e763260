"""Tenant isolation and authentication, over real HTTP, for every operation of the OpenAPI document.

- Another practice's ids answer exactly what a made-up id answers (404, or eBillingHub's empty
  history) on every operation that takes an id — the operations are read from the document, so a new
  one fails the coverage test until it has a case here — and the other practice's data is unchanged.
- Every list answers only the caller's practice: a property test creates invoices, Decoda invoices and
  eBillingHub submissions for three practices that share patient ids, tags, external invoice numbers
  and registration numbers, and compares each list with what each practice made.
- The admin-only operations (Healthbridge's, from the document) answer 403 to a non-admin.
- Every way credentials can be wrong answers each contract's status and body on every operation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invoice_hub.contracts
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.integration.test_bearer_tokens import claims, id_token_claims, moto_key, signed
from tests.polling import wait_for
from tests.receivers import receiving
from tests.report import tried

pytestmark = pytest.mark.e2e
SUITE = "isolation"
DOCUMENT: dict[str, Any] = json.loads(
    (Path(invoice_hub.contracts.__file__).parent / "openapi.json").read_text()
)
#: path parameters that name no resource of a practice
NOT_IDS = frozenset({"version", "sentDate"})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    tags: tuple[str, ...]
    schemes: frozenset[str]
    path_parameters: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, practice: Practice, **values: str) -> str:
        filled = self.path
        defaults = {
            "version": "v1",
            "sentDate": datetime.now(UTC).date().isoformat(),
            "practiceid": str(practice.tenant.id),
        }
        for name in self.path_parameters:
            filled = filled.replace(
                f"{{{name}}}", values.get(name) or defaults.get(name) or str(uuid.uuid4())
            )
        return filled


def operations() -> list[Operation]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            schemes = frozenset(name for requirement in operation.get("security", []) for name in requirement)
            parameters = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "path")
            found.append(
                Operation(method.upper(), path, tuple(operation.get("tags", [])), schemes, parameters)
            )
    return found


OPERATIONS = operations()
BEARER = [op for op in OPERATIONS if "OAuth2PasswordBearer" in op.schemes]
DECODA = [op for op in OPERATIONS if "DecodaApiKey" in op.schemes]
EBH = [op for op in OPERATIONS if "EbhProviderKey" in op.schemes]
ADMIN_ONLY = [op for op in BEARER if "Healthbridge" in op.tags]


# ---------------------------------------------------------------- another practice's ids


@dataclass
class Holdings:
    """What practice B made, by kind of id."""

    draft_invoice: str
    issued_invoice: str
    decoda_invoice: str
    submission: str
    external_invoice: str
    patient: str  # a patient with a contact kept
    webhook: str  # a Decoda webhook
    webhook_event: str  # an event made for it
    rule_set: str  # a Decoda rule set
    rule: str  # one of its rules


def holdings_of(http: httpx.Client, practice: Practice, receiver_base: str) -> Holdings:
    draft = http.post("/invoice/", json=invoice_body(), headers=practice.headers).json()["id"]
    issued = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers).json()["id"]
    manual = {
        "patientId": "pat_b",
        "message": "Your invoice",
        "invoiceMethod": "SMS",
        "rule": {"delayInDays": 3},
        "charges": [{"description": "Visit", "totalOutstanding": 5000}],
    }
    decoda = http.post("/billing/invoice/create", json=manual, headers=practice.decoda_headers).json()["id"]
    external = f"B-{uuid.uuid4().hex[:8]}"
    submission = {
        "InvoiceId": external,
        "Lines": [{"Description": "Visit", "UnitPrice": 50}],
        "Payors": [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}],
    }
    submitted = http.post("/ebh/submissions/v1", json=submission, headers=practice.ebh_headers)
    assert submitted.status_code == 201, submitted.text

    def settled() -> bool:  # the payer sends are done, so what B sees can only change by someone's doing
        history = http.get(
            "/ebh/statuses/v1/history", params={"InvoiceId": external}, headers=practice.ebh_headers
        )
        sent = http.get(f"/api/v1/billing/invoices/sent/sentDate/{today()}", headers=practice.headers)
        return history.json()["InvoiceStatuses"][0]["StatusHistory"][-1][
            "Status"
        ] == "ebilled" and issued in {row["InvoiceId"] for row in sent.json()}

    wait_for(settled, what="the other practice's sends to settle")
    patient = str(uuid.uuid4())
    kept = http.put(f"/patient/{patient}/contact", json=B_CONTACT, headers=practice.headers)
    assert kept.status_code == 200, kept.text
    hook = {"url": f"{receiver_base}/practice-b-hook", "subscriptions": ["CHARGE_CREATED"]}
    webhook = http.post("/v1/webhook/create", json=hook, headers=practice.decoda_headers).json()["id"]
    charged = http.post("/billing/invoice/create", json=manual, headers=practice.decoda_headers)
    assert charged.status_code == 200, charged.text

    def delivered_event() -> str | None:
        events = http.get(
            f"/v1/webhook/{webhook}/delivery-attempts/list",
            params={"is_delivered": "true"},
            headers=practice.decoda_headers,
        ).json()
        return str(events[0]["id"]) if events else None

    event = wait_for(delivered_event, what="the other practice's webhook event to be delivered")
    rules = {"name": "B's", "rules": [{"name": "b", "delayInDays": 2, "methods": ["EMAIL"]}]}
    rule_set = http.post("/billing/rule-set/create", json=rules, headers=practice.decoda_headers).json()
    return Holdings(
        draft,
        issued,
        decoda,
        submitted.json()["SubmissionId"],
        external,
        patient,
        webhook,
        event,
        rule_set["id"],
        rule_set["rules"][0]["id"],
    )


#: the contact practice B keeps for its patient
B_CONTACT = {"first_name": "Bea", "email": "bea@example.org", "phone": "+15550100200"}


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def snapshot(http: httpx.Client, practice: Practice, held: Holdings) -> list[Any]:
    """Everything B can see of what it holds (volatile send times aside; a document's presigned URL by its
    object, not its signature, which is new each time)."""

    def body(response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()

    def unsigned(details: dict[str, Any]) -> dict[str, Any]:
        return {**details, "pdfPath": (details.get("pdfPath") or "").partition("?")[0]}

    return [
        body(http.get(f"/invoice/{held.draft_invoice}", headers=practice.headers)),
        body(http.get(f"/invoice/{held.issued_invoice}", headers=practice.headers)),
        unsigned(body(http.get(f"/billing/invoice/{held.decoda_invoice}", headers=practice.decoda_headers))),
        [
            {k: v for k, v in entry.items() if k != "StatusHistory"} | {"n": len(entry["StatusHistory"])}
            for entry in body(
                http.get(
                    "/ebh/statuses/v1/history",
                    params={"SubmissionId": held.submission},
                    headers=practice.ebh_headers,
                )
            )["InvoiceStatuses"]
        ],
        [
            unsigned(row)
            for row in body(http.get("/api/v1/billing/invoices/aborted", headers=practice.headers))
        ],
        body(http.get(f"/patient/{held.patient}/contact", headers=practice.headers)),
        body(http.get(f"/v1/webhook/get/{held.webhook}", headers=practice.decoda_headers)),
        body(http.get(f"/v1/webhook/events/{held.webhook_event}", headers=practice.decoda_headers)),
        body(http.get("/billing/rule-set/list", headers=practice.decoda_headers)),
    ]


Request = tuple[str, str, dict[str, Any]]  # method, url, httpx keyword arguments
EBH_STATUSES = ("/ebh/statuses/{version}", "/statuses/api/{version}")
PAID = {"Status": "paid", "Comment": "another practice says so"}
#: what eBillingHub answers 200 with for ids it does not know: nothing found
NOTHING_FOUND = (
    {"InvoiceStatuses": []},
    {"InvoiceList": {"ListOfInvoices": []}},
    {"InvoiceList": {"ListOfInvoices": []}, "Page": 1, "PageSize": 100, "TotalCount": 0},
)
#: per operation: the requests of practice A that name practice B's ids
CROSS_TENANT: dict[str, Callable[[Operation, Practice, Practice, Holdings], list[Request]]] = {
    "GET /invoice/{id}": lambda op, a, b, h: [("GET", op.url(a, id=h.draft_invoice), {})],
    "GET /invoice/{id}/pdf": lambda op, a, b, h: [
        ("GET", op.url(a, id=h.draft_invoice), {}),
        ("GET", op.url(a, id=h.issued_invoice), {}),
    ],
    "PUT /invoice/{id}": lambda op, a, b, h: [
        ("PUT", op.url(a, id=h.draft_invoice), {"json": invoice_body(status="VOID")}),
        (
            "PUT",
            op.url(a, id=h.issued_invoice),
            {"json": invoice_body(status="VOID"), "headers": {"If-Match": "*"}},
        ),
    ],
    "DELETE /invoice/{id}": lambda op, a, b, h: [("DELETE", op.url(a, id=h.draft_invoice), {})],
    "GET /billing/invoice/{id}": lambda op, a, b, h: [("GET", op.url(a, id=h.decoda_invoice), {})],
    "PUT /billing/invoice/{id}/send-now": lambda op, a, b, h: [("PUT", op.url(a, id=h.decoda_invoice), {})],
    "PUT /billing/invoice/execute-action": lambda op, a, b, h: [
        *(
            ("PUT", op.path, {"json": {"invoiceSetIds": [h.decoda_invoice], "actionType": action}})
            for action in ("pause", "cancel", "to-collections")
        ),
        (
            "PUT",
            op.path,
            {"json": {"invoiceSetIds": [h.decoda_invoice], "actionType": "write-off", "writeOffReason": "x"}},
        ),
        (
            "PUT",
            op.path,
            {
                "json": {
                    "invoiceSetIds": [h.decoda_invoice],
                    "actionType": "change rule set",
                    "ruleSetId": h.rule_set,
                }
            },
        ),
    ],
    "PUT /billing/invoice/{id}": lambda op, a, b, h: [
        ("PUT", op.url(a, id=h.decoda_invoice), {"json": {"method": "EMAIL"}})
    ],
    "PUT /billing/rule-set/edit/{rule_set_id}": lambda op, a, b, h: [
        ("PUT", op.url(a, rule_set_id=h.rule_set), {"json": {"name": "A's now", "rules": []}})
    ],
    "DELETE /billing/rule-set/delete/{rule_set_id}": lambda op, a, b, h: [
        ("DELETE", op.url(a, rule_set_id=h.rule_set), {})
    ],
    "DELETE /billing/rule/delete/{rule_id}": lambda op, a, b, h: [("DELETE", op.url(a, rule_id=h.rule), {})],
    "PUT /billing/invoice/retry-method": lambda op, a, b, h: [
        ("PUT", op.path, {"json": {"invoiceId": h.decoda_invoice, "invoiceMethod": "EMAIL"}})
    ],
    "POST /api/v1/{practiceid}/billing/invoices/{invoiceId}/cancel": lambda op, a, b, h: [
        ("POST", op.url(a, practiceid=str(b.tenant.id), invoiceId=h.issued_invoice), {}),
        ("POST", op.url(a, invoiceId=h.issued_invoice), {}),
    ],
    "GET /ebh/statuses/{version}/history": lambda op, a, b, h: [
        ("GET", op.url(a), {"params": {"SubmissionId": h.submission}}),
        ("GET", op.url(a), {"params": {"InvoiceId": h.external_invoice}}),
    ],
    "GET /statuses/api/{version}/history": lambda op, a, b, h: [
        ("GET", op.url(a), {"params": {"SubmissionId": h.submission}}),
    ],
    **{
        f"PUT {base}/SubmissionRequests/{{SubmissionId}}/invoices/{{Id}}": lambda op, a, b, h: [
            ("PUT", op.url(a, SubmissionId=h.submission, Id=h.external_invoice), {})
        ]
        for base in ("/ebh/submissions/{version}", "/submissions/api/{version}")
    },
    **{
        f"GET {base}/details": lambda op, a, b, h: [
            ("GET", op.url(a), {"params": {"InvoiceId": h.external_invoice}})
        ]
        for base in EBH_STATUSES
    },
    **{
        f"POST {base}/search": lambda op, a, b, h: [
            ("POST", op.url(a), {"json": {"SubmissionId": [h.submission]}}),
            ("POST", op.url(a), {"json": {"InvoiceId": [h.external_invoice], "PayorOrgId": "111"}}),
            ("POST", op.url(a), {"json": {"PayorOrgEBillingId": "222"}}),
        ]
        for base in EBH_STATUSES
    },
    **{
        f"PUT {base}/invoice": lambda op, a, b, h: [
            (
                "PUT",
                op.url(a),
                {"params": {"SubmissionId": h.submission, "PayorOrgId": "111"}, "json": PAID},
            ),
            (
                "PUT",
                op.url(a),
                {"params": {"InvoiceId": h.external_invoice, "PayorOrgEBillingId": "222"}, "json": PAID},
            ),
        ]
        for base in EBH_STATUSES
    },
    "GET /patient/{patient_id}/contact": lambda op, a, b, h: [("GET", op.url(a, patient_id=h.patient), {})],
    "GET /v1/webhook/get/{webhook_id}": lambda op, a, b, h: [("GET", op.url(a, webhook_id=h.webhook), {})],
    "PUT /v1/webhook/update/{webhook_id}": lambda op, a, b, h: [
        ("PUT", op.url(a, webhook_id=h.webhook), {"json": {"subscriptions": ["INVOICE_SENT"]}})
    ],
    "DELETE /v1/webhook/delete/{webhook_id}": lambda op, a, b, h: [
        ("DELETE", op.url(a, webhook_id=h.webhook), {})
    ],
    "GET /v1/webhook/{webhook_id}/delivery-attempts/list": lambda op, a, b, h: [
        ("GET", op.url(a, webhook_id=h.webhook), {})
    ],
    "GET /v1/webhook/events/{webhook_delivery_attempt_id}": lambda op, a, b, h: [
        ("GET", op.url(a, webhook_delivery_attempt_id=h.webhook_event), {})
    ],
    "GET /v1/webhook/events/{webhook_delivery_attempt_id}/send": lambda op, a, b, h: [
        ("GET", op.url(a, webhook_delivery_attempt_id=h.webhook_event), {})
    ],
    "DELETE /patient/{patient_id}/contact": lambda op, a, b, h: [
        ("DELETE", op.url(a, patient_id=h.patient), {})
    ],
}
#: operations whose path id is the caller's own name for its data (a patient id is the practice's): another
#: practice's id names nothing of theirs, and what is written under it is the caller's (its own test below)
OWN_NAMES = frozenset({"PUT /patient/{patient_id}/contact"})
#: operations that take no id of a practice's resource (lists, creates, sign-in, documents)
NO_IDS = frozenset(
    {
        "GET /invoice/",
        "POST /invoice/",
        "POST /auth/token",
        "POST /billing/invoice/create",
        "POST /v1/webhook/create",
        "GET /v1/webhook/list",
        "GET /billing/rule/list",
        "GET /billing/rule-set/list",
        "POST /billing/rule-set/create",
        "GET /billing/invoice/table",
        "GET /billing/invoice/select-all",
        "POST /ebh/submissions/{version}",
        "POST /ebh/submissions/{version}/SubmissionRequests",
        "POST /submissions/api/{version}/SubmissionRequests",
        "GET /api/v1/billing/invoices/failed",
        "GET /api/v1/billing/invoices/aborted",
        "POST /api/v1/billing/invoices/retryallfailed",
        "GET /api/v1/billing/invoices/sent/sentDate/{sentDate}",
    }
)


#: operations no practice calls: a provider's events, authenticated by the provider's signature; the practice
#: they concern is what this service put in the payment's metadata, which the provider signs back (a
#: practice cannot forge one: tests/e2e/test_stripe_webhooks_http.py)
PROVIDER_SIGNED = frozenset({"POST /webhooks/stripe", "POST /webhooks/voice", "POST /webhooks/print-mail"})


def test_every_operation_that_takes_an_id_has_a_cross_tenant_case() -> None:
    with_ids = {op.key for op in OPERATIONS if set(op.path_parameters) - NOT_IDS}
    assert with_ids - set(CROSS_TENANT) - OWN_NAMES == set(), (
        "an operation with a path id has no cross-tenant case"
    )
    unclassified = {op.key for op in OPERATIONS} - set(CROSS_TENANT) - NO_IDS - OWN_NAMES - PROVIDER_SIGNED
    assert unclassified == set(), "a new operation: add its cross-tenant case, or say it takes no id"


def headers_for(op: Operation, practice: Practice) -> dict[str, str]:
    if op.schemes & {"DecodaApiKey", "DecodaTenant"}:
        return practice.decoda_headers
    if op.schemes & {"EbhProviderKey", "EbhProducerId"}:
        return practice.ebh_headers
    return practice.headers


def made_up(request: Request, b: Practice, held: Holdings) -> Request:
    """The same request with B's ids replaced by ids nobody has."""
    text = json.dumps(request)
    for value in (
        held.draft_invoice,
        held.issued_invoice,
        held.decoda_invoice,
        held.submission,
        held.patient,
        held.webhook,
        held.webhook_event,
        held.rule_set,
        held.rule,
        str(b.tenant.id),
    ):
        text = text.replace(value, str(uuid.uuid4()))
    text = text.replace(held.external_invoice, f"N-{uuid.uuid4().hex[:8]}")
    method, url, kwargs = json.loads(text)
    return method, url, kwargs


def test_another_practices_ids_are_not_found_and_left_unchanged(
    http: httpx.Client, new_practice: Callable[..., Practice]
) -> None:
    a, b = new_practice(admin=True), new_practice(admin=True)
    with receiving() as receiver:
        held = holdings_of(http, b, f"http://127.0.0.1:{receiver.port}")
        isolated(http, a, b, held)


def isolated(http: httpx.Client, a: Practice, b: Practice, held: Holdings) -> None:
    before = snapshot(http, b, held)
    checked = 0

    for op in OPERATIONS:
        cases = CROSS_TENANT.get(op.key)
        if cases is None:
            continue
        for request in cases(op, a, b, held):
            answers = []
            for method, url, kwargs in (request, made_up(request, b, held)):
                extra = kwargs.pop("headers", {})
                answers.append(http.request(method, url, headers={**headers_for(op, a), **extra}, **kwargs))
            theirs, nobodys = answers
            assert theirs.status_code in (404, 200), (op.key, theirs.status_code, theirs.text)
            if theirs.status_code == 200:  # eBillingHub's statuses: unknown ids find nothing
                assert theirs.json() in NOTHING_FOUND, op.key
            assert (theirs.status_code, theirs.json()) == (nobodys.status_code, nobodys.json()), op.key
            checked += 1

    assert snapshot(http, b, held) == before
    tried(
        SUITE,
        f"{checked} requests on {len(CROSS_TENANT)} operations with another practice's ids: each answered"
        " exactly as a made-up id (404, or nothing found); the other practice's data unchanged",
    )


def test_a_contact_kept_under_another_practices_patient_id_is_the_callers_own(
    http: httpx.Client, new_practice: Callable[..., Practice]
) -> None:
    a, b = new_practice(), new_practice()
    patient = str(uuid.uuid4())
    url = f"/patient/{patient}/contact"
    assert http.put(url, json=B_CONTACT, headers=b.headers).status_code == 200
    # when practice A keeps a contact under the same patient id, then erases it
    mine = http.put(url, json={"first_name": "Ann", "email": "ann@example.org"}, headers=a.headers)
    assert mine.status_code == 200, mine.text
    assert {k: mine.json()[k] for k in ("first_name", "email", "phone")} == {
        "first_name": "Ann",
        "email": "ann@example.org",
        "phone": None,
    }
    assert http.get(url, headers=a.headers).json()["first_name"] == "Ann"
    assert http.delete(url, headers=a.headers).status_code == 204
    # then B's contact is as B kept it, and A has none
    theirs = http.get(url, headers=b.headers).json()
    assert {k: theirs[k] for k in B_CONTACT} == B_CONTACT
    assert http.get(url, headers=a.headers).status_code == 404
    tried(SUITE, "a contact kept, read and erased under another practice's patient id: the other's untouched")


# ---------------------------------------------------------------- every list, a property


@dataclass
class World:
    practices: list[Practice]
    invoices: dict[int, set[str]] = field(default_factory=dict)  # every invoice id each practice made
    deliveries: dict[int, set[str]] = field(default_factory=dict)  # Decoda ids each practice made
    submissions: dict[int, set[str]] = field(default_factory=dict)
    examples: int = 0
    requests: int = 0


@pytest.fixture(scope="module")
def world(stack: LocalStack, http: httpx.Client, new_practice: Callable[..., Practice]) -> Iterator[World]:
    """Three practices, each with a failed send (a payer hub rejection) and a sent one."""
    practices = [new_practice(admin=True) for _ in range(3)]
    made = World(
        practices, {n: set() for n in range(3)}, {n: set() for n in range(3)}, {n: set() for n in range(3)}
    )
    stack.external.control("reject")
    try:
        for n, practice in enumerate(practices):
            issued = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers)
            made.invoices[n].add(issued.json()["id"])
        for practice in practices:
            wait_for(
                lambda p=practice: http.get("/api/v1/billing/invoices/failed", headers=p.headers).json(),
                what="a failed send",
            )
    finally:
        stack.external.control("ok")
    for n, practice in enumerate(practices):
        issued = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers)
        made.invoices[n].add(issued.json()["id"])
    yield made
    tried(
        SUITE,
        f"property over {made.examples} generated examples, 3 practices sharing patient ids, tags,"
        f" external numbers and registration numbers: {sum(len(v) for v in made.invoices.values())}"
        f" invoices, {sum(len(v) for v in made.deliveries.values())} Decoda sends,"
        f" {sum(len(v) for v in made.submissions.values())} submissions, {made.requests} requests;"
        " every list (invoices by patient, status, tag, search; failed, aborted, sent; EBH history)"
        " held only the caller's",
    )


ACTION = st.tuples(
    st.integers(0, 2),  # practice
    st.sampled_from(["invoice", "invoice", "decoda", "ebh", "cancel"]),
    st.integers(0, 2),  # patient (shared by the practices)
    st.integers(0, 1),  # tag
    st.integers(0, 1),  # external invoice number
    st.sampled_from(["DRAFT", "ISSUED"]),
)


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTION, min_size=1, max_size=7))
def test_every_list_answers_only_the_callers_practice(
    http: httpx.Client, world: World, actions: list[tuple[int, str, int, int, int, str]]
) -> None:
    world.examples += 1
    token = uuid.uuid4().hex[:8]
    patients = [str(uuid.uuid4()) for _ in range(3)]
    tags = [f"t{n}-{token}" for n in range(2)]
    externals = [f"X{n}-{token}" for n in range(2)]
    expected_patient: dict[tuple[int, int], set[str]] = {}
    expected_tag: dict[tuple[int, int], set[str]] = {}
    expected_issued: dict[tuple[int, int], set[str]] = {}
    expected_external: dict[tuple[int, int], set[str]] = {}  # submissions by (practice, InvoiceId)
    decoda_made: dict[int, list[str]] = {n: [] for n in range(3)}
    cancelled: dict[int, set[str]] = {n: set() for n in range(3)}

    def call(
        method: str, url: str, practice: Practice, kind: str = "bearer", **kwargs: Any
    ) -> httpx.Response:
        headers = {"bearer": practice.headers, "decoda": practice.decoda_headers, "ebh": practice.ebh_headers}
        world.requests += 1
        response = http.request(method, url, headers=headers[kind], **kwargs)
        assert response.status_code < 500, response.text
        return response

    for n, kind, patient, tag, external, status in actions:
        practice = world.practices[n]
        if kind == "invoice":
            body = invoice_body(status=status, patient_id=patients[patient], tags=[tags[tag]])
            made = call("POST", "/invoice/", practice, json=body)
            assert made.status_code == 201, made.text
            invoice_id = made.json()["id"]
            world.invoices[n].add(invoice_id)
            expected_patient.setdefault((n, patient), set()).add(invoice_id)
            expected_tag.setdefault((n, tag), set()).add(invoice_id)
            if status == "ISSUED":
                expected_issued.setdefault((n, patient), set()).add(invoice_id)
        elif kind == "decoda":
            body = {
                "patientId": patients[patient],
                "message": "Your invoice",
                "invoiceMethod": "SMS",
                "rule": {"delayInDays": 2},
                "charges": [{"description": "Visit", "totalOutstanding": 1000 + patient}],
            }
            made = call("POST", "/billing/invoice/create", practice, "decoda", json=body)
            assert made.status_code == 200, made.text
            decoda_made[n].append(made.json()["id"])
            world.deliveries[n].add(made.json()["id"])
            # its invoice is the patient's, issued
            page = call(
                "GET", "/invoice/", practice, params={"patient_id": patients[patient], "status": "ISSUED"}
            )
            new = {i["id"] for i in page.json()["data"]} - expected_issued.get((n, patient), set())
            assert len(new) == 1
            world.invoices[n] |= new
            expected_patient.setdefault((n, patient), set()).update(new)
            expected_issued.setdefault((n, patient), set()).update(new)
        elif kind == "ebh":
            body = {
                "InvoiceId": externals[external],
                "PatientId": patients[patient],
                "Lines": [{"Description": "Visit", "UnitPrice": 40}],
                "Payors": [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}],
            }
            made = call("POST", "/ebh/submissions/v1", practice, "ebh", json=body)
            first = (n, external) not in expected_external
            # only this practice's own earlier submission of the number may stand in the way
            assert made.status_code == (201 if first else 409), made.text
            if first:
                expected_external[(n, external)] = {made.json()["SubmissionId"]}
                world.submissions[n].add(made.json()["SubmissionId"])
                page = call("GET", "/invoice/", practice, params={"search": externals[external].lower()})
                ids = {i["id"] for i in page.json()["data"]}
                assert len(ids) == 1
                world.invoices[n] |= ids
                expected_patient.setdefault((n, patient), set()).update(ids)
                expected_issued.setdefault((n, patient), set()).update(ids)
        elif kind == "cancel" and decoda_made[n]:
            target = decoda_made[n].pop()
            done = call(
                "PUT",
                "/billing/invoice/execute-action",
                practice,
                "decoda",
                json={"invoiceSetIds": [target], "actionType": "cancel"},
            )
            assert done.status_code == 200, done.text
            cancelled[n].add(target)

    today = datetime.now(UTC).date().isoformat()
    for n, practice in enumerate(world.practices):
        tenant = str(practice.tenant.id)
        for p, patient in enumerate(patients):
            listed = call("GET", "/invoice/", practice, params={"patient_id": patient, "limit": 500}).json()
            assert {i["id"] for i in listed["data"]} == expected_patient.get((n, p), set())
            assert listed["total"] == len(expected_patient.get((n, p), set()))
            issued = call(
                "GET", "/invoice/", practice, params={"patient_id": patient, "status": "ISSUED"}
            ).json()
            assert {i["id"] for i in issued["data"]} == expected_issued.get((n, p), set())
        for t, tag in enumerate(tags):
            listed = call("GET", "/invoice/", practice, params={"tags": tag}).json()
            assert {i["id"] for i in listed["data"]} == expected_tag.get((n, t), set())
        searched = call("GET", "/invoice/", practice, params={"search": "inv-0000", "limit": 500}).json()
        assert {i["id"] for i in searched["data"]} <= world.invoices[
            n
        ]  # registration numbers are per practice
        for e, external in enumerate(externals):
            history = call("GET", "/ebh/statuses/v1/history", practice, "ebh", params={"InvoiceId": external})
            found = {entry["SubmissionId"] for entry in history.json()["InvoiceStatuses"]}
            assert found == expected_external.get((n, e), set())
        for url in (
            "/api/v1/billing/invoices/failed",
            "/api/v1/billing/invoices/aborted",
            f"/api/v1/billing/invoices/sent/sentDate/{today}",
        ):
            rows = call("GET", url, practice).json()
            assert {row["PracticeId"] for row in rows} <= {tenant}, url
            assert {row["InvoiceId"] for row in rows} <= world.invoices[n] | world.deliveries[n], url
        aborted = call("GET", "/api/v1/billing/invoices/aborted", practice).json()
        assert len(aborted) >= len(cancelled[n])


# ---------------------------------------------------------------- roles


def test_admin_only_operations_refuse_a_non_admin(http: httpx.Client, practice: Practice) -> None:
    assert {op.key for op in ADMIN_ONLY} >= {
        "GET /api/v1/billing/invoices/failed",
        "POST /api/v1/billing/invoices/retryallfailed",
    }
    for op in ADMIN_ONLY:
        response = http.request(op.method, op.url(practice), headers=practice.headers)
        assert response.status_code == 403, (op.key, response.text)
        assert list(response.json()) == ["Message"]
    for op in BEARER:
        if op not in ADMIN_ONLY:  # the rest is open to every user of the practice
            response = http.request(
                op.method, op.url(practice), headers=practice.headers, json=invoice_body()
            )
            assert response.status_code != 403, op.key
    tried(SUITE, f"{len(ADMIN_ONLY)} admin-only operations (Healthbridge): 403 for a non-admin, each")


# ---------------------------------------------------------------- wrong credentials


def bearer_cases(stack: LocalStack, practice: Practice) -> dict[str, dict[str, str]]:
    """name -> the headers of a request whose bearer token API Gateway's JWT authorizer refuses (the
    local gateway as it does: docs/decisions/018-tokens-verified-at-the-gateway.md)."""
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    valid = claims(stack, practice)

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return {
        "missing": {},
        "empty": {"Authorization": ""},
        "basic scheme": {"Authorization": "Basic ZGVtbzpkZW1v"},
        "no token": {"Authorization": "Bearer"},
        "two tokens": {"Authorization": "Bearer a b"},
        "not a JWT": bearer("garbage"),
        "unsigned (alg none)": bearer(jwt.encode(valid, key=None, algorithm="none")),
        "bad signature": bearer(signed(valid, key=forger)),
        "unknown kid": bearer(signed(valid, kid="not-a-pool-key")),
        "expired": bearer(signed(claims(stack, practice, exp=int(time.time()) - 3600))),
        "wrong client": bearer(signed(claims(stack, practice, client_id="another-app"))),
        "wrong issuer": bearer(
            signed(claims(stack, practice, iss="https://cognito-idp.us-east-1.amazonaws.com/x"))
        ),
        "id token": bearer(signed(id_token_claims(stack, practice))),
        "HS256 keyed with the pool's public key": bearer(hmac_with_public_key(valid)),
    }


def hmac_with_public_key(payload: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: HS256 with the pool's public key (which anyone can fetch) as
    the secret, under the pool's key id."""
    private, kid = moto_key()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{part(payload)}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_every_wrong_credential_answers_the_contracts_status_and_body(
    stack: LocalStack, http: httpx.Client, practice: Practice, other_practice: Practice
) -> None:
    counted = 0
    for name, headers in bearer_cases(stack, practice).items():
        for op in BEARER:
            # API Gateway's answer, whatever the contract: the function never runs
            response = http.request(op.method, op.url(practice), headers=headers)
            assert response.status_code == 401, (name, op.key, response.text)
            assert response.headers["WWW-Authenticate"].startswith("Bearer "), (name, op.key)
            assert response.json() == {"message": "Unauthorized"}, (name, op.key)
            counted += 1

    required, invalid = "TENANT and API-KEY headers are required", "Invalid TENANT or API-KEY"
    own, theirs = practice.decoda_headers, other_practice.decoda_headers
    decoda_cases = {
        "missing": ({}, required),
        "TENANT only": ({"TENANT": own["TENANT"]}, required),
        "API-KEY only": ({"API-KEY": own["API-KEY"]}, required),
        "wrong key": ({"TENANT": own["TENANT"], "API-KEY": "dk_wrong"}, invalid),
        "another practice's key": ({"TENANT": own["TENANT"], "API-KEY": theirs["API-KEY"]}, invalid),
        "unknown tenant": ({"TENANT": "no-such-practice", "API-KEY": own["API-KEY"]}, invalid),
    }
    for name, (headers, detail) in decoda_cases.items():
        for op in DECODA:
            response = http.request(op.method, op.url(practice), headers=headers)
            assert (response.status_code, response.json()) == (401, {"detail": detail}), (name, op.key)
            counted += 1

    mine, others = practice.ebh_headers, other_practice.ebh_headers
    missing = (400, {"Message": "The ProducerId and ProviderKey headers are required."})
    refused = (401, {"Message": "The Provider Key is not authorized."})
    ebh_cases = {
        "missing": ({}, missing),
        "ProducerId only": ({"ProducerId": mine["ProducerId"]}, missing),
        "ProviderKey only": ({"ProviderKey": mine["ProviderKey"]}, missing),
        "wrong key": ({"ProducerId": mine["ProducerId"], "ProviderKey": "ebh_wrong"}, refused),
        "another producer's key": (
            {"ProducerId": mine["ProducerId"], "ProviderKey": others["ProviderKey"]},
            refused,
        ),
        "unknown producer": ({"ProducerId": "nobody", "ProviderKey": mine["ProviderKey"]}, refused),
    }
    for name, (headers, expected) in ebh_cases.items():
        for op in EBH:
            response = http.request(op.method, op.url(practice), headers=headers, params={"InvoiceId": "1"})
            assert (response.status_code, response.json()) == expected, (name, op.key)
            assert response.headers.get("OperationId"), (name, op.key)
            counted += 1

    tried(
        SUITE,
        f"{counted} requests with wrong credentials ({len(bearer_cases(stack, practice))} bearer cases x"
        f" {len(BEARER)} operations, {len(decoda_cases)} Decoda x {len(DECODA)}, {len(ebh_cases)} eBillingHub"
        f" x {len(EBH)}): bearer ones API Gateway's 401 (the function never ran), keyed ones the"
        " contract's status and body",
    )


def test_a_flood_of_made_up_key_ids_does_not_fetch_the_pools_keys_each_time(
    stack: LocalStack, http: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token naming a key the pool lacks may mean the pool rotated its keys, so the keys are fetched
    again — but not for every such token. No function fetches them any more (API Gateway's JWT
    authorizer does, and caches them); the local gateway, standing in for it, must not either."""
    fetches = []
    authorizer = stack.authorizers["CognitoJwt"]
    fetch = authorizer.fetch_keys

    def counted() -> Any:
        fetches.append(time.monotonic())
        return fetch()

    monkeypatch.setattr(authorizer, "fetch_keys", counted)
    valid = claims(stack, practice)
    flood = 30
    for _ in range(flood):
        token = signed(valid, kid=f"made-up-{uuid.uuid4().hex}")
        response = http.get("/invoice/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
    assert http.get("/invoice/", headers=practice.headers).status_code == 200
    assert len(fetches) <= 1
    tried(SUITE, f"{flood} tokens with made-up key ids: 401 each, {len(fetches)} fetch of the pool's keys")
