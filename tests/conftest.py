"""Shared fixtures: one local stack per test session (moto's server, the template's resources, the
gateway on a free port), and practices of their own for tests that must not see each other's data."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import sys
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from invoice_hub.dal.credentials import Credential, CredentialRepository, new_key
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.domain.tenant import Tenant
from invoice_hub_local import gateway
from invoice_hub_local.aws import TRACE_MOTO
from invoice_hub_local.lambda_runtime import load_module
from invoice_hub_local.seed import ensure_user, local_tenant, verify_identity
from invoice_hub_local.sqs_move_tasks import ACTIVE, QueueArn
from invoice_hub_local.stack import LocalStack
from invoice_hub_local.template import FunctionSpec
from tests.polling import wait_for

EVENTS = Path(__file__).resolve().parents[1] / "events"
PASSWORD = "Test-Pass-123!"


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    for noisy in ("werkzeug", "botocore", "moto", "invoice_hub_local"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    local = LocalStack(port=0).start()
    # every function's init (its first container) before the first test, as a deployed stack that has
    # served traffic would be: the suites that time or race requests run first and must not pay it
    for spec in local.stack.functions.values():
        load_module(spec)
    yield local
    local.stop()


@pytest.fixture(scope="session")
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        yield client


def sign_in(http: httpx.Client, username: str, password: str) -> str:
    response = http.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@dataclass(frozen=True)
class Practice:
    """A tenant with one signed-in user; `headers` authenticate as that user."""

    tenant: Tenant
    email: str
    token: str
    api_key: str
    producer_id: str
    provider_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def decoda_headers(self) -> dict[str, str]:
        return {"TENANT": self.tenant.slug, "API-KEY": self.api_key}

    @property
    def ebh_headers(self) -> dict[str, str]:
        return {"ProducerId": self.producer_id, "ProviderKey": self.provider_key}


@pytest.fixture(scope="session")
def new_practice(stack: LocalStack, http: httpx.Client) -> Callable[..., Practice]:
    """Makes a fresh practice (tenant, Cognito group and user) so a test starts from an empty list."""

    def make(admin: bool = False) -> Practice:
        tenant_id = uuid.uuid4()
        tenant = local_tenant(tenant_id, f"t-{tenant_id.hex[:12]}", "Test Practice", stack.external.url)
        TenantRepository(stack.environment["TABLE_NAME"]).put(tenant)
        if tenant.email_identity:
            verify_identity(stack.client("ses"), tenant.email_identity)
        email = f"user-{tenant_id.hex[:12]}@example.test"
        ensure_user(stack.cognito(), stack.environment["USER_POOL_ID"], tenant, email, PASSWORD, admin)
        credentials = CredentialRepository(stack.environment["TABLE_NAME"])
        api_key, provider_key, producer_id = new_key(), new_key("ebh"), f"producer-{tenant_id.hex[:12]}"
        credentials.put(api_key, Credential(kind="api-key", tenant_id=tenant_id, name=tenant.slug))
        credentials.put(provider_key, Credential(kind="provider-key", tenant_id=tenant_id, name=producer_id))
        return Practice(
            tenant=tenant,
            email=email,
            token=sign_in(http, email, PASSWORD),
            api_key=api_key,
            producer_id=producer_id,
            provider_key=provider_key,
        )

    return make


#: what a practice of the fuzz and edge suites starts with: a patient's invoice of each contract that has
#: one, and an eSF submission to two payor orgs, so each list answers rows to check, not only `[]`
ESF_SAMPLE = EVENTS / "ebh_submission_request" / "esf_2_0_2_two_payors.xml"
DECODA_INVOICE = {
    "patientId": "pat_fuzz",
    "message": "Your invoice from the practice",
    "invoiceMethod": "EMAIL",
    "charges": [
        {
            "description": "Consultation",
            "totalOutstanding": 12000,
            "patient": {"firstName": "Ann", "lastName": "Lee", "email": "ann.lee@patient.example"},
        }
    ],
}


def seeded(http: httpx.Client, practice: Practice) -> Practice:
    """The practice, with an invoice of each contract (sent, unless the suite holds the Sender)."""
    answers = [
        http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers),
        http.post("/billing/invoice/create", json=DECODA_INVOICE, headers=practice.decoda_headers),
        http.post(
            "/ebh/submissions/v1/SubmissionRequests",
            content=ESF_SAMPLE.read_bytes(),
            headers={**practice.ebh_headers, "Content-Type": "application/xml", "InvoiceType": "ESF"},
        ),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
    return practice


def function_from_source(tmp_path: Path, name: str, source: str) -> FunctionSpec:
    """A function of the template's shape whose app.py is `source`, in a folder of its own (each module is
    loaded under its folder's name, as the local runtime loads a container)."""
    code = tmp_path / f"{name.lower()}_{uuid.uuid4().hex[:8]}"
    code.mkdir()
    (code / "app.py").write_text(source, encoding="utf-8")
    return FunctionSpec(
        logical_id=name, code_dir=code, handler="app.lambda_handler", environment={}, timeout=10
    )


class Recorder:
    """Stands in for the Lambda runtime behind the local gateway: keeps the events it gets, answers 200."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, spec: FunctionSpec, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "body": "{}"}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The gateway's functions replaced by a Recorder for the test."""
    recording = Recorder()
    monkeypatch.setattr(gateway, "invoke", recording)
    return recording


@pytest.fixture
def moto_traced(stack: LocalStack) -> Iterator[None]:
    """moto's request threads traced while the test runs: the tests of this package's patches to moto
    use it, so that coverage measures the patches (the threads run untraced otherwise: aws.py)."""
    TRACE_MOTO.set()
    try:
        yield
    finally:
        TRACE_MOTO.clear()


