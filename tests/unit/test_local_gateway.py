"""The local gateway picks the most specific route for a path and method, and refuses large bodies, as API
Gateway (HTTP API) does."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_hub_local.gateway import Gateway
from invoice_hub_local.template import FunctionSpec, Route, Stack, load_stack
from tests.conftest import Recorder

#: API Gateway's payload quota, 10 MB
MAX_PAYLOAD_BYTES = 10_485_760


@pytest.fixture(scope="module")
def template_gateway() -> Gateway:
    return Gateway(load_stack())


def synthetic(*routes: tuple[str, str]) -> Gateway:
    """A gateway over routes of our own, each served by a function named after its method and path."""
    specs = [Route(method, path, f"{method} {path}") for method, path in routes]
    functions = {r.function: FunctionSpec(r.function, Path("."), "app.handler", {}, 3, [r]) for r in specs}
    return Gateway(Stack("synthetic", {"Resources": {}}, {}, functions, specs))


def served_by(gw: Gateway, method: str, path: str) -> str | None:
    found = gw.match(method, path)
    return None if found is None else found[0].function


def request(method: str, path: str, **kwargs: Any) -> Request:
    return Request(EnvironBuilder(method=method, path=path, **kwargs).get_environ())


# --- literal resources before parameters, then the method -----------------------------------------


def test_a_path_and_method_no_route_has_is_not_found(template_gateway: Gateway) -> None:
    # given POST /billing/invoice/create and GET /billing/invoice/{id} in the template
    # when GET asks for create, then the route is GET /billing/invoice/{id} (an HTTP API routes by path
    # and method together), and DELETE, which no route of the path has, is 404
    assert served_by(template_gateway, "GET", "/billing/invoice/create") == "DecodaGetFunction"
    assert template_gateway.match("DELETE", "/billing/invoice/create") is None
    response = template_gateway.handle(request("DELETE", "/billing/invoice/create"))
    assert response.status_code == 404
    assert json.loads(response.get_data()) == {"message": "Not Found"}
    assert served_by(template_gateway, "POST", "/billing/invoice/create") == "DecodaCreateFunction"
    # a trailing slash is part of the path: no route of Decoda's takes it
    assert template_gateway.match("POST", "/billing/invoice/create/") is None


def test_template_routes_pick_the_most_specific_resource(template_gateway: Gateway) -> None:
    assert template_gateway.match("GET", "/billing/invoice/abc") == (
        Route("GET", "/billing/invoice/{id}", "DecodaGetFunction", None, ()),
        {"id": "abc"},
    )
    assert (
        served_by(template_gateway, "PUT", "/billing/invoice/execute-action") == "DecodaExecuteActionFunction"
    )
    assert served_by(template_gateway, "PUT", "/billing/invoice/retry-method") == "DecodaRetryMethodFunction"
    # execute-action and retry-method are PUT only: a GET of them is the invoice with that id
    assert template_gateway.match("GET", "/billing/invoice/execute-action") == (
        Route("GET", "/billing/invoice/{id}", "DecodaGetFunction", None, ()),
        {"id": "execute-action"},
    )
    assert template_gateway.match("GET", "/billing/invoice/retry-method/") is None
    assert served_by(template_gateway, "PUT", "/billing/invoice/abc/send-now") == "DecodaSendNowFunction"
    assert template_gateway.match("GET", "/billing/invoice/abc/send-now") is None
    # the parent resources exist but have no methods; neither has the root
    assert template_gateway.match("GET", "/billing/invoice") is None
    assert template_gateway.match("GET", "/") is None
    # Healthbridge's literal resources, and the practice id in the same position of /cancel
    assert (
        served_by(template_gateway, "GET", "/api/v1/billing/invoices/failed") == "HealthbridgeFailedFunction"
    )
    assert template_gateway.match("GET", "/api/v1/billing/invoices/retryallfailed") is None
    assert template_gateway.match("POST", "/api/v1/p1/billing/invoices/i1/cancel") == (
        Route(
            "POST",
            "/api/v1/{practiceid}/billing/invoices/{invoiceId}/cancel",
            "HealthbridgeCancelFunction",
            "CognitoJwt",
            ("aws.cognito.signin.user.admin",),
        ),
        {"practiceid": "p1", "invoiceId": "i1"},
    )


def test_the_path_and_the_method_are_matched_together() -> None:
    gw = synthetic(("POST", "/a/b"), ("GET", "/a/{x}"), ("DELETE", "/a/{x}"))
    assert served_by(gw, "POST", "/a/b") == "POST /a/b"
    assert gw.match("GET", "/a/b") == (Route("GET", "/a/{x}", "GET /a/{x}"), {"x": "b"})
    assert served_by(gw, "GET", "/a/c") == "GET /a/{x}"
    assert gw.match("DELETE", "/a/c/") is None  # a trailing slash is an empty segment no route takes
    assert served_by(gw, "GET", "/a/c/d") is None
    assert served_by(gw, "GET", "/a") is None


def test_a_literal_beats_a_parameter_and_a_greedy_path_comes_last() -> None:
    gw = synthetic(("GET", "/a/b"), ("GET", "/a/{x}"), ("ANY", "/{proxy+}"), ("GET", "/a/{x}/c"))
    assert served_by(gw, "GET", "/a/b") == "GET /a/b"
    assert served_by(gw, "GET", "/a/z") == "GET /a/{x}"
    assert gw.match("GET", "/a/z/c") == (Route("GET", "/a/{x}/c", "GET /a/{x}/c"), {"x": "z"})
    assert gw.match("GET", "/a/z/d") == (Route("ANY", "/{proxy+}", "ANY /{proxy+}"), {"proxy": "a/z/d"})
    assert gw.match("PUT", "/other/path") == (
        Route("ANY", "/{proxy+}", "ANY /{proxy+}"),
        {"proxy": "other/path"},
    )
    # no PUT route has /a/{x}'s path: the greedy ANY route serves it
    assert served_by(gw, "PUT", "/a/z") == "ANY /{proxy+}"


def test_when_a_literal_branch_ends_nowhere_a_parameter_sibling_may_still_match() -> None:
    gw = synthetic(("GET", "/a/b/c"), ("GET", "/a/{x}/d"))
    assert gw.match("GET", "/a/b/d") == (Route("GET", "/a/{x}/d", "GET /a/{x}/d"), {"x": "b"})
    assert served_by(gw, "GET", "/a/b/c") == "GET /a/b/c"
    assert served_by(gw, "GET", "/a/b/e") is None


def test_a_method_of_its_own_beats_any_on_the_same_resource() -> None:
    gw = synthetic(("ANY", "/p"), ("GET", "/p"))
    assert served_by(gw, "GET", "/p") == "GET /p"
    assert served_by(gw, "POST", "/p") == "ANY /p"
    assert served_by(gw, "POST", "/p/") is None


def test_a_full_match_anywhere_beats_a_greedy_route() -> None:
    # "Routing API requests": a full match of route and method first, then a greedy path variable
    gw = synthetic(("GET", "/a/{proxy+}"), ("GET", "/{x}/b"), ("GET", "/a/c/{proxy+}"))
    assert gw.match("GET", "/a/b") == (Route("GET", "/{x}/b", "GET /{x}/b"), {"x": "a"})
    # among greedy routes, the one nearest the end of the path
    assert served_by(gw, "GET", "/a/c/d/e") == "GET /a/c/{proxy+}"
    assert served_by(gw, "GET", "/a/d/e") == "GET /a/{proxy+}"


def test_a_trailing_slash_is_the_greedy_routes_with_an_empty_rest() -> None:
    # given the contract's `/invoice/` served as the template serves it: `/invoice` and `/invoice/{proxy+}`
    gw = synthetic(("POST", "/invoice"), ("POST", "/invoice/{proxy+}"), ("GET", "/invoice/{id}"))
    # then the exact path is the exact route, the slash the greedy one with nothing taken, and a deeper
    # path the greedy one with the rest
    assert gw.match("POST", "/invoice") == (Route("POST", "/invoice", "POST /invoice"), {})
    assert gw.match("POST", "/invoice/") == (
        Route("POST", "/invoice/{proxy+}", "POST /invoice/{proxy+}"),
        {"proxy": ""},
    )
    assert gw.match("POST", "/invoice/x/y") == (
        Route("POST", "/invoice/{proxy+}", "POST /invoice/{proxy+}"),
        {"proxy": "x/y"},
    )
    # a `{param}` takes no empty segment, and a greedy route without the slash takes nothing
    assert gw.match("GET", "/invoice/") is None
    assert served_by(gw, "GET", "/invoice/abc") == "GET /invoice/{id}"
    assert gw.match("GET", "/invoice/abc/") is None


def test_two_variable_siblings_are_refused_as_api_gateway_refuses_them() -> None:
    with pytest.raises(ValueError, match="only one variable path part"):
        synthetic(("GET", "/a/{x}"), ("PUT", "/a/{y}"))


# --- the payload limit ---------------------------------------------------------------------------


def test_a_body_of_exactly_10_mb_reaches_the_function(recorder: Recorder) -> None:
    body = b"x" * MAX_PAYLOAD_BYTES
    response = synthetic(("POST", "/upload")).handle(request("POST", "/upload", data=body))
    assert response.status_code == 200
    assert [len(event["body"]) for event in recorder.events] == [10_485_760]


def test_a_body_of_10_mb_and_one_byte_is_request_too_long(recorder: Recorder) -> None:
    response = synthetic(("POST", "/upload")).handle(
        request("POST", "/upload", data=b"x" * (MAX_PAYLOAD_BYTES + 1))
    )
    assert response.status_code == 413
    assert json.loads(response.get_data()) == {"message": "Request Too Long"}
    assert recorder.events == []


class Endless(io.RawIOBase):
    """A request body that never ends (a chunked upload, say), counting what the server read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.read_bytes > 2 * MAX_PAYLOAD_BYTES:
            raise OSError("the gateway kept reading an endless body")
        size = len(buffer)
        buffer[:size] = b"y" * size
        self.read_bytes += size
        return size


