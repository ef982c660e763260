"""The edge inputs, named, and the valid request of each operation they are put into.

Each edge is one change to an operation's valid request (its credentials, its body in the media type it
takes, the query it needs): a header, a body, a query parameter, or a credential. An edge says what the
contract must answer it with (`Expect`), beyond never a 5xx and always the contract's error body.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from tests.edge.document import FORM, JSON, SCHEME_HEADERS, XML, Operation
from tests.edge.wire import EdgeRequest

KB8 = 8 * 1024
UNICODE = "démo ☃ 日本語 🦄"
CONTROL = b"edge\x00\x01\x07\x08\x0b\x0c\x1b\x7fvalue"
INVALID_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1\xf0\x28\x8c\xbc"
#: header values that are edges, by kind (UTF-8 text, control characters, 8 KB, bytes that are not UTF-8)
HEADER_VALUES: dict[str, bytes] = {
    "unicode": UNICODE.encode(),
    "control characters": CONTROL,
    "8 KB": b"a" * KB8,
    "invalid UTF-8": INVALID_UTF8,
}
#: huge numbers, and the number literals Python's json reads that JSON has not (NaN, Infinity)
NUMBERS = {
    "1e400": "1e400",
    "-1e400": "-1e400",
    "400-digit integer": "9" * 400,
    "-400-digit integer": "-" + "9" * 400,
    "1e-400": "1e-400",
    "NaN": "NaN",
    "Infinity": "Infinity",
}
#: those put in each number of a body, one at a time (all of them are put in every number at once)
LEAF_NUMBERS = ("1e400", "400-digit integer", "NaN", "Infinity")
GATEWAY_LIMIT = 10 * 1024 * 1024  # 10,485,760 bytes: the most API Gateway passes on
OVER_LIMIT = GATEWAY_LIMIT + 1
MIB = 1024 * 1024
PLACEHOLDER = "__edge_number__"
#: JSON string contents (escapes as written) that are valid JSON but odd text
STRINGS = {
    "with a lone surrogate \\ud800": "edge\\ud800edge",
    "with NUL \\u0000": "edge\\u0000edge",
    "of control characters": "\\u0001\\u001b\\u007f",
    "unicode": UNICODE,
    "of 8 KB": "a" * KB8,
}


class Expect(enum.Enum):
    """What an edge must get beyond no 5xx and the contract's error body."""

    ANY = "any answer"
    BASELINE = "the same answer as the valid request (the operation ignores it)"
    UNSUPPORTED = "415 naming the media type the operation takes"
    UNREADABLE = "the contract's client error for a body it cannot read"
    JSON_INVALID = "the contract's client error for JSON that does not parse (json_invalid)"
    UNAUTHORIZED = "the contract's 401 (on a bearer route, API Gateway's JWT authorizer's)"
    MISSING_HEADERS = "the contract's 400 for missing headers"
    TOO_LARGE = "API Gateway's 413 Request Too Long"
    NO_ROUTE = "API Gateway's 404 Not Found"
    ROUTED = "any answer, or API Gateway's 404 where the path and method are no route's"


@dataclass(frozen=True)
class Edge:
    request: EdgeRequest
    expect: Expect = Expect.ANY


