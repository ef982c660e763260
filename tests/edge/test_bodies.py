"""Bodies at the edge, for every operation: JSON nested 1,000 and 5,000 levels deep (closed and cut short),
huge and non-finite numbers (1e400, 400 digits, NaN, Infinity; in every number at once, then in each one),
odd strings in each string (a lone surrogate, NUL, control characters, 8 KB), a byte order mark, bytes that
are not UTF-8, cut short, empty, every media type the operation does not take (with a body and without),
1 MiB + 1 (past what the functions read); and, a few times only, 10 MB and one byte over it.

An operation that takes a body refuses another media type with 415 naming the one it takes, and a body it
cannot read with its contract's client error; one that takes no body answers as if none were sent."""

from __future__ import annotations

import pytest

from tests.edge.contract import Exercise, Sender, wrong
from tests.edge.document import BY_LABEL, OPERATIONS, Operation
from tests.edge.edges import Base, at_limit, body_edges, no_content_type, over_limit

pytestmark = pytest.mark.e2e
#: one operation of each contract that takes a body, and one that takes none (10 MB each)
OVER_LIMIT = [
    "POST /invoice/",
    "POST /auth/token",
    "POST /billing/invoice/create",
    "POST /ebh/submissions/{version}",
    "POST /api/v1/billing/invoices/retryallfailed",
]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_edge_bodies_get_the_contracts_client_errors(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid request, with one edge body each
    edges = list(body_edges(bases[operation.label]))
    # when each is sent; then none is a 5xx, each gets what its contract answers such a body
    failures = exercise(operation, edges)
    assert not failures, wrong(failures, len(edges))


TAKING_A_BODY = [operation for operation in OPERATIONS if operation.takes_body]


@pytest.mark.parametrize("operation", TAKING_A_BODY, ids=[operation.label for operation in TAKING_A_BODY])
def test_a_body_without_content_type_is_read_as_json(
    operation: Operation, bases: dict[str, Base], exercise: Exercise, sender: Sender
) -> None:
    # given the operation's valid body with no Content-Type (the media type it takes is not named)
    # when it is sent; then it is read as JSON, as the contracts' FastAPI servers read it (decision 007):
    # a JSON operation answers as it answers the valid request, the token's form 415 naming the form, and
    # eBillingHub's XML (whose Content-Type its Submission API requires) 415 naming application/xml
    base = bases[operation.label]
    failures = exercise(operation, [no_content_type(base)])
    assert not failures, "\n".join(failures)
    if not operation.takes_form and not operation.takes_xml:
        # and the same body again, sent without and then with its Content-Type, gets the same answer
        without, with_type = no_content_type(base).request, base.request("the valid request")
        answers = [sender(operation, request) for request in (without, with_type)]
        assert answers[0].status == answers[1].status != 415, [answer.excerpt for answer in answers]


@pytest.mark.parametrize("label", OVER_LIMIT)
def test_a_body_over_10_mb_is_the_gateways_413(
    label: str, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given 10,485,761 bytes of body; when sent; then API Gateway's 413 {"message": "Request Too Long"}
    operation = BY_LABEL[label]
    failures = exercise(operation, [over_limit(bases[label])])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("label", ["POST /invoice/", "POST /ebh/submissions/{version}"])
def test_a_body_of_10_mb_is_the_functions_to_answer(
    label: str, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given 10,485,760 bytes, which API Gateway passes on; when sent; then the contract's answer, no 5xx
    operation = BY_LABEL[label]
    failures = exercise(operation, [at_limit(bases[label])])
    assert not failures, "\n".join(failures)
