"""Headers at the edge, in every operation's otherwise valid request: UTF-8 text, control characters,
8 KB and bytes that are not UTF-8 in a header the operation ignores, in Accept, User-Agent, the headers it
declares (Idempotency-Key, If-Match) and Content-Type; each of them repeated. Then wrong credentials of
every kind, non-ASCII ones included: the contract's 401 (eBillingHub without its headers: 400; a bearer
token API Gateway's JWT authorizer's 401)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Practice
from tests.edge.contract import Exercise, wrong
from tests.edge.document import OPERATIONS, Operation
from tests.edge.edges import Base, credential_edges, header_edges

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_edge_headers_get_no_server_error_and_the_contracts_errors(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid request, with one edge header each
    edges = list(header_edges(bases[operation.label]))
    # when each is sent; then no answer is a 5xx, and every 4xx is the contract's error body
    failures = exercise(operation, edges)
    assert not failures, wrong(failures, len(edges))


SECURED = [operation for operation in OPERATIONS if operation.schemes]


@pytest.mark.parametrize("operation", SECURED, ids=[operation.label for operation in SECURED])
def test_wrong_credentials_of_every_kind_are_the_contracts_401(
    operation: Operation, bases: dict[str, Base], practice_of: Callable[[str], Practice], exercise: Exercise
) -> None:
    # given the operation's valid request with wrong, non-ASCII, control, 8 KB or missing credentials
    edges = list(credential_edges(bases[operation.label], practice_of(operation.label).token))
    # when each is sent; then each is refused as the contract refuses wrong credentials
    failures = exercise(operation, edges)
    assert not failures, wrong(failures, len(edges))