@dataclass(frozen=True)
class Base:
    """An operation's valid request: path parameters filled, credentials, its body in its media type."""

    operation: Operation
    path_values: tuple[tuple[str, str], ...]  # (name, value) of each path parameter
    query: str
    credentials: tuple[tuple[str, bytes], ...]
    body_value: Any  # the body before encoding (a JSON value, the form's fields, an XML text), or None
    headers: tuple[tuple[str, bytes], ...] = ()  # the valid request's own headers (eBillingHub's InvoiceType)

    def path_with(self, **values: str) -> bytes:
        """The path with each parameter's value (UTF-8 bytes, as given: escapes are not added)."""
        path = self.operation.path
        for name, value in {**dict(self.path_values), **values}.items():
            path = path.replace("{" + name + "}", value)
        return path.encode()

    @property
    def path(self) -> str:
        return self.path_with().decode()

    @property
    def content_type(self) -> bytes | None:
        return self.operation.media_types[0].encode() if self.operation.takes_body else None

    @property
    def body(self) -> bytes | None:
        if not self.operation.takes_body:
            return None
        if self.operation.takes_form:
            return urlencode(self.body_value).encode()
        if self.operation.takes_xml:
            return str(self.body_value).encode()
        return json.dumps(self.body_value).encode()

    def request(
        self,
        kind: str,
        *,
        query: str = "",
        raw_query: bytes = b"",
        headers: tuple[tuple[str, bytes], ...] = (),
        credentials: tuple[tuple[str, bytes], ...] | None = None,
        content_type: bytes | bool | None = True,
        body: bytes | bool | None = True,
        method: str | None = None,
        path: bytes | None = None,
    ) -> EdgeRequest:
        """The valid request with the changes named: `True` keeps the base's body or Content-Type,
        `None` leaves it out."""
        query_text = "&".join(part for part in (self.query, query) if part)
        target = (path or self.path_with()) + (b"?" + query_text.encode() if query_text else b"")
        if raw_query:
            target += (b"&" if query_text else b"?") + raw_query
        sent_type = self.content_type if content_type is True else content_type
        sent_body = self.body if body is True else body
        all_headers = list(self.credentials if credentials is None else credentials)
        if isinstance(sent_type, bytes):
            all_headers.append(("Content-Type", sent_type))
        all_headers += [*self.headers, *headers]
        return EdgeRequest(
            kind=kind,
            method=method or self.operation.method,
            target=target,
            headers=tuple(all_headers),
            body=sent_body if isinstance(sent_body, bytes) else None,
        )


# --- headers ---------------------------------------------------------------------------------------------


def header_names(operation: Operation) -> list[str]:
    """The headers an edge value is put in: one the operation ignores, Accept, User-Agent, and each header
    the operation declares (Idempotency-Key, If-Match), Content-Type where it takes a body."""
    names = ["X-Edge", "Accept", "User-Agent"]
    names += [name.title() for name in operation.header_names]
    if operation.takes_body:
        names.append("Content-Type")
    return names


def header_edges(base: Base) -> Iterator[Edge]:
    """A header name that is not ASCII or 8 KB long; then each of `header_names` with each edge value, and
    repeated three times (in place of the valid request's own, where it has one)."""
    for kind, name in (("non-ASCII", UNICODE.replace(" ", "-")), ("8 KB", "X-" + "a" * KB8)):
        raw_name = name.encode().decode("latin-1")  # sent as its UTF-8 bytes
        yield Edge(base.request(f"header name: {kind}", headers=((raw_name, b"1"),)))
    for name in header_names(base.operation):
        drop = name.lower()
        kept = tuple(pair for pair in base.credentials if pair[0].lower() != drop)
        keep_type = name != "Content-Type"
        for value_kind, value in HEADER_VALUES.items():
            yield Edge(
                base.request(
                    f"header {name}: {value_kind}",
                    credentials=kept,
                    headers=((name, value),),
                    content_type=keep_type,
                )
            )
        repeated = ((name, b"first-edge"), (name, UNICODE.encode()), (name, b"application/json"))
        yield Edge(
            base.request(
                f"header {name}: repeated 3 times", credentials=kept, headers=repeated, content_type=keep_type
            )
        )


# --- credentials -----------------------------------------------------------------------------------------


