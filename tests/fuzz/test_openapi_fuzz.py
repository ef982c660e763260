"""Schemathesis over the service's own OpenAPI document, against the local stack: every operation,
authenticated as its contract's clients are, judged by every check schemathesis has (`--checks all`)
but those named in EXCLUDED (for every operation) and EXCLUDED_FOR (for one) with their reasons. No
answer may be a server error or slower than 10 s; every answer must be one the document describes (its
status, media type, headers and body); a request the document says is valid must be accepted (but for
the refusals of RULES_OPENAPI_CANNOT_STATE) and one it says is invalid refused; a missing required
header, a method the resource lacks and missing or wrong credentials must be refused; a created object
must be readable, and a deleted one gone; another practice must not read it.

Deterministic and bounded: Hypothesis is derandomized (the same cases every run, no example database
written). Each operation gets the document's examples, schemathesis' coverage cases (boundary and
invalid values of every parameter, other methods) and up to MAX_EXAMPLES generated cases; then
WORKFLOWS sequences of up to STEPS calls follow the document's links (a created invoice is read,
updated, deleted; a Decoda send is read and sent now; a submission's history is read). The suite's
line in "what the suites tried" gives, per check, the answers it judged and passed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, is_check_class, load_all_checks, max_response_time
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.meta import CoverageScenario, coverage_scenario
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.wfc.escalation import EscalatingAuthProvider

from invoice_hub.contracts.http import XML
from invoice_hub_local.gateway import Gateway
from invoice_hub_local.openapi import DOCUMENT
from invoice_hub_local.stack import LocalStack
from invoice_hub_local.template import load_stack
from tests.conftest import Practice, seeded
from tests.fuzz.conftest import Tally, credentials_by_scheme
from tests.fuzz.esf_documents import esf_documents

pytestmark = [pytest.mark.e2e, pytest.mark.untraced_caller]

MAX_EXAMPLES = 75
WORKFLOWS = 40
STEPS = 8

load_all_checks()
#: every check of schemathesis' registry, and `max_response_time` (`--checks all` turns it on with its
#: default limit, 10 s), by name
EVERY_CHECK: dict[str, schemathesis.CheckFunction] = {
    check.__name__: check for check in [*CHECKS.get_all(), max_response_time] if not is_check_class(check)
}
#: the checks this suite leaves out, each with its reason
EXCLUDED: dict[str, str] = {
    "unsupported_method": (
        "it expects 405 with an Allow header for a method the document does not give a path; an HTTP API "
        'answers 404 {"message": "Not Found"} (no Allow) where no route takes the path and method, and '
        "hands it to the route that does otherwise: `unsupported_method_answered_as_api_gateway` below "
        "checks those requests for that answer"
    ),
}
#: the checks this suite leaves out for one operation, each with its reason
EBH_MISSING_HEADER = (
    "eBillingHub's contract (seed 002) answers a request without ProducerId or ProviderKey 400, \"missing a "
    "required header\" (a wrong key is 401): ignored_auth's probe without credentials expects 401 or 403"
)
PROVIDER_SIGNED = (
    "a provider's webhook takes only an event signed with the endpoint's secret over the exact body and "
    "at most five minutes old, which no generator can make: every generated request is refused 400 (the "
    "e2e suites send signed ones)"
)
#: eBillingHub's operations: those its ProducerId + ProviderKey authenticate
EBH_OPERATIONS = frozenset(
    f"{method.upper()} {path}"
    for path, methods in json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"].items()
    for method, operation in methods.items()
    if {"EbhProducerId": [], "EbhProviderKey": []} in operation.get("security", [])
)
EXCLUDED_FOR: dict[tuple[str, str], str] = {
    **{
        ("positive_data_acceptance", f"POST /webhooks/{provider}"): PROVIDER_SIGNED
        for provider in ("stripe", "voice", "print-mail")
    },
    **{("ignored_auth", operation): EBH_MISSING_HEADER for operation in EBH_OPERATIONS},
}


def body_of(case: schemathesis.Case) -> dict[str, Any]:
    return case.body if isinstance(case.body, dict) else {}


def refused_field(response: schemathesis.Response, field: str, message: str) -> bool:
    """A FastAPI-style 422 whose only issue is `message` about the body's `field`."""
    if response.status_code != 422:
        return False
    issues = response.json().get("detail")
    return isinstance(issues, list) and all(
        issue.get("loc") == ["body", field] and message in issue.get("msg", "") for issue in issues
    )


