"""The edge suite's practices, client, valid requests and its account of what it sent.

Each operation is called as a practice of its own, an admin (Healthbridge's routes need one), seeded with
an invoice of each contract, so what its edges create meets no other test's data. Its credentials are
set by the document's security scheme names, as the fuzzing suite does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator

import httpx
import pytest

from invoice_hub.logic.patient_bills import patient_uuid
from invoice_hub_local.stack import LocalStack
from tests.conftest import EVENTS, PASSWORD, Practice, seeded
from tests.edge.contract import verdicts
from tests.edge.document import (
    BY_LABEL,
    SCHEME_HEADERS,
    Operation,
    body_schema,
    example,
    path_values,
)
from tests.edge.edges import Base, Edge
from tests.edge.wire import TALLY, Answer, EdgeRequest, send
from tests.report import tried

PATIENT_CONTACT = {
    "first_name": "Edge",
    "last_name": "Case",
    "email": "edge.case@patient.example",
    "phone": "+15555550142",
}


@pytest.fixture(scope="session")
def practice_of(new_practice: Callable[..., Practice], http: httpx.Client) -> Callable[[str], Practice]:
    """Each operation's practice (by its label), made on first use and seeded with an invoice of each
    contract: what the operation's edges create, and what its lists answer, is that operation's alone (one
    practice holding every operation's edges made each list read thousands of invoices)."""
    made: dict[str, Practice] = {}
    decoda_patient = example(body_schema(BY_LABEL["POST /billing/invoice/create"]))["patientId"]

    def of(label: str) -> Practice:
        if label not in made:
            practice = seeded(http, new_practice(admin=True))
            # the patient of Decoda's documented example has an e-mail address and a phone number here, so
            # the sends of the creates its edges make go out, instead of failing for good into the DLQ that
            # every retry-all of the worker then moves back to the Sender (decision 016's shared SendDLQ)
            patient = patient_uuid(practice.tenant.id, decoda_patient)
            kept = http.put(f"/patient/{patient}/contact", json=PATIENT_CONTACT, headers=practice.headers)
            assert kept.status_code == 200, kept.text
            made[label] = practice
        return made[label]

    return of


def scheme_credentials(practice: Practice) -> dict[str, str]:
    """The practice's credential for each of the document's security schemes (components.securitySchemes)."""
    values = {
        "OAuth2PasswordBearer": f"Bearer {practice.token}",
        "DecodaTenant": practice.tenant.slug,
        "DecodaApiKey": practice.api_key,
        "EbhProducerId": practice.producer_id,
        "EbhProviderKey": practice.provider_key,
    }
    assert set(values) == set(SCHEME_HEADERS)
    return values


@pytest.fixture(scope="session")
def edge_client(stack: LocalStack) -> Iterator[httpx.Client]:
    """A client that adds nothing of its own (no Accept, User-Agent or Accept-Encoding): each request
    carries exactly its headers."""
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        for name in ("Accept", "Accept-Encoding", "User-Agent"):
            del client.headers[name]
        yield client


def base_body(operation: Operation, practice: Practice) -> object:
    if not operation.takes_body:
        return None
    if operation.takes_form:
        return {"username": practice.email, "password": PASSWORD}
    if operation.takes_xml:  # eBillingHub's eSF invoice, with an invoice id of the suite's own
        sample = EVENTS / "ebh_submission_request" / "esf_2_0_2_two_payors.xml"
        invoice_id = f"EDGE-{uuid.uuid4().hex[:12]}"
        return sample.read_text(encoding="utf-8").replace("RC-2026-11-0042", invoice_id)
    value = example(body_schema(operation))
    if operation.operation_id.startswith("submit_ebh"):
        value = {**value, "InvoiceId": f"EDGE-{uuid.uuid4().hex[:12]}"}
    return value


class Bases(dict[str, Base]):
    """Each operation's valid request, by its label ("GET /invoice/{id}"), made on first use as the
    operation's own practice."""

    def __init__(self, practice_of: Callable[[str], Practice]) -> None:
        super().__init__()
        self.practice_of = practice_of

    def __missing__(self, label: str) -> Base:
        self[label] = base = base_request(BY_LABEL[label], self.practice_of(label))
        return base


@pytest.fixture(scope="session")
def bases(practice_of: Callable[[str], Practice]) -> dict[str, Base]:
    return Bases(practice_of)


def base_request(operation: Operation, practice: Practice) -> Base:
    """The operation's valid request, as `practice`."""
    credentials_by_scheme = scheme_credentials(practice)
    values = tuple(path_values(operation, str(practice.tenant.id)).items())
    query = (
        f"InvoiceId=EDGE-{uuid.uuid4().hex[:12]}"
        if operation.family == "ebh" and operation.method == "GET"
        else ""
    )
    credentials = tuple(
        (SCHEME_HEADERS[scheme], credentials_by_scheme[scheme].encode()) for scheme in operation.schemes
    )
    headers = (("InvoiceType", b"ESF"),) if operation.takes_xml else ()
    return Base(operation, values, query, credentials, base_body(operation, practice), headers)


@pytest.fixture(scope="session")
def baseline(edge_client: httpx.Client, bases: dict[str, Base]) -> Callable[[Operation], Answer]:
    """The answer to an operation's valid request (sent once): what a body it ignores must not change."""
    answers: dict[str, Answer] = {}

    def answer(operation: Operation) -> Answer:
        if operation.label not in answers:
            answers[operation.label] = send(
                edge_client, operation.label, bases[operation.label].request("valid")
            )
        return answers[operation.label]

    return answer


@pytest.fixture(scope="session")
def sender(edge_client: httpx.Client) -> Callable[[Operation, EdgeRequest], Answer]:
    return lambda operation, request: send(edge_client, operation.label, request)


@pytest.fixture(scope="session", autouse=True)
def edge_report() -> Iterator[None]:
    yield
    if not TALLY.requests:
        return
    for label, count in sorted(TALLY.requests.items()):
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TALLY.statuses[label].items()))
        tried("edge", f"{label}: {count} requests ({statuses})")
    total = sum(TALLY.requests.values())
    server_errors = sum(n for counts in TALLY.statuses.values() for code, n in counts.items() if code >= 500)
    tried(
        "edge",
        f"{len(TALLY.requests)} operations, {total} requests ({TALLY.raw} over a raw socket), "
        f"{server_errors} 5xx",
    )


@pytest.fixture(scope="session")
def exercise(
    sender: Callable[[Operation, EdgeRequest], Answer], baseline: Callable[[Operation], Answer]
) -> Callable[[Operation, Iterable[Edge]], list[str]]:
    """Sends each edge to the operation; returns one line per wrong answer."""

    def run(operation: Operation, edges: Iterable[Edge]) -> list[str]:
        valid = baseline(operation)
        return verdicts(operation, ((edge, sender(operation, edge.request)) for edge in edges), valid)

    return run