def credential_edges(base: Base, token: str) -> Iterator[Edge]:
    """Wrong credentials of every kind, each otherwise valid request's: the contract's 401 (eBillingHub
    without its headers: 400); a bearer token is refused by API Gateway's JWT authorizer, 401
    `{"message":"Unauthorized"}`."""
    operation = base.operation
    valid = dict(base.credentials)
    if "OAuth2PasswordBearer" in operation.schemes:
        wrong = {
            "non-ASCII token": "Bearer tökén-ünïcödé".encode(),
            "valid token + non-ASCII": f"Bearer {token}é".encode(),
            "invalid UTF-8 token": b"Bearer " + INVALID_UTF8,
            "control characters in token": b"Bearer " + CONTROL,
            "8 KB token": b"Bearer " + b"a" * KB8,
            "wrong token": b"Bearer not-a-token",
            "empty token": b"Bearer ",
            "another scheme": b"Basic ZGVtbzpkZW1v",
            "valid token + control character": f"Bearer {token}".encode() + b"\x01",
        }
        for order, pair in (
            ("wrong then valid", (b"Bearer wrong", valid["Authorization"])),
            ("valid then wrong", (valid["Authorization"], b"Bearer wrong")),
        ):
            yield Edge(
                base.request(
                    f"credentials: Authorization repeated, {order}",
                    credentials=tuple(("Authorization", value) for value in pair),
                )
            )
        # Healthbridge writes its errors in XML to a client that asks for XML
        accepts: list[tuple[tuple[str, bytes], ...]] = [()]
        if operation.family == "healthbridge":
            accepts += [(("Accept", b"application/xml"),), (("Accept", b"text/xml"),)]
        for accept in accepts:
            asked = f" (Accept {accept[0][1].decode()})" if accept else ""
            for kind, value in wrong.items():
                yield Edge(
                    base.request(
                        f"credentials: bearer {kind}{asked}",
                        credentials=(("Authorization", value),),
                        headers=accept,
                    ),
                    Expect.UNAUTHORIZED,
                )
            yield Edge(
                base.request(f"credentials: no Authorization{asked}", credentials=(), headers=accept),
                Expect.UNAUTHORIZED,
            )
    pairs = [("DecodaTenant", "DecodaApiKey"), ("EbhProducerId", "EbhProviderKey")]
    for identity_scheme, key_scheme in pairs:
        if identity_scheme not in operation.schemes:
            continue
        identity, key = SCHEME_HEADERS[identity_scheme], SCHEME_HEADERS[key_scheme]
        bad_values = {
            "non-ASCII": "démo-ünïcödé".encode(),
            "invalid UTF-8": INVALID_UTF8,
            "control characters": CONTROL,
            "8 KB": b"a" * KB8,
            "wrong": b"wrong-edge-value",
        }
        for kind, value in bad_values.items():
            yield Edge(
                base.request(
                    f"credentials: {kind} {identity} + valid {key}",
                    credentials=((identity, value), (key, valid[key])),
                ),
                Expect.UNAUTHORIZED,
            )
            yield Edge(
                base.request(
                    f"credentials: valid {identity} + {kind} {key}",
                    credentials=((identity, valid[identity]), (key, value)),
                ),
                Expect.UNAUTHORIZED,
            )
        for name in (identity, key):
            others = tuple(pair for pair in base.credentials if pair[0] != name)
            yield Edge(
                base.request(
                    f"credentials: {name} repeated, wrong then valid",
                    credentials=((name, UNICODE.encode()), (name, valid[name]), *others),
                )
            )
            yield Edge(
                base.request(
                    f"credentials: {name} repeated, valid then wrong",
                    credentials=((name, valid[name]), (name, UNICODE.encode()), *others),
                )
            )
        missing = Expect.MISSING_HEADERS if operation.family == "ebh" else Expect.UNAUTHORIZED
        yield Edge(base.request(f"credentials: no {identity}, no {key}", credentials=()), missing)
        yield Edge(
            base.request(f"credentials: no {key}", credentials=((identity, valid[identity]),)), missing
        )
        yield Edge(base.request(f"credentials: no {identity}", credentials=((key, valid[key]),)), missing)


# --- bodies ----------------------------------------------------------------------------------------------


def nested(depth: int, opener: str, closed: bool) -> str:
    if not closed:
        return opener * depth
    if opener == "[":
        return "[" * depth + "]" * depth
    return opener * depth + "1" + "}" * depth


NESTINGS = [
    (f"{depth:,} levels of {opener!r}{'' if closed else ' (unclosed)'}", nested(depth, opener, closed))
    for depth in (1000, 5000)
    for opener in ("[", '{"a":')
    for closed in (True, False)
]


def leaf_paths(
    value: Any, kind: type | tuple[type, ...], path: tuple[str | int, ...] = ()
) -> list[tuple[str | int, ...]]:
    """Where the leaves of a kind (numbers, strings) of a JSON value are."""
    if isinstance(value, dict):
        return [found for key, child in value.items() for found in leaf_paths(child, kind, (*path, key))]
    if isinstance(value, list):
        return [found for n, child in enumerate(value) for found in leaf_paths(child, kind, (*path, n))]
    return [path] if isinstance(value, kind) and not isinstance(value, bool) else []


def number_paths(value: Any) -> list[tuple[str | int, ...]]:
    return leaf_paths(value, (int, float))


def _written(value: Any, paths: list[tuple[str | int, ...]], raw: str) -> str:
    """The JSON of `value` with the leaves at `paths` written as `raw` JSON text."""

    def swap(item: Any, path: tuple[str | int, ...]) -> Any:
        if path in paths:
            return PLACEHOLDER
        if isinstance(item, dict):
            return {key: swap(child, (*path, key)) for key, child in item.items()}
        if isinstance(item, list):
            return [swap(child, (*path, n)) for n, child in enumerate(item)]
        return item

    return json.dumps(swap(value, ())).replace(f'"{PLACEHOLDER}"', raw)