@pytest.fixture
def practice(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice()


@pytest.fixture
def other_practice(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice()


@pytest.fixture
def outage(stack: LocalStack) -> Iterator[Callable[[str], object]]:
    """Switches the fake external systems' mode ("ok", "unavailable", ...); back to ok after the test."""
    yield lambda mode: stack.external.control(mode)
    stack.external.control("ok")


@pytest.fixture
def own_redrive(stack: LocalStack) -> Iterator[None]:
    """For a test that re-drives its worker's SendDLQ (retry-all, a console move task, `ops redrive`): that
    DLQ is shared with every test the worker runs, so another test's move task must not be running when
    this one starts (it would refuse this test's start, or leave its messages where they are: a task moves
    what the DLQ held when it started), and this test's own must not outlive it (one at a message a second
    runs on for as many seconds as the DLQ holds messages)."""
    sqs = boto3.client("sqs")
    dlq_arn = stack.environment["SEND_DLQ_ARN"]

    def active() -> list[dict[str, Any]]:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
        return [task for task in tasks if task["Status"] in ACTIVE]

    wait_for(lambda: not active(), what="another test's re-drive of the shared DLQ to end")
    yield
    for task in active():
        if "TaskHandle" in task:  # RUNNING; a CANCELLING one is ending already
            with contextlib.suppress(ClientError):  # it ended meanwhile (if not, the wait below says so)
                sqs.cancel_message_move_task(TaskHandle=task["TaskHandle"])
    wait_for(lambda: not active(), what="this test's re-drive to stop")


def sends_queued(stack: LocalStack, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The practice's messages in SendQueue, visible, delayed or being handled (moto's own list, read
    without receiving). None left: nothing more of the practice's is sent unless something enqueues or
    re-drives it (a duplicate message would still be there, or have been handled)."""
    queue = QueueArn.parse(stack.queue_arns()["SendQueue"], "SendQueue").queue()
    bodies = [json.loads(message.body) for message in list(queue._messages)]
    return [body for body in bodies if body.get("tenant_id") == str(tenant_id)]


def load_event(function: str, case: str) -> dict[str, Any]:
    """A sample event from events/ (the same files `sam local invoke -e` takes)."""
    event: dict[str, Any] = json.loads((EVENTS / function / f"{case}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(event)


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issue_date": "2026-06-01T05:53:48.451968",
        "due_date": "2026-07-01T00:00:00Z",
        "status": "DRAFT",
        "discount_amount": 0,
        "discount_percent": 0,
        "paid_amount": 0,
        "appointment_id": str(uuid.uuid4()),
        "patient_id": str(uuid.uuid4()),
        "items": [{"description": "Consultation", "code": "0190", "quantity": 1, "unit_price": 120}],
    }
    body.update(overrides)
    return body


#: moto reads a whole table for a Query on an index, so a call's cost grows with what earlier tests left
#: behind. The suites that race concurrent requests (50 identical POSTs, racing updates) run first, then
#: the one that times each call (retry-all within its timeout; it deletes its 600 sends when it ends),
#: on small tables; the suite that leaves thousands of items behind runs last. (`make test` runs pytest-xdist
#: with `--dist worksteal`: each worker starts with a third of this order, and one that runs out takes half of
#: the tail of another's queue, where the fuzz suite's operations are: they spread over the workers, each
#: after the tests that worker started with, instead of queuing on one.)
FIRST = ("tests/security/", "tests/integration/test_retry_all_scale.py", "tests/edge/")
LAST = ("tests/fuzz/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Orders the suites as FIRST (in its order), the rest, LAST (a stable sort: each keeps its own order)."""

    def rank(item: pytest.Item) -> int:
        for n, part in enumerate(FIRST):
            if part in item.nodeid:
                return n
        return len(FIRST) + 1 if any(part in item.nodeid for part in LAST) else len(FIRST)

    items.sort(key=rank)


@contextmanager
def untraced() -> Iterator[None]:
    """This thread runs without a tracer (coverage's, under `--cov`) for the block; the others keep theirs."""
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(tracer)


# pypdf's glyph table (`pypdf._codecs.adobe_glyphs`: one statement of 4,000 lines) imports in 0.1 s, but in
# about 10 s of CPU once any thread runs under a tracer, as coverage's do (Python 3.12 instruments each code
# object it runs then, whichever thread traces). The PDF tests import pypdf: it is imported here, before the
# stack's threads start, with this thread untraced.
with untraced():
    import pypdf  # noqa: F401


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test marked `untraced_caller` runs with no tracer in its own thread. Such a test's thread runs a
    generator (Hypothesis, schemathesis) and an HTTP client, none of the service's code: the service runs in
    the gateway's, the functions' and the pollers' threads, which keep coverage's tracer. Traced, the
    generator took about twice its CPU (the fuzz suite: 347 s of CPU with `--cov`, 189 s without)."""
    if item.get_closest_marker("untraced_caller") is None:
        return (yield)
    with untraced():
        return (yield)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker hands what its suites tried to the controller, which prints it."""
    from tests.report import LINES

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["tried"] = json.dumps(LINES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:  # pytest-xdist's, in the controller
    from tests.report import LINES

    for suite, lines in json.loads(getattr(node, "workeroutput", {}).get("tried", "{}")).items():
        LINES[suite].extend(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints what each hardening suite tried (tests/report.py), in every worker of the run."""
    from tests.report import LINES

    if not LINES:
        return
    terminalreporter.section("what the suites tried")
    for suite, lines in sorted(LINES.items()):
        for line in lines:
            terminalreporter.write_line(f"{suite}: {line}")
