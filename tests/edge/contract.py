"""What every answer to an edge request must be: never a server error, and each contract's error body.

`problems()` returns what is wrong with an answer, as sentences (empty: nothing); the tests assert it is
empty, so one failure names every problem of its answer.

- Invoice API, auth and Decoda: JSON `{"detail": <string or list of {type, loc, msg}>}`.
- Healthbridge: JSON `{"Message": "..."}`, or `<Error><Message>…</Message></Error>` to a client that
  negotiates XML.
- eBillingHub: JSON `{"Message": "..."}`, and an `OperationId` header on every answer.
- API Gateway's own answers, given before any function runs (an unknown path or method: 404; a body over
  10 MB: 413): `{"message": "..."}`, lowercase m. Only the requests that call for one may get one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from xml.etree import ElementTree

from tests.edge.document import JSON, Operation
from tests.edge.edges import Edge, Expect
from tests.edge.wire import Answer, EdgeRequest

#: the status a contract answers a body it cannot read (unparseable or too deep JSON, no JSON object)
UNREADABLE = {"fastapi": {422}, "ebh": {400}, "provider": {400}}
AUTH_UNREADABLE = {400, 422}


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def gateway_problems(answer: Answer, status: int, message: str | None = None) -> list[str]:
    """An answer API Gateway gives itself: `status` and `{"message": ...}`."""
    found = []
    if answer.status != status:
        found.append(f"expected the gateway's {status}")
    body = _json(answer)
    if not (isinstance(body, dict) and set(body) == {"message"} and isinstance(body["message"], str)):
        found.append('not API Gateway\'s {"message": "..."}')
    elif message is not None and body["message"] != message:
        found.append(f"gateway message {body['message']!r}, expected {message!r}")
    return found


def _detail_problems(answer: Answer) -> list[str]:
    body = _json(answer)
    if not isinstance(body, dict) or set(body) != {"detail"}:
        return ['not the contract\'s {"detail": ...} JSON']
    detail = body["detail"]
    if isinstance(detail, str):
        return []
    if (
        isinstance(detail, list)
        and detail
        and all(
            isinstance(item, dict)
            and {"type", "loc", "msg"} <= set(item)
            and isinstance(item["type"], str)
            and isinstance(item["loc"], list)
            and isinstance(item["msg"], str)
            for item in detail
        )
    ):
        return []
    return ['"detail" is neither a string nor a list of {type, loc, msg}']


def _message_problems(answer: Answer) -> list[str]:
    body = _json(answer)
    if isinstance(body, dict) and set(body) == {"Message"} and isinstance(body["Message"], str):
        return []
    return ['not the contract\'s {"Message": "..."} JSON']


def _provider_error_problems(answer: Answer) -> list[str]:
    """A provider's webhook endpoint answers its errors as {"error": "..."} (Stripe shows the body)."""
    body = _json(answer)
    if isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], str):
        return []
    return ['not the webhook\'s {"error": "..."} JSON']


def _xml_error_problems(answer: Answer) -> list[str]:
    try:
        root = ElementTree.fromstring(answer.body)
    except ElementTree.ParseError:
        return ["not XML, though the request negotiated XML"]
    message = root.find("Message")
    if root.tag != "Error" or message is None or not (message.text or "").strip():
        return ["not <Error><Message>…</Message></Error>"]
    return []


def accept_format(request: EdgeRequest) -> str:
    """What a Healthbridge error must be written in for this request's Accept: xml, json or either. A
    repeated Accept is either: API Gateway hands the function the last value, the local gateway (werkzeug)
    all of them joined, and the service follows the first it can serve."""
    if sum(name.lower() == "accept" for name, _ in request.headers) > 1:
        return "either"
    accept = request.header("Accept")
    if accept is None or accept.strip().lower() in (b"", b"application/json", b"text/json", b"*/*"):
        return "json"
    if accept.strip().lower() in (b"application/xml", b"text/xml"):
        return "xml"
    return "either"


def error_problems(operation: Operation, request: EdgeRequest, answer: Answer) -> list[str]:
    """The contract's error body for a 4xx."""
    if operation.family == "fastapi":
        return _detail_problems(answer)
    if operation.family == "ebh":
        return _message_problems(answer)
    if operation.family == "provider":
        return _provider_error_problems(answer)
    wanted = accept_format(request)
    content_type = (answer.header("Content-Type") or "").lower()
    if wanted == "xml" or (wanted == "either" and "xml" in content_type):
        return _xml_error_problems(answer)
    return _message_problems(answer)