def repeated_payer(case: schemathesis.Case) -> bool:
    payors = body_of(case).get("Payors")
    ids = (
        [str(p.get("PayorOrgId")).strip() for p in payors if isinstance(p, dict)]
        if isinstance(payors, list)
        else []
    )
    return len(set(ids)) < len(ids)


def not_a_calendar_date(value: object) -> bool:
    """A date in one of the search's forms that names no day (2/31/2018, 2018-13-01)."""
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    try:
        if "/" in text:
            month, day, year = (int(part) for part in text.split("/"))
            datetime(year, month, day)
        else:
            datetime.fromisoformat(text)
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class Rule:
    """A rule of a contract that OpenAPI cannot state (it relates two values, or a value and what is
    stored), so schemathesis makes requests valid by the document that the contract refuses."""

    operations: frozenset[str]
    refused: Callable[[schemathesis.Case, schemathesis.Response], bool]
    reason: str


INVOICE_WRITES = frozenset({"POST /invoice/", "PUT /invoice/{id}"})
EBH_HISTORY = frozenset({"GET /ebh/statuses/{version}/history", "GET /statuses/api/{version}/history"})
EBH_STATUS_UPDATE = frozenset({"PUT /ebh/statuses/{version}/invoice", "PUT /statuses/api/{version}/invoice"})
EBH_SEARCH = frozenset({"POST /ebh/statuses/{version}/search", "POST /statuses/api/{version}/search"})
EBH_DETAILS = frozenset({"GET /ebh/statuses/{version}/details", "GET /statuses/api/{version}/details"})
EBH_SUBMISSION_REQUESTS = frozenset(
    {
        "POST /ebh/submissions/{version}/SubmissionRequests",
        "POST /submissions/api/{version}/SubmissionRequests",
    }
)
RULES_OPENAPI_CANNOT_STATE = (
    Rule(
        INVOICE_WRITES,
        lambda case, response: refused_field(response, "paid_amount", "exceeds total_amount"),
        "seed 003: paid_amount may not exceed the total its items and discounts make (422)",
    ),
    Rule(
        frozenset({"PUT /invoice/{id}"}),
        lambda case, response: (
            response.status_code == 412 and any(name.lower() == "if-match" for name in case.headers or {})
        ),
        "seed 003's lost-update guard: an If-Match that does not name the invoice's current version (the "
        "server's state, which a document cannot give) is answered 412",
    ),
    Rule(
        frozenset({"POST /billing/invoice/create"}),
        lambda case, response: (
            not body_of(case).get("charges") and refused_field(response, "charges", "no outstanding charges")
        ),
        "Decoda (seed 004): without charges the patient's outstanding balance is invoiced; the suite's "
        "patients owe nothing, so the contract asks for charges (422)",
    ),
    Rule(
        frozenset(
            {
                "POST /billing/invoice/create",
                "POST /billing/rule-set/create",
                "PUT /billing/rule-set/edit/{rule_set_id}",
            }
        ),
        lambda case, response: (
            response.status_code == 422
            and all(
                "{url} and {first_name}" in issue.get("msg", "")
                for issue in response.json().get("detail", [{}])
            )
        ),
        "Decoda: a rule's message must contain {url} and {first_name} (the message of an escalating rule "
        "without one of its own is the request's: two values). JSON Schema could say it with lookaheads, "
        "which no generator can produce from, so the document says it in words",
    ),
    Rule(
        frozenset({"POST /v1/webhook/create", "PUT /v1/webhook/update/{webhook_id}"}),
        lambda case, response: refused_field(response, "url", "the webhook's"),
        "Decoda's webhooks: a URL must be https and lead to a public address (server-side request forgery), "
        "which depends on what its host resolves to, not on its text (422 at body.url)",
    ),
    Rule(
        frozenset({"PUT /billing/rule-set/edit/{rule_set_id}"}),
        lambda case, response: refused_field(response, "rules", "a new rule needs delayInDays and methods"),
        "Decoda's rule set edit: a rule without an id is a new one, and a new rule needs delayInDays and "
        "methods (an existing one keeps its own): fields required by another's absence (422 at body.rules)",
    ),
    Rule(
        frozenset({"PUT /billing/invoice/execute-action"}),
        lambda case, response: (
            response.status_code == 422
            and all(
                "is required for the action" in issue.get("msg", "")
                for issue in response.json().get("detail", [{}])
            )
        ),
        "Decoda's execute-action: `change rule set` needs ruleSetId and `write-off` writeOffReason, a field "
        "required by another's value (OpenAPI 3.0 has no if/then)",
    ),
    Rule(
        frozenset({"POST /ebh/submissions/{version}"}),
        lambda case, response: response.status_code == 400 and repeated_payer(case),
        "eBillingHub: one entry per payer, so a PayorOrgId may appear once in Payors (400); JSON Schema's "
        "uniqueItems compares whole entries, not one field of them",
    ),
    Rule(
        EBH_HISTORY | EBH_STATUS_UPDATE,
        lambda case, response: (
            response.status_code == 400 and not {"SubmissionId", "InvoiceId"} & set(case.query or {})
        ),
        'seed 002 requires SubmissionId or InvoiceId ("either ... should be specified"; 400 without both), '
        "which OpenAPI cannot say of two query parameters",
    ),
    Rule(
        EBH_STATUS_UPDATE,
        lambda case, response: (
            response.status_code == 400
            and not {"PayorOrgId", "PayorOrgEBillingId"} & {k for k, v in (case.query or {}).items() if v}
        ),
        "the Status API's update requires PayorOrgId or PayorOrgEBillingId or both (400 without either), "
        "which OpenAPI cannot say of two query parameters",
    ),
    Rule(
        EBH_SUBMISSION_REQUESTS,
        lambda case, response: (
            response.status_code == 415
            and {k.lower(): v for k, v in (case.headers or {}).items()}.get("invoicetype") != "ESF"
        ),
        "the Submission API's InvoiceType is ESF or UBF, UBF when not sent; UBF's structure is not "
        "published, so a UBF invoice is refused 415 (a header's documented value the service cannot take)",
    ),
    Rule(
        EBH_SEARCH,
        lambda case, response: (
            response.status_code == 400
            and any(not_a_calendar_date(body_of(case).get(name)) for name in ("StartDate", "EndDate"))
        ),
        "the status search's dates are in a form the document's pattern gives (5/16/2018, 2018-05-16, "
        "2018-05-16T05:50:06) and on the calendar: 2/31/2018 has the form, not the day (400)",
    ),
    Rule(
        EBH_DETAILS,
        lambda case, response: response.status_code == 400 and "InvoiceId takes" in response.text,
        "the details take up to 100 invoice numbers of up to 64 characters, given repeated or separated by "
        "commas: a bound on the values a comma-separated list holds, which OpenAPI cannot state",
    ),
)