def chunked(stream: io.IOBase) -> Request:
    """A request whose body has no Content-Length and is ended by the server (werkzeug's dechunked input)."""
    environ = EnvironBuilder(method="POST", path="/upload").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    return Request(environ)


def test_a_chunked_body_is_read_up_to_the_limit_and_one_byte_only(recorder: Recorder) -> None:
    endless = Endless()
    response = synthetic(("POST", "/upload")).handle(chunked(endless))
    assert response.status_code == 413
    assert json.loads(response.get_data()) == {"message": "Request Too Long"}
    assert endless.read_bytes == MAX_PAYLOAD_BYTES + 1
    assert recorder.events == []


def test_a_chunked_body_of_exactly_10_mb_reaches_the_function(recorder: Recorder) -> None:
    response = synthetic(("POST", "/upload")).handle(chunked(io.BytesIO(b"z" * MAX_PAYLOAD_BYTES)))
    assert response.status_code == 200
    assert len(recorder.events[0]["body"]) == MAX_PAYLOAD_BYTES


def test_a_declared_length_over_the_limit_is_refused_unread(recorder: Recorder) -> None:
    endless = Endless()
    environ = EnvironBuilder(method="POST", path="/nowhere").get_environ()
    environ.update({"wsgi.input": endless, "CONTENT_LENGTH": str(MAX_PAYLOAD_BYTES + 1)})
    response = synthetic(("POST", "/upload")).handle(Request(environ))
    assert response.status_code == 413
    assert endless.read_bytes == 0
    assert recorder.events == []