def with_numbers(value: Any, number: str, only: tuple[str | int, ...] | None = None) -> str:
    """The JSON of `value` with its numbers written as `number`: every one (and one more field holding
    it), or `only` the one at that path."""
    if only is not None:
        return _written(value, [only], number)
    extended = {**value, "edgeNumber": 0} if isinstance(value, dict) else value
    return _written(extended, number_paths(extended), number)


def with_string(value: Any, path: tuple[str | int, ...], raw: str) -> bytes:
    """The JSON of `value` with the string at `path` written as `"raw"` (escapes and all)."""
    return _written(value, [path], f'"{raw}"').encode()


def invalid_utf8_json(value: Any) -> bytes:
    """The valid body with its first string value's bytes replaced by bytes that are not UTF-8."""
    text = json.dumps(value)
    start = text.find(': "') + 3
    end = text.find('"', start)
    return text[:start].encode() + INVALID_UTF8 + text[end:].encode()


def wrong_media_types(base: Base) -> list[tuple[str, bytes, bytes]]:
    """(kind, Content-Type, body): every media type the operation does not take, each with a body a client
    of that type would send (JSON in text/plain and octet-stream, as a misconfigured client does)."""
    json_text = json.dumps(base.body_value if base.operation.takes_body else {"edge": 1}).encode()
    if base.operation.takes_form or base.operation.takes_xml:
        json_text = json.dumps({"edge": 1}).encode()
    form = urlencode({"edge": "1", "json": json_text.decode()}).encode()
    boundary = b"edgeboundary"
    multipart = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="body"\r\n'
        b"Content-Type: application/json\r\n\r\n" + json_text + b"\r\n--" + boundary + b"--\r\n"
    )
    found: list[tuple[str, bytes, bytes]] = [
        ("text/plain with JSON in it", b"text/plain", json_text),
        (FORM, FORM.encode(), form),
        ("multipart/form-data", b"multipart/form-data; boundary=" + boundary, multipart),
        ("multipart/form-data without boundary", b"multipart/form-data", multipart),
        ("application/xml", b"application/xml", b"<?xml version='1.0'?><Invoice><Id>1</Id></Invoice>"),
        ("application/octet-stream", b"application/octet-stream", json_text),
        (JSON, JSON.encode(), json_text),
    ]
    return [item for item in found if item[1].split(b";")[0].decode() not in base.operation.media_types]


def no_content_type(base: Base) -> Edge:
    """The valid body without a Content-Type: read as JSON, as the contracts' FastAPI servers read it
    (decision 007): the token's form refuses it with 415 naming the form, and so does eBillingHub's XML
    (its Content-Type is required); a JSON operation answers it as it answers the same body sent as JSON
    (the test compares the two)."""
    operation = base.operation
    body = base.body if operation.takes_body else json.dumps({"edge": 1}).encode()
    if operation.takes_form:
        body = json.dumps(base.body_value).encode()
    return Edge(
        base.request("media type: no Content-Type", content_type=None, body=body),
        Expect.UNSUPPORTED if operation.takes_form or operation.takes_xml else Expect.ANY,
    )