def positive_data_acceptance(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Schemathesis' `positive_data_acceptance`, but for a refusal one of RULES_OPENAPI_CANNOT_STATE makes."""
    try:
        return EVERY_CHECK["positive_data_acceptance"](ctx, response, case)
    except RejectedPositiveData:
        label = case.operation.label
        if any(
            label in rule.operations and rule.refused(case, response) for rule in RULES_OPENAPI_CANNOT_STATE
        ):
            return None
        raise


API_GATEWAY_NO_ROUTE = {"message": "Not Found"}


@functools.cache
def template_routes() -> Gateway:
    """The template's routes, matched as the HTTP API matches them (path and method together)."""
    return Gateway(load_stack())


def unsupported_method_answered_as_api_gateway(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A method the document does not give a path is answered as an HTTP API answers it: 404 and its
    message where no route takes the path and method; where one does (`PUT /billing/invoice/create` is
    `PUT /billing/invoice/{id}`), that route's function answers, never with a 5xx."""
    if coverage_scenario(case) != CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        return True  # not such a request: skipped
    label = f"{case.method} {case.formatted_path}: {response.status_code}"
    if template_routes().match(case.method.upper(), case.formatted_path) is not None:
        assert response.status_code < 500, label
        return None
    assert response.status_code == 404, label
    if case.method != "HEAD":
        assert response.json() == API_GATEWAY_NO_ROUTE, label
    return None


#: the checks the suite runs: every one not excluded (positive_data_acceptance as told above), and the
#: one that stands for unsupported_method
CHECKS_RUN = [
    *(
        positive_data_acceptance if name == "positive_data_acceptance" else check
        for name, check in EVERY_CHECK.items()
        if name not in EXCLUDED
    ),
    unsupported_method_answered_as_api_gateway,
]
DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_path(str(DOCUMENT))
# eBillingHub's XML invoices: the document gives their body as an opaque payload, so valid ones are made
# from the eSF field tables (schemathesis' negative cases still send any bytes)
schemathesis.openapi.media_type(XML, esf_documents())


#: the document's security schemes and the headers each sets
SCHEME_HEADERS = {
    "OAuth2PasswordBearer": ("Authorization",),
    "DecodaTenant": ("TENANT",),
    "DecodaApiKey": ("API-KEY",),
    "EbhProducerId": ("ProducerId",),
    "EbhProviderKey": ("ProviderKey",),
}
#: each practice's credentials by header name, once it exists: the suite's own, and its peer's
OWNER, PEER = "practice", "peer"
CREDENTIALS: dict[str, dict[str, str]] = {OWNER: {}, PEER: {}}
PLACEHOLDER = "credential-of-the-practice-to-come"
#: the tally of the running session, once it exists (the schema's hook below counts into it)
TALLIES: list[Tally] = []


@pytest.fixture(autouse=True)
def credentials(
    new_practice: Callable[..., Practice],
    http: httpx.Client,
    peer_scheme_headers: dict[str, dict[str, str]],
    tally: Tally,
) -> None:
    """Each test's requests go as a practice of its own, which holds what `seeded` gives it and what the
    test's own requests make: what a list answers is that, never what the other operations' tests left
    (a practice holding every test's thousands of invoices made each list read them all)."""
    practice = seeded(http, new_practice(admin=True))
    for identity, by_scheme in ((OWNER, credentials_by_scheme(practice)), (PEER, peer_scheme_headers)):
        CREDENTIALS[identity].update(
            {name: value for headers in by_scheme.values() for name, value in headers.items()}
        )
    TALLIES[:] = [tally]
    for_some = Counter(name for name, _ in EXCLUDED_FOR)
    tally.excluded = (*EXCLUDED, *(f"{name} for {n} operations" for name, n in for_some.items()))


@pytest.fixture(scope="module", autouse=True)
def sends_held(stack: LocalStack) -> Iterator[None]:
    """No send is made while the suite runs (the Sender's queue is not polled, the schedule does not run):
    what the suite's requests create waits in SendQueue. A send failing in the background (a patient the
    suite names has no contact) would change what the next scenario's calls answer (the failed list,
    retryallfailed's Data), and Hypothesis takes an answer that depends on the time it ran at for a test
    that generates its data inconsistently. The answers themselves never wait on a send."""
    with stack.sends_paused(), stack.schedule_paused():
        yield


class PracticeCredentials:
    """One practice's credentials. Schemathesis applies an operation's credentials itself (the headers its
    security requirement names) when it sends a case, so it leaves them out of a case made to test their
    absence and expects a refusal. (It also applies them to the cases it makes while pytest collects,
    before the practice exists: those get a placeholder, which `prepared` replaces.)"""

    def __init__(self, identity: str) -> None:
        self.identity = identity

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> dict[str, str]:
        if self.identity == PEER:
            for tally in TALLIES:
                tally.peer_requests += 1
        return {
            name: CREDENTIALS[self.identity].get(name, PLACEHOLDER)
            for requirement in case.operation.definition.raw.get("security", [])
            for scheme in requirement
            for name in SCHEME_HEADERS[scheme]
        }

    def set(self, case: schemathesis.Case, data: dict[str, str], context: schemathesis.AuthContext) -> None:
        case.headers.update(data)


# Every request goes as the suite's practice; `object_level_authorization` replays its reads of what it
# created as the peer practice (schemathesis' identities for that check, as its `[auth.wfc]` peers are).
schema.auth.providers.append(
    EscalatingAuthProvider(
        [PracticeCredentials(OWNER), PracticeCredentials(PEER)],
        [OWNER, PEER],
        peers=(OWNER, PEER),
        pinned=OWNER,
    )
)


@schema.hook
def after_validate(
    context: schemathesis.HookContext,
    case: schemathesis.Case,
    response: schemathesis.Response,
    results: list[Any],
) -> None:
    """Counts, per check, the answers it judged and those it failed."""
    for tally in TALLIES:
        for result in results:
            tally.judged(result.name, result.failure is None)


def prepared(case: schemathesis.Case, once: bool = False) -> None:
    """The practice's credentials where a case made during collection holds the placeholder; and an
    Idempotency-Key of the body's own. The contract answers a key sent again with another body 422
    (seed 003's idempotency), which OpenAPI cannot say: schemathesis sends `0` as the key of many
    bodies, and takes the 422 for a valid request refused. A key the document allows (1 to 255
    characters) ends with a digest of the body, so the same case sent again is replayed; a key it
    refuses is sent as generated. `once`: the key is this call's alone (a workflow's: a create replayed
    after a later step deleted what it made answers the first, now deleted, id, as idempotency says, which
    the checks would take for a created resource gone missing)."""
    for name, value in list(case.headers.items()):
        if value == PLACEHOLDER:
            case.headers[name] = CREDENTIALS[OWNER][name]
        elif name.lower() == "idempotency-key" and isinstance(value, str) and 1 <= len(value) <= 255:
            body = json.dumps(case.body, sort_keys=True, default=repr).encode()
            if once:
                body += uuid.uuid4().bytes
            case.headers[name] = f"{value[:238]}-{hashlib.sha256(body).hexdigest()[:16]}"


def scenario_own(case: schemathesis.Case, name: str, ids: dict[str, str]) -> None:
    """The path's id `name`, when it is a UUID, as this scenario's own: a generated id becomes a fresh one
    (the same one each time the scenario names it), an id an answer gave is kept."""
    value = (case.path_parameters or {}).get(name)
    if not isinstance(value, str) or value in ids.values():
        return
    try:
        uuid.UUID(value)
    except ValueError:
        return  # not an id: the case's data as generated (a negative case stays one)
    case.path_parameters[name] = ids.setdefault(value, str(uuid.uuid4()))


def checks_for(operation: str) -> list[schemathesis.CheckFunction]:
    return [check for check in CHECKS_RUN if (check.__name__, operation) not in EXCLUDED_FOR]


def validated(tally: Tally) -> Callable[..., None]:
    def validate(response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any) -> None:
        tally.sent(case.operation.label, response.status_code)
        try:
            case.validate_response(response, checks=checks_for(case.operation.label), **kwargs)
        except (Failure, FailureGroup):
            tally.violations += 1
            raise

    return validate


def test_every_check_schemathesis_has_is_run_or_left_out_with_its_reason() -> None:
    operations = {
        f"{method.upper()} {path}"
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
    }
    assert set(EXCLUDED) <= set(EVERY_CHECK)
    assert {name for name, _ in EXCLUDED_FOR} <= set(EVERY_CHECK) - set(EXCLUDED)
    assert {operation for _, operation in EXCLUDED_FOR} <= operations
    assert {operation for rule in RULES_OPENAPI_CANNOT_STATE for operation in rule.operations} <= operations
    reasons = [
        *EXCLUDED.values(),
        *EXCLUDED_FOR.values(),
        *(rule.reason for rule in RULES_OPENAPI_CANNOT_STATE),
    ]
    assert all(reason.strip() for reason in reasons)
    assert set(EVERY_CHECK) <= {check.__name__ for check in CHECKS_RUN} | set(EXCLUDED)


@schema.parametrize()
@settings(DETERMINISTIC, max_examples=MAX_EXAMPLES)
def test_every_answer_is_one_the_document_describes(
    case: schemathesis.Case, stack: LocalStack, tally: Tally
) -> None:
    # given a generated request, with its operation's credentials
    prepared(case)
    # when it is sent to the local stack
    response = case.call(base_url=stack.url, timeout=30)
    # then every check finds it answered as the document says
    validated(tally)(response, case)


def test_workflows_through_the_api_get_only_documented_answers(
    stack: LocalStack, tally: Tally, new_practice: Callable[..., Practice]
) -> None:
    # given sequences of calls that feed one answer's ids to the next call (the document's links)
    validate = validated(tally)
    suites = dict(CREDENTIALS[OWNER])

    class Workflows(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # each sequence is a practice of its own, which starts with empty lists: what an answer lists
            # (the aborted sends, the failed ones) is what this sequence did, never what an earlier one
            # left, so the links Hypothesis can follow depend on the sequence alone
            by_scheme = credentials_by_scheme(new_practice(admin=True))
            CREDENTIALS[OWNER].update(
                {name: value for headers in by_scheme.values() for name, value in headers.items()}
            )
            # a practice names its own patients: the ids of a scenario are its own, so a contact one
            # scenario kept is not what the next finds under the same generated id (derandomized
            # generation repeats ids, and a scenario must not depend on another's writes)
            self.patients: dict[str, str] = {}

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            prepared(case, once=True)
            scenario_own(case, "patient_id", self.patients)
            return {"base_url": stack.url, "timeout": 30}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, *_: object, **kwargs: object
        ) -> None:
            # the scenario's record lets the checks look at earlier steps (created, deleted, whose)
            validate(response, case, recorder=self.recorder, transport_kwargs=kwargs or None)

    # when they run; then every check finds every answer as the document says
    try:
        Workflows.run(settings=settings(DETERMINISTIC, max_examples=WORKFLOWS, stateful_step_count=STEPS))
    finally:
        CREDENTIALS[OWNER].update(suites)
