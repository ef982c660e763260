"""What API Gateway answers itself, before any function runs: a method no route takes on each of the
document's paths, and a path no route has, are its 403 `{"message": "Missing Authentication Token"}`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from invoice_hub_local.stack import LocalStack
from tests.edge.document import OPERATIONS, Operation
from tests.edge.edges import Base, Edge, Expect, unknown_method
from tests.edge.wire import EdgeRequest

pytestmark = pytest.mark.e2e
Exercise = Callable[[Operation, Iterable[Edge]], list[str]]
#: one operation of each path of the document
BY_PATH = {operation.path: operation for operation in OPERATIONS}
CANDIDATES = ("PATCH", "DELETE", "PUT", "POST", "GET")


def routed(stack: LocalStack, method: str, path: str) -> bool:
    """Whether a route of the template takes this method on this path (a `{name}` segment takes any one
    segment, `{name+}` the rest; a trailing slash matches the same resource)."""
    segments = path.strip("/").split("/")
    for route in stack.stack.routes:
        if route.method not in (method, "ANY"):
            continue
        pattern = route.path.strip("/").split("/")
        greedy = bool(pattern) and pattern[-1].endswith("+}")
        if len(pattern) != len(segments) and not (greedy and len(segments) >= len(pattern)):
            continue
        if all(p.startswith("{") or p == s for p, s in zip(pattern, segments, strict=False)):
            return True
    return False


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
