"""Schemathesis over the service's own OpenAPI document, against the local stack: every operation,
authenticated as its contract's clients are. No answer may be a server error, and every answer must be
one the document describes (its status, media type, headers and body); a request the document says is
invalid must be refused with a 4xx.

Deterministic and bounded: Hypothesis is derandomized (the same cases every run, no example database
written). Each operation gets the document's examples, schemathesis' coverage cases (boundary and
invalid values of every parameter, other methods) and up to MAX_EXAMPLES generated cases; then
WORKFLOWS sequences of up to STEPS calls follow the document's links (a created invoice is read,
updated, deleted; a Decoda send is read and sent now; a submission's history is read).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from invoice_hub_local.openapi import DOCUMENT
from invoice_hub_local.stack import LocalStack
from tests.fuzz.conftest import Tally

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 75
WORKFLOWS = 40
STEPS = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: workflows check the answers only: a workflow's negative step can be one that no request could tell
#: from a valid one (`?tags=x` is an array of one tag whether schemathesis meant an array or a string)
WORKFLOW_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]
DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_path(str(DOCUMENT))


#: the document's security schemes and the headers each sets
SCHEME_HEADERS = {
    "OAuth2PasswordBearer": ("Authorization",),
    "DecodaTenant": ("TENANT",),
    "DecodaApiKey": ("API-KEY",),
    "EbhProducerId": ("ProducerId",),
    "EbhProviderKey": ("ProviderKey",),
}
#: the suite's practice's credentials by header name, once it exists
CREDENTIALS: dict[str, str] = {}
PLACEHOLDER = "credential-of-the-practice-to-come"


@pytest.fixture(scope="module", autouse=True)
def credentials(scheme_headers: dict[str, dict[str, str]]) -> None:
    CREDENTIALS.update(
        {name: value for headers in scheme_headers.values() for name, value in headers.items()}
    )


@schema.auth(refresh_interval=None)  # no caching: the credentials change once the practice exists
class PracticeCredentials:
    """Schemathesis applies each operation's credentials itself (the headers its security requirement
    names) when it sends a case, so it leaves them out of a case made to test their absence and expects
    a refusal. (It also applies them to the cases it makes while pytest collects, before the practice
    exists: those get a placeholder, which `with_credentials` replaces.)"""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> dict[str, str]:
        return {
            name: CREDENTIALS.get(name, PLACEHOLDER)
            for requirement in case.operation.definition.raw.get("security", [])
            for scheme in requirement
            for name in SCHEME_HEADERS[scheme]
        }

    def set(self, case: schemathesis.Case, data: dict[str, str], context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), **data}


def with_credentials(case: schemathesis.Case) -> None:
    """The practice's credentials where a case made during collection holds the placeholder."""
    if case.headers:
        case.headers = {
            name: CREDENTIALS[name] if value == PLACEHOLDER else value for name, value in case.headers.items()
        }


def validated(
    tally: Tally, checks: list[schemathesis.CheckFunction]
) -> Callable[[schemathesis.Response, schemathesis.Case], None]:
    def validate(response: schemathesis.Response, case: schemathesis.Case) -> None:
        tally.sent(case.operation.label, response.status_code)
        try:
            case.validate_response(response, checks=checks)
        except (Failure, FailureGroup):
            tally.violations += 1
            raise

    return validate


@schema.parametrize()
@settings(DETERMINISTIC, max_examples=MAX_EXAMPLES)
def test_every_answer_is_one_the_document_describes(
    case: schemathesis.Case, stack: LocalStack, tally: Tally
) -> None:
    # given a generated request, with its operation's credentials
    with_credentials(case)
    # when it is sent to the local stack
    response = case.call(base_url=stack.url, timeout=30)
    # then it is no server error, and it is an answer the document gives for such a request
    validated(tally, CHECKS)(response, case)


def test_workflows_through_the_api_get_only_documented_answers(stack: LocalStack, tally: Tally) -> None:
    # given sequences of calls that feed one answer's ids to the next call (the document's links)
    validate = validated(tally, WORKFLOW_CHECKS)

    class Workflows(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            with_credentials(case)
            return {"base_url": stack.url, "timeout": 30}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, *_: object, **__: object
        ) -> None:
            validate(response, case)

    # when they run; then every answer is one the document describes
    Workflows.run(settings=settings(DETERMINISTIC, max_examples=WORKFLOWS, stateful_step_count=STEPS))
