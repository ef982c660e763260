"""Sending an edge request as bytes on the wire, and what came back.

httpx sends what it can: repeated header names, bytes that are not UTF-8 in a header value, any body.
What h11 refuses to put on the wire (control characters in a header value, a request target that is not
ASCII) goes over a plain socket, byte for byte: a real client can send it, so the service must answer it.
"""

from __future__ import annotations

import http.client
import socket
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

#: bytes h11 will not send in a header value (it allows HTAB and obs-text, 0x80-0xFF)
CONTROL = frozenset(set(range(0x20)) - {0x09}) | {0x7F}
TIMEOUT = 60.0


@dataclass(frozen=True)
class EdgeRequest:
    """One request: `kind` says which edge it carries (the report's "input kind")."""

    kind: str
    method: str
    target: bytes  # path and query, as sent
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes | None = None

    def header(self, name: str) -> bytes | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def needs_socket(self) -> bool:
        return (
            any(byte in CONTROL for _, value in self.headers for byte in value)
            or any(value != value.strip(b" \t") for _, value in self.headers)
            or any(byte >= 0x80 for byte in self.target)
            or any(not name.isascii() for name, _ in self.headers)
        )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def excerpt(self) -> str:
        text = self.body[:200].decode("utf-8", "replace")
        return text + ("…" if len(self.body) > 200 else "")


@dataclass
class Tally:
    """What the suite sent to each operation and the statuses that came back."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    raw: int = 0

    def sent(self, label: str, status: int, raw: bool) -> None:
        self.requests[label] += 1
        self.statuses.setdefault(label, Counter())[status] += 1
        self.raw += raw


TALLY = Tally()


def send(client: httpx.Client, label: str, request: EdgeRequest) -> Answer:
    """Sends the request as it is (httpx where it can, else a socket) and counts it under `label`."""
    answer = _raw(str(client.base_url), request) if request.needs_socket else _httpx(client, request)
    TALLY.sent(label, answer.status, request.needs_socket)
    return answer


def _httpx(client: httpx.Client, request: EdgeRequest) -> Answer:
    # a raw path keeps the target's percent-escapes and repeated query names exactly as written
    url = client.base_url.copy_with(raw_path=request.target)
    headers = [(name.encode(), value) for name, value in request.headers]
    built = client.build_request(request.method, url, headers=headers, content=request.body, timeout=TIMEOUT)
    response = client.send(built)
    return Answer(response.status_code, tuple(response.headers.multi_items()), response.content)


def _raw(base_url: str, request: EdgeRequest) -> Answer:
    where = urlsplit(base_url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    lines = [request.method.encode() + b" " + request.target + b" HTTP/1.1", f"Host: {host}:{port}".encode()]
    lines += [name.encode("latin-1") + b": " + value for name, value in request.headers]
    if request.body is not None or request.method in ("POST", "PUT"):
        lines.append(b"Content-Length: %d" % len(request.body or b""))
    lines.append(b"Connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n" + (request.body or b"")
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method=request.method)
        response.begin()
        body = response.read()
        return Answer(response.status, tuple(response.getheaders()), body)