def body_edges(base: Base) -> Iterator[Edge]:
    """Bodies in the operation's own media type (JSON, or the token's form) that it cannot read, huge
    numbers, empty; and every media type it does not take. An operation without a body gets the same
    bodies, and must answer as if they were not there."""
    operation = base.operation
    ignored = not operation.takes_body
    json_type = JSON.encode()
    if operation.takes_xml:
        yield from xml_edges(base)
    elif operation.takes_form:
        form_type = FORM.encode()
        fields = dict(base.body_value)
        for kind, text in NESTINGS:
            yield Edge(
                base.request(
                    f"body: form username of {kind}", body=urlencode({**fields, "username": text}).encode()
                ),
                Expect.UNREADABLE,
            )
        for kind, number in NUMBERS.items():
            yield Edge(
                base.request(
                    f"body: form password {kind}", body=urlencode({**fields, "password": number}).encode()
                ),
                Expect.UNREADABLE,
            )
        yield Edge(
            base.request(
                "body: form with invalid UTF-8 bytes", body=b"username=" + INVALID_UTF8 + b"&password=x"
            ),
            Expect.UNREADABLE,
        )
        yield Edge(
            base.request(
                "body: form with percent-encoded invalid UTF-8", body=b"username=%FF%FE%C3%28&password=%A0%A1"
            ),
            Expect.UNREADABLE,
        )
        yield Edge(base.request("body: empty form", body=b"", content_type=form_type), Expect.UNREADABLE)
    else:
        value = base.body_value if operation.takes_body else {"edge": 1}
        for kind, text in NESTINGS:
            expect = Expect.BASELINE if ignored else Expect.JSON_INVALID
            yield Edge(base.request(f"body: JSON {kind}", content_type=json_type, body=text.encode()), expect)
        for kind, number in NUMBERS.items():
            yield Edge(
                base.request(
                    f"body: JSON numbers {kind}",
                    content_type=json_type,
                    body=with_numbers(value, number).encode(),
                ),
                Expect.BASELINE if ignored else Expect.ANY,
            )
            for path in number_paths(value) if operation.takes_body and kind in LEAF_NUMBERS else []:
                where = ".".join(map(str, path))
                yield Edge(
                    base.request(
                        f"body: JSON {where} = {kind}",
                        content_type=json_type,
                        body=with_numbers(value, number, only=path).encode(),
                    )
                )
        texts = value if operation.takes_body else {"edge": "text"}
        for path in leaf_paths(texts, str):
            where = ".".join(map(str, path))
            for kind, raw_string in STRINGS.items():
                yield Edge(
                    base.request(
                        f"body: JSON {where} = string {kind}",
                        content_type=json_type,
                        body=with_string(texts, path, raw_string),
                    ),
                    Expect.BASELINE if ignored else Expect.ANY,
                )
        yield Edge(
            base.request(
                "body: JSON after a UTF-8 byte order mark",
                content_type=json_type,
                body=b"\xef\xbb\xbf" + json.dumps(value).encode(),
            ),
            Expect.BASELINE if ignored else Expect.ANY,
        )
        for kind, raw in (
            ("JSON with invalid UTF-8 in a string", invalid_utf8_json(value)),
            ("invalid UTF-8 bytes only", INVALID_UTF8),
            ("JSON cut short", json.dumps(value).encode()[:-3]),
        ):
            yield Edge(
                base.request(f"body: {kind}", content_type=json_type, body=raw),
                Expect.BASELINE if ignored else Expect.JSON_INVALID,
            )
        yield Edge(
            base.request("body: empty, application/json", content_type=json_type, body=b""),
            Expect.BASELINE if ignored else Expect.UNREADABLE,
        )
        # past what the functions read (decision 007: 1 MiB), well within what API Gateway passes on
        yield Edge(
            base.request(
                "body: 1 MiB + 1 byte of JSON", content_type=json_type, body=b" " * (MIB - 1) + b"{}"
            ),
            Expect.BASELINE if ignored else Expect.ANY,
        )
    for kind, content_type, raw in wrong_media_types(base):
        yield Edge(
            base.request(f"media type: {kind}", content_type=content_type, body=raw),
            Expect.BASELINE if ignored else Expect.UNSUPPORTED,
        )
        # no body at all: a missing body, or the same 415
        yield Edge(
            base.request(f"media type: {kind}, empty body", content_type=content_type, body=b""),
            Expect.BASELINE if ignored else Expect.ANY,
        )


XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE esfdoc [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {name} "{("&" + previous + ";") * 10}">'.encode()
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b"]><esfdoc>&i;</esfdoc>"
)
XML_EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE esfdoc [<!ENTITY x SYSTEM "file:///etc/passwd">]><esfdoc>&x;</esfdoc>'
)
XML_DTD = b'<?xml version="1.0"?><!DOCTYPE esfdoc SYSTEM "http://127.0.0.1:9/x.dtd"><esfdoc/>'


