"""The one reader of request bodies (size, media type, depth, content) and credentials compared as bytes:
no input a client can send makes either fail with an error instead of an answer (no network)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_hub.contracts.http import (
    FORM,
    JSON,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    body_problem,
    nests_within,
    read_json,
)
from invoice_hub.dal.credentials import Credential, key_hash


def event(body: str | bytes | None, content_type: str | None = JSON) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    if isinstance(body, bytes):
        return {"headers": headers, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"headers": headers, "body": body, "isBase64Encoded": False}


def nested(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + closing * depth


# -- depth, found before parsing --------------------------------------------------------------------
@pytest.mark.parametrize("depth", [0, 1, MAX_JSON_DEPTH])
def test_json_nested_up_to_the_bound_is_read(depth: int) -> None:
    assert read_json(nested(depth) or "[]") == json.loads(nested(depth) or "[]")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 5_000, 100_000])
def test_json_nested_deeper_is_a_decode_error_not_a_recursion_error(depth: int) -> None:
    # given arrays, or objects, nested deeper than the bound (json.loads raised RecursionError: a 5xx)
    for text in (nested(depth), '{"a":' * depth + "1" + "}" * depth):
        # then the reader refuses it as JSON it cannot decode
        with pytest.raises(json.JSONDecodeError):
            read_json(text)


def test_unclosed_brackets_are_refused_before_the_parser_recurses_into_them() -> None:
    with pytest.raises(json.JSONDecodeError):
        read_json("[" * 100_000)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 500 + '\\"{' * 100, "lines": [{"code": "]]]]"}]})
    assert nests_within(MAX_JSON_DEPTH, text)
    assert read_json(text)["lines"][0]["code"] == "]]]]"


@given(
    st.recursive(st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c))
)
@settings(max_examples=200, derandomize=True, database=None)
def test_depth_is_counted_as_the_parser_nests(value: Any) -> None:
    # given any JSON value; then the reader's bound agrees with the value's real depth
    text = json.dumps(value)

    def depth(v: Any) -> int:
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
        return (1 + max((depth(c) for c in children), default=0)) if isinstance(v, dict | list) else 0

    assert nests_within(MAX_JSON_DEPTH, text) is (depth(value) <= MAX_JSON_DEPTH)


# -- the body of an operation -------------------------------------------------------------------------
def test_an_operation_without_a_body_ignores_one() -> None:
    assert body_problem(event("not json at all", "text/plain"), None) is None


@pytest.mark.parametrize(
    ("content_type", "takes"),
    [
        ("text/plain", JSON),
        ("application/x-www-form-urlencoded", JSON),
        ("multipart/form-data; boundary=x", JSON),
        ("application/xml", JSON),
        ("application/octet-stream", JSON),
        ("application/json", FORM),
        ("text/plain", FORM),
    ],
)
def test_a_body_in_another_media_type_names_the_one_the_operation_takes(
    content_type: str, takes: str
) -> None:
    problem = body_problem(event('{"a": 1}', content_type), takes)
    assert problem is not None
    assert problem.kind == "unsupported_media_type"
    assert takes in problem.message


@pytest.mark.parametrize("content_type", [None, "application/json", "Application/JSON; charset=utf-8"])
def test_a_json_object_is_read_whatever_the_spelling_of_its_type(content_type: str | None) -> None:
    assert body_problem(event('{"a": 1}', content_type), JSON) is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("[1, 2]", "not_an_object"),
        ('"text"', "not_an_object"),
        ("{", "json_invalid"),
        (nested(5_000), "json_invalid"),
        (b"\xff\xfe{}", "json_invalid"),
        ("1" * 400, "not_an_object"),
        ('{"a": 1e400}', None),
    ],
)
def test_json_content_that_is_no_object_is_named(body: str | bytes, kind: str | None) -> None:
    problem = body_problem(event(body), JSON)
    assert (problem.kind if problem else None) == kind


def test_a_body_over_the_bound_is_too_large_before_it_is_parsed() -> None:
    body = '{"a": "' + "x" * MAX_BODY_BYTES + '"}'
    problem = body_problem(event(body), JSON)
    assert problem is not None
    assert problem.kind == "too_large"
    assert body_problem(event(body.encode()), JSON) is not None  # base64 too


def test_a_multipart_form_needs_its_boundary() -> None:
    problem = body_problem(event("username=a", "multipart/form-data"), FORM)
    assert problem is not None
    assert problem.kind == "multipart_invalid"
    assert body_problem(event("username=a", FORM), FORM) is None


def test_a_multipart_form_is_utf_8_text() -> None:
    form = '--b\r\nContent-Disposition: form-data; name="username"\r\n\r\n{}\r\n--b--\r\n'
    taken = "multipart/form-data; boundary=b"
    assert body_problem(event(form.format("dé\U000d4258"), taken), FORM) is None
    problem = body_problem(event(form.format("x").encode().replace(b"x", b"\xff"), taken), FORM)
    assert problem is not None
    assert problem.kind == "multipart_invalid"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_an_empty_body_in_another_media_type_is_refused_as_such(content_type: str) -> None:
    # given no body, but a Content-Type the operation does not take (or a multipart one without boundary)
    problem = body_problem(event("", content_type), JSON)
    # then it is refused for its media type, naming the one taken, before the operation looks for a body
    assert problem is not None
    assert problem.kind == "unsupported_media_type"
    assert JSON in problem.message
    assert body_problem(event("", "multipart/form-data"), FORM) is not None


@pytest.mark.parametrize("content_type", [None, JSON])
def test_an_empty_body_in_the_media_type_taken_is_left_to_the_operation(content_type: str | None) -> None:
    assert body_problem(event("", content_type), JSON) is None
    assert body_problem(event(None, content_type), JSON) is None


# -- credentials ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("presented", ["démo", "dém\udc80o", "\x00", "🦷", "demo-practice"])
def test_a_name_of_any_characters_is_compared_without_an_error(presented: str) -> None:
    # given a key's record for the slug demo-practice, presented with a non-ASCII TENANT (it was a
    # TypeError from hmac.compare_digest on non-ASCII str: a 5xx)
    credential = Credential(kind="api-key", tenant_id=uuid.uuid4(), name="demo-practice")
    # then the comparison answers, and only the right name is accepted
    assert credential.accepts(presented) is (presented == "demo-practice")


def test_a_key_of_any_characters_has_a_hash() -> None:
    assert len(key_hash("clé-\udc80")) == 64
