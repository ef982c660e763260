"""What API Gateway (an HTTP API) answers itself, before any function runs: a method no route takes on
each of the document's paths, and a path no route has, are its 404 `{"message": "Not Found"}`."""

from __future__ import annotations

import pytest

from invoice_hub_local.stack import LocalStack
from tests.edge.contract import Exercise
from tests.edge.document import OPERATIONS, Operation
from tests.edge.edges import Base, Edge, Expect, unknown_method
from tests.edge.wire import EdgeRequest

pytestmark = pytest.mark.e2e
#: one operation of each path of the document
BY_PATH = {operation.path: operation for operation in OPERATIONS}
CANDIDATES = ("PATCH", "DELETE", "PUT", "POST", "GET")


def matches(pattern: tuple[str, ...], segments: list[str]) -> bool:
    """Whether a route's path takes these segments: a literal itself, a `{name}` any one non-empty
    segment, a `{name+}` the rest (a trailing slash's empty segment too)."""
    for depth, part in enumerate(pattern):
        if part.endswith("+}"):
            return len(segments) > depth
        if depth >= len(segments) or not segments[depth]:
            return False
        if part != segments[depth] and not part.startswith("{"):
            return False
    return len(segments) == len(pattern)


def routed(stack: LocalStack, method: str, path: str) -> bool:
    """Whether a route of the template takes this path with this method, or ANY: an HTTP API matches the
    path and the method together, and a trailing slash is part of the path."""
    segments = path.split("/")[1:]
    return any(
        route.method in (method, "ANY") and matches(tuple(route.path.strip("/").split("/")), segments)
        for route in stack.stack.routes
    )


@pytest.mark.parametrize("operation", BY_PATH.values(), ids=list(BY_PATH))
def test_a_method_no_route_takes_is_the_gateways_404(
    operation: Operation, bases: dict[str, Base], stack: LocalStack, exercise: Exercise
) -> None:
    # given two methods the template routes nowhere for this path (the gateway's routing, not the function's)
    base = bases[operation.label]
    unrouted = [method for method in CANDIDATES if not routed(stack, method, base.path)][:2]
    assert unrouted
    # when each is sent; then the gateway's 404
    failures = exercise(operation, [unknown_method(base, method) for method in unrouted])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/invoice/edge/unknown", "/ebh/edge", "/api/v2/billing/invoices/failed"])
def test_a_path_no_route_has_is_the_gateways_404(
    path: str, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given a path no route of the template matches, with a bearer token
    operation = OPERATIONS[0]
    request = EdgeRequest(f"path {path} (no route)", "GET", path.encode(), bases[operation.label].credentials)
    # when sent; then the gateway's 404
    failures = exercise(operation, [Edge(request, Expect.NO_ROUTE)])
    assert not failures, "\n".join(failures)
