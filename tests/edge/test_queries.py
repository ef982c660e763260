"""Query strings and path parameters at the edge, for every operation.

Query: each of its parameters and one it does not take, repeated, 8 KB long, UTF-8 (percent-encoded and
raw), not UTF-8, with control characters, huge and non-finite numbers; 8 KB of repeated names; a non-ASCII
name. Path: each parameter UTF-8, 8 KB, not UTF-8, with NUL, a lone %, an encoded slash, dots, 400 digits.
None may be a 5xx; every 4xx is the contract's error body (or API Gateway's 404 for a path no route has)."""

from __future__ import annotations

import pytest

from tests.edge.contract import Exercise, wrong
from tests.edge.document import OPERATIONS, Operation
from tests.edge.edges import Base, path_edges, query_edges

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_edge_query_strings_get_no_server_error_and_the_contracts_errors(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid request, with one edge query string each
    edges = list(query_edges(bases[operation.label]))
    # when each is sent; then no answer is a 5xx, and every 4xx is the contract's error body
    failures = exercise(operation, edges)
    assert not failures, wrong(failures, len(edges))


WITH_PATH_PARAMETERS = [operation for operation in OPERATIONS if "{" in operation.path]


@pytest.mark.parametrize("operation", WITH_PATH_PARAMETERS, ids=[op.label for op in WITH_PATH_PARAMETERS])
def test_edge_path_parameters_get_no_server_error_and_the_contracts_errors(
    operation: Operation, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given the operation's valid request, with one path parameter at the edge each
    edges = list(path_edges(bases[operation.label]))
    # when each is sent; then no 5xx, and every 4xx is the contract's error body (or the gateway's 404)
    failures = exercise(operation, edges)
    assert not failures, wrong(failures, len(edges))
