"""What API Gateway answers itself, before any function runs: a method no route takes on each of the
document's paths, and a path no route has, are its 403 `{"message": "Missing Authentication Token"}`."""

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


def resource_of(patterns: set[tuple[str, ...]], segments: list[str]) -> tuple[str, ...] | None:
    """The resource API Gateway REST picks for a path, segment by segment: a literal child first, then a
    `{name}` child, then a `{name+}` child, which takes the rest; None when none takes a segment."""
    chosen: tuple[str, ...] = ()
    for depth, segment in enumerate(segments):
        children = {p[depth] for p in patterns if len(p) > depth and p[:depth] == chosen}
        params = sorted(c for c in children if c.startswith("{") and not c.endswith("+}"))
        greedy = sorted(c for c in children if c.endswith("+}"))
        if segment in children:
            chosen += (segment,)
        elif params:
            chosen += (params[0],)
        elif greedy:
            return (*chosen, greedy[0])
        else:
            return None
    return chosen


def routed(stack: LocalStack, method: str, path: str) -> bool:
    """Whether the template's resource for this path (a trailing slash is the same resource) has this
    method, or ANY."""
    patterns = {tuple(route.path.strip("/").split("/")) for route in stack.stack.routes}
    chosen = resource_of(patterns, path.strip("/").split("/"))
    return any(
        tuple(route.path.strip("/").split("/")) == chosen and route.method in (method, "ANY")
        for route in stack.stack.routes
    )


@pytest.mark.parametrize("operation", BY_PATH.values(), ids=list(BY_PATH))
def test_a_method_no_route_takes_is_the_gateways_403(
    operation: Operation, bases: dict[str, Base], stack: LocalStack, exercise: Exercise
) -> None:
    # given two methods the template routes nowhere for this path (the gateway's routing, not the function's)
    base = bases[operation.label]
    unrouted = [method for method in CANDIDATES if not routed(stack, method, base.path)][:2]
    assert unrouted
    # when each is sent; then the gateway's 403
    failures = exercise(operation, [unknown_method(base, method) for method in unrouted])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/invoice/edge/unknown", "/ebh/edge", "/api/v2/billing/invoices/failed"])
def test_a_path_no_route_has_is_the_gateways_403(
    path: str, bases: dict[str, Base], exercise: Exercise
) -> None:
    # given a path no route of the template matches, with a bearer token
    operation = OPERATIONS[0]
    request = EdgeRequest(f"path {path} (no route)", "GET", path.encode(), bases[operation.label].credentials)
    # when sent; then the gateway's 403
    failures = exercise(operation, [Edge(request, Expect.NO_ROUTE)])
    assert not failures, "\n".join(failures)
