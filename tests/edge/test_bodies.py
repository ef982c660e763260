"""Bodies at the edge, for every operation: JSON nested 1,000 and 5,000 levels deep (closed and cut short),
huge and non-finite numbers (1e400, 400 digits, NaN, Infinity; in every number at once, then in each one),
odd strings in each string (a lone surrogate, NUL, control characters, 8 KB), a byte order mark, bytes that
are not UTF-8, cut short, empty, every media type the operation does not take (with a body and without),
1 MiB + 1 (past what the functions read); and, a few times only, 10 MB and one byte over it.

An operation that takes a body refuses another media type with 415 naming the one it takes, and a body it
cannot read with its contract's client error; one that takes no body answers as if none were sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from tests.edge.document import BY_LABEL, OPERATIONS, Operation
from tests.edge.edges import Base, Edge, at_limit, body_edges, no_content_type, over_limit

pytestmark = pytest.mark.e2e
IDS = [operation.label for operation in OPERATIONS]
Exercise = Callable[[Operation, Iterable[Edge]], list[str]]
#: one operation of each contract that takes a body, and one that takes none (10 MB each)
OVER_LIMIT = [
    "POST /invoice/",
    "POST /auth/token",
    "POST /billing/invoice/create",
    "POST /ebh/submissions/{version}",
    "POST /api/v1/billing/invoices/retryallfailed",
]


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_edge_bodies_get_the_contracts_client_errors(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid request, with one edge body each
    edges = list(body_edges(bases[operation.label]))
    # when each is sent; then none is a 5xx, each gets what its contract answers such a body
    failures = exercise(operation, edges)
    assert not failures, f"{len(failures)} of {len(edges)} answers wrong:\n" + "\n".join(failures)


TAKING_A_BODY = [operation for operation in OPERATIONS if operation.takes_body]


@pytest.mark.parametrize("operation", TAKING_A_BODY, ids=[operation.label for operation in TAKING_A_BODY])
def test_a_body_without_content_type_is_refused_with_415(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid body with no Content-Type (the media type it takes is not named)
    # when it is sent; then 415 naming the type it takes (not read as JSON, as FastAPI would:
    # decision 007 says otherwise; which rule the contract keeps is a decision to make, see the report)
    failures = exercise(operation, [no_content_type(bases[operation.label])])
    assert not failures, "\n".join(failures)


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
