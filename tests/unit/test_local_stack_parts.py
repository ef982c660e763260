"""The local stack's parts that must behave like AWS: template reading, routing, proxy responses."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_hub_local import openapi
from invoice_hub_local.gateway import Gateway, proxy_event, proxy_to_response
from invoice_hub_local.provision import Resolved, Unresolvable
from invoice_hub_local.template import Route, Stack, load_stack


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load_stack()


def test_every_function_has_its_code_and_a_log_group_with_retention(stack: Stack) -> None:
    log_groups = stack.resources("AWS::Logs::LogGroup")
    for function in stack.functions.values():
        assert (function.code_dir / "app.py").is_file(), function.logical_id
        # one endpoint per function: `/invoice/{proxy+}` only carries `/invoice/` to `/invoice`'s function
        endpoints = {(r.method, r.path.removesuffix("/{proxy+}")) for r in function.routes}
        assert len(endpoints) <= 1, f"{function.logical_id}: one Lambda per endpoint"
        name = function.logical_id.removesuffix("Function")
        assert log_groups[f"{name}LogGroup"]["Properties"]["RetentionInDays"]


def test_api_functions_time_out_before_api_gateway_does(stack: Stack) -> None:
    assert all(function.timeout <= 29 for function in stack.functions.values() if function.routes)


def test_routes_are_the_contract_paths(stack: Stack) -> None:
    routes = {(r.method, r.path) for r in stack.routes}
    assert {
        ("POST", "/auth/token"),
        ("POST", "/invoice"),
        ("GET", "/invoice"),
        ("GET", "/invoice/{id}"),
        ("PUT", "/invoice/{id}"),
        ("DELETE", "/invoice/{id}"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
    } <= routes


def test_gateway_matches_trailing_slash_and_parameters_like_api_gateway(stack: Stack) -> None:
    gateway = Gateway(stack)
    found = gateway.match("POST", "/invoice/")
    assert found is not None
    assert (found[0].path, found[0].function) == ("/invoice/{proxy+}", "InvoiceCreateFunction")
    assert found[1] == {"proxy": ""}
    found = gateway.match("GET", "/invoice/abc")
    assert found is not None
    assert found[1] == {"id": "abc"}
    assert gateway.match("PATCH", "/invoice/abc") is None
    # a deeper path is the greedy route's (whose function answers it as the gateway's 404)
    assert gateway.match("GET", "/invoice/abc/def") == (
        Route(
            "GET",
            "/invoice/{proxy+}",
            "InvoiceListFunction",
            "CognitoJwt",
            ("aws.cognito.signin.user.admin",),
        ),
        {"proxy": "abc/def"},
    )
    assert gateway.match("PUT", "/invoice/abc/def") is None


def test_unknown_route_answers_not_found_as_an_http_api_does(stack: Stack) -> None:
    response = Gateway(stack).handle(Request(EnvironBuilder(method="GET", path="/nowhere").get_environ()))
    assert response.status_code == 404
    assert json.loads(response.get_data()) == {"message": "Not Found"}


def test_proxy_event_has_the_payload_1_0_shape() -> None:
    builder = EnvironBuilder(
        method="GET", path="/invoice/", query_string="tags=a&tags=b&limit=5", headers=[("X-Trace", "1")]
    )
    event = proxy_event(Request(builder.get_environ()), Route("GET", "/invoice", "F"), {})
    assert event["resource"] == "/invoice"
    assert event["queryStringParameters"] == {"tags": "b", "limit": "5"}
    assert event["multiValueQueryStringParameters"]["tags"] == ["a", "b"]
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["requestContext"]["resourcePath"] == "/invoice"


def test_malformed_lambda_response_is_a_bad_gateway() -> None:
    assert proxy_to_response({"body": "x"}).status_code == 502
    assert proxy_to_response("not a dict").status_code == 502
    ok = proxy_to_response({"statusCode": 201, "multiValueHeaders": {"ETag": ['"1"']}, "body": "{}"})
    assert ok.status_code == 201
    assert ok.headers["ETag"] == '"1"'


def test_intrinsics_resolve_and_unknown_references_wait() -> None:
    resolved = Resolved(refs={"Table": "t", "AWS::Region": "r"}, attrs={("Table", "Arn"): "arn:t"})
    assert resolved.resolve({"Fn::Sub": "${Table}/${Table.Arn}@${AWS::Region}"}) == "t/arn:t@r"
    assert resolved.resolve({"Fn::Join": ["-", [{"Ref": "Table"}, "x"]]}) == "t-x"
    with pytest.raises(Unresolvable):
        resolved.resolve({"Ref": "Queue"})


def test_committed_openapi_document_matches_the_code() -> None:
    assert openapi.DOCUMENT.read_text(encoding="utf-8") == openapi.render(openapi.generate()), (
        "the committed OpenAPI document is stale: run `make openapi`"
    )


def test_the_cli_environment_names_the_region_and_keys_the_local_stack_builds_with() -> None:
    from invoice_hub_local.provision import REGION
    from invoice_hub_local.stack import aws_environment, cli_environment

    cli = cli_environment("http://127.0.0.1:4566")
    assert cli == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    assert cli.items() <= aws_environment("http://127.0.0.1:4566").items()