def problems(
    operation: Operation, request: EdgeRequest, answer: Answer, *, gateway: Iterable[int] = ()
) -> list[str]:
    """What is wrong with any answer: a 5xx; a 4xx not in its contract's shape (or, where `gateway` lists
    its status, not in API Gateway's); an eBillingHub answer without its OperationId."""
    found = []
    if answer.status >= 500:
        found.append("a server error")
    # a 401 on a bearer route is the JWT authorizer's, before any function runs (decision 018)
    bearer_refusal = "OAuth2PasswordBearer" in operation.schemes and answer.status == 401
    if bearer_refusal:
        found += gateway_problems(answer, 401, "Unauthorized")
    gateway_answer = bearer_refusal or (
        answer.status in gateway and not gateway_problems(answer, answer.status)
    )
    if 400 <= answer.status < 600 and not gateway_answer:
        found += error_problems(operation, request, answer)
    if answer.status == 415 and not names_media_type(operation, answer):
        found.append(f"a 415 that does not name {', '.join(operation.media_types) or 'a media type'}")
    if operation.family == "ebh" and not gateway_answer:
        value = answer.header("OperationId")
        try:
            uuid.UUID(value or "")
        except ValueError:
            found.append(f"no OperationId UUID header (got {value!r})")
    challenge = (answer.header("WWW-Authenticate") or "").lower()
    if (
        "OAuth2PasswordBearer" in operation.schemes
        and answer.status == 401
        and not challenge.startswith("bearer")
    ):
        found.append("401 without WWW-Authenticate: Bearer")
    return found


def names_media_type(operation: Operation, answer: Answer) -> bool:
    """Whether an error's message names a media type the operation takes (e.g. application/json)."""
    text = answer.body.decode("utf-8", "replace").lower()
    return any(media_type in text for media_type in operation.media_types or (JSON,))


def describe(operation: Operation, request: EdgeRequest, answer: Answer, found: list[str]) -> str:
    """One line for a failure: operation, input kind, status, what is wrong, body excerpt."""
    return f"{operation.label} [{request.kind}] -> {answer.status}: {'; '.join(found)} | {answer.excerpt!r}"


def judge(operation: Operation, edge: Edge, answer: Answer, baseline: Answer) -> list[str]:
    """Everything wrong with the answer to an edge: `problems()`, and what the edge expects."""
    request, expect = edge.request, edge.expect
    if expect is Expect.TOO_LARGE:
        return (["a server error"] if answer.status >= 500 else []) + gateway_problems(
            answer, 413, "Request Too Long"
        )
    if expect is Expect.NO_ROUTE:
        return (["a server error"] if answer.status >= 500 else []) + gateway_problems(
            answer, 404, "Not Found"
        )
    found = problems(operation, request, answer, gateway=(404,) if expect is Expect.ROUTED else ())
    status = answer.status
    if expect is Expect.BASELINE and status != baseline.status:
        found.append(f"the valid request answers {baseline.status}, and the operation takes no body")
    elif expect is Expect.UNSUPPORTED:
        if status != 415:
            found.append("expected 415")
    elif expect in (Expect.UNREADABLE, Expect.JSON_INVALID):
        wanted = AUTH_UNREADABLE if operation.takes_form else UNREADABLE[operation.family]
        if status not in wanted:
            found.append(f"expected {' or '.join(map(str, sorted(wanted)))}")
        elif operation.family == "fastapi" and status == 422:
            detail = (_json(answer) or {}).get("detail")
            if not isinstance(detail, list):
                found.append("a 422 whose detail is not a list of {type, loc, msg}")
            elif expect is Expect.JSON_INVALID and not operation.takes_form:
                types = {item.get("type") for item in detail if isinstance(item, dict)}
                if "json_invalid" not in types:
                    found.append(f"a 422 without json_invalid (types {sorted(map(str, types))})")
    elif expect is Expect.UNAUTHORIZED and status != 401:
        found.append("expected 401")
    elif expect is Expect.MISSING_HEADERS and status != 400:
        found.append("expected 400")
    return found


#: the `exercise` fixture: sends each edge to the operation, returns one line per wrong answer
Exercise = Callable[[Operation, Iterable[Edge]], list[str]]
#: the `sender` fixture: one request, its answer
Sender = Callable[[Operation, EdgeRequest], Answer]


def wrong(failures: list[str], tried: int) -> str:
    """An assertion's message: how many of the answers were wrong, one line each."""
    return f"{len(failures)} of {tried} answers wrong:\n" + "\n".join(failures)


def verdicts(operation: Operation, sent: Iterable[tuple[Edge, Answer]], baseline: Answer) -> list[str]:
    """One line per edge whose answer is wrong."""
    return [
        describe(operation, edge.request, answer, found)
        for edge, answer in sent
        if (found := judge(operation, edge, answer, baseline))
    ]