def xml_edges(base: Base) -> Iterator[Edge]:
    """XML the operation cannot read (nested 1,000 and 5,000 deep, an entity bomb, an external entity, a
    DTD, bytes that are not UTF-8, cut short, empty) and odd text in each of its text elements."""
    xml_type = XML.encode()
    text = base.body or b""
    for depth in (1000, 5000):
        for closed in (True, False):
            nested_xml = b"<a>" * depth + (b"</a>" * depth if closed else b"")
            kind = f"{depth:,} levels of <a>{'' if closed else ' (unclosed)'}"
            yield Edge(base.request(f"body: XML {kind}", body=nested_xml), Expect.UNREADABLE)
    for kind, raw in (
        ("an entity bomb", XML_BOMB),
        ("an external entity", XML_EXTERNAL),
        ("an external DTD", XML_DTD),
        ("invalid UTF-8 bytes only", INVALID_UTF8),
        ("invalid UTF-8 in a text", text.replace(b"<name>", b"<name>" + INVALID_UTF8, 1)),
        ("control characters in a text", text.replace(b"<name>", b"<name>\x01\x1b", 1)),
        ("cut short", text[:-20]),
        ("empty", b""),
        ("JSON", json.dumps({"edge": 1}).encode()),
    ):
        yield Edge(base.request(f"body: XML {kind}", content_type=xml_type, body=raw), Expect.UNREADABLE)
    yield Edge(base.request("body: XML after a UTF-8 byte order mark", body=b"\xef\xbb\xbf" + text))
    for kind, inserted in (("unicode", UNICODE.encode()), ("8 KB", b"a" * KB8)):
        odd = text.replace(b"<name>", b"<name>" + inserted, 1)
        yield Edge(base.request(f"body: XML with {kind} in a text", body=odd))
    yield Edge(base.request("body: 1 MiB + 1 byte of XML", body=text + b" " * MIB), Expect.ANY)


def over_limit(base: Base) -> Edge:
    """A body of 10,485,761 bytes in the operation's own media type (JSON for one that takes none)."""
    content_type = base.content_type or JSON.encode()
    return Edge(
        base.request("body: 10 MB + 1 byte", content_type=content_type, body=b" " * OVER_LIMIT),
        Expect.TOO_LARGE,
    )


def at_limit(base: Base) -> Edge:
    """A body of exactly 10,485,760 bytes: API Gateway passes it on, so the function answers it."""
    content_type = base.content_type or JSON.encode()
    return Edge(base.request("body: 10 MB exactly", content_type=content_type, body=b" " * GATEWAY_LIMIT))


# --- query strings ---------------------------------------------------------------------------------------


def query_edges(base: Base) -> Iterator[Edge]:
    """Repeated, overlong (8 KB) and unicode parameters: the operation's own query parameters and one it
    does not take."""
    names = [*base.operation.query_names, "edge"]
    for name in names:
        yield Edge(base.request(f"query {name}: repeated", query=f"{name}=first&{name}=second&{name}=3"))
        yield Edge(base.request(f"query {name}: 8 KB", query=f"{name}={'a' * KB8}"))
        yield Edge(base.request(f"query {name}: unicode, percent-encoded", query=f"{name}={quote(UNICODE)}"))
        yield Edge(
            base.request(
                f"query {name}: unicode, raw bytes", raw_query=f"{name}={UNICODE.replace(' ', '')}".encode()
            )
        )
        yield Edge(
            base.request(f"query {name}: invalid UTF-8, percent-encoded", query=f"{name}=%FF%FE%C3%28")
        )
        yield Edge(
            base.request(f"query {name}: control characters, percent-encoded", query=f"{name}=a%00b%01%7F")
        )
    for name in base.operation.query_names:
        for kind, number in NUMBERS.items():
            yield Edge(base.request(f"query {name}: {kind}", query=f"{name}={quote(number)}"))
    yield Edge(base.request("query: 8 KB of repeated names", query="&".join(["x=1"] * (KB8 // 4))))
    yield Edge(base.request(f"query: unicode name {UNICODE}", query=f"{quote(UNICODE)}=1"))


# --- path parameters -------------------------------------------------------------------------------------

PATH_VALUES = {
    "unicode, percent-encoded": quote(UNICODE),
    "unicode, raw bytes": UNICODE.replace(" ", ""),
    "8 KB": "a" * KB8,
    "invalid UTF-8, percent-encoded": "%FF%FE%C3%28",
    "NUL and control characters, percent-encoded": "a%00b%01%7F",
    "a lone %": "%",
    "an encoded slash": "a%2Fb",
    "dots": "..",
    "400-digit number": "9" * 400,
}


def path_edges(base: Base) -> Iterator[Edge]:
    """Each path parameter at the edge. A value that makes the path another route's (or none's) may get
    API Gateway's own 404."""
    for name, _ in base.path_values:
        for kind, value in PATH_VALUES.items():
            yield Edge(
                base.request(f"path {name}: {kind}", path=base.path_with(**{name: value})), Expect.ROUTED
            )


def unknown_method(base: Base, method: str) -> Edge:
    return Edge(
        replace(base.request(f"method {method} (no route)", body=None, content_type=None), method=method),
        Expect.NO_ROUTE,
    )
