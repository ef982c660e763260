"""An HTTP API's JWT authorizer, as API Gateway runs it, for the local gateway.

What AWS documents ("Control access to HTTP APIs with JWT authorizers", and "Troubleshooting issues
with HTTP API JWT authorizers"), done in that order:
1. the identity source (`$request.header.Authorization`) holds the token, alone or after `Bearer `;
2. the token decodes, its algorithm is RSA, its `kid` names a key of the issuer's JWKS and the signature
   verifies with it (the keys are cached; an unknown `kid` fetches them again at most every 5 minutes);
3. `iss` is the configured issuer; `aud` is one of the audiences, or, only when the token has no `aud`,
   `client_id` is; `exp` is after now, `nbf` and `iat` before it;
4. the token holds one of the route's scopes (`scope` or `scp`).
Any failure answers 401 `{"message":"Unauthorized"}` with a `www-authenticate` header saying why, and
the function is not invoked. A verified token's claims reach the function, every value a string (a list
as `[a b]`), at `requestContext.authorizer.claims` in a payload 1.0 event.

Locally the issuer is the real AWS URL moto signs with, while moto serves the keys on its own endpoint:
the keys are read from the moto server at the issuer's path.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt

RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]
#: how often an unknown `kid` may fetch the issuer's keys again (the pool rotated them)
KEYS_REFETCH_SECONDS = 300


class Refused(Exception):
    """The authorizer refused the request; the message is the `error_description` AWS gives."""


def stringified(value: Any) -> str:
    """A claim's value as an HTTP API JWT authorizer hands it on: a string, a list as `[a b]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(stringified(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@dataclass
class JwtAuthorizer:
    issuer: str
    audience: list[str]
    #: where the issuer's keys are read (moto's endpoint locally); AWS reads `{issuer}/.well-known/jwks.json`
    jwks_url: str
    identity_header: str = "Authorization"
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_template(
        cls, config: dict[str, Any], aws_endpoint: str, resolve: Any = lambda value: value
    ) -> JwtAuthorizer:
        """From an `x-amazon-apigateway-authorizer` of type jwt (intrinsics resolved by `resolve`)."""
        if config.get("type") != "jwt":
            raise ValueError(f"only JWT authorizers are served locally, not {config.get('type')!r}")
        source = str(config.get("identitySource", "$request.header.Authorization"))
        if not source.startswith("$request.header."):
            raise ValueError(f"unsupported identity source {source!r}")
        settings = resolve(config["jwtConfiguration"])
        issuer = str(settings["issuer"]).rstrip("/")
        return cls(
            issuer=issuer,
            audience=[str(audience) for audience in settings.get("audience", [])],
            jwks_url=f"{aws_endpoint.rstrip('/')}{urlsplit(issuer).path}/.well-known/jwks.json",
            identity_header=source.removeprefix("$request.header."),
        )

    def fetch_keys(self) -> dict[str, Any]:
        """The issuer's keys by `kid`."""
        with urllib.request.urlopen(self.jwks_url, timeout=5) as answer:  # noqa: S310 - moto, on loopback
            keys = json.loads(answer.read())["keys"]
        return {str(key["kid"]): jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key)) for key in keys}

    def _key(self, kid: str) -> Any:
        """The key named `kid`. Keys are cached, as API Gateway caches them (up to two hours); a `kid` not
        in the cache fetches them again at most once every KEYS_REFETCH_SECONDS, so a flood of made-up
        key ids does not fetch them for each."""
        with self._lock:
            stale = time.monotonic() - self._fetched_at > KEYS_REFETCH_SECONDS
            if kid not in self._keys and (not self._keys or stale):
                self._keys.update(self.fetch_keys())
                self._fetched_at = time.monotonic()
            if kid not in self._keys:
                raise Refused("the signing key was not found in the issuer's key set")
            return self._keys[kid]

    def claims(self, headers: Any, scopes: tuple[str, ...]) -> dict[str, str]:
        """The verified token's claims, stringified as AWS hands them; Refused otherwise."""
        value = (headers.get(self.identity_header) or "").strip()
        token = value[7:].strip() if value[:7].lower() == "bearer " else value
        if not token:
            raise Refused("the token is missing")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Refused("the token is not a valid JWT") from error
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise Refused(f"signing method {algorithm} is invalid")
        key = self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise Refused("the token has expired") from error
        except jwt.InvalidIssuerError as error:
            raise Refused("the token does not have a valid issuer") from error
        except jwt.PyJWTError as error:
            raise Refused("the token is not valid") from error
        audience = claims.get("aud") if "aud" in claims else claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if not any(str(item) in self.audience for item in audiences if item is not None):
            raise Refused("the token does not have a valid audience")
        granted = set(str(claims.get("scope") or claims.get("scp") or "").split())
        if scopes and not granted.intersection(scopes):
            raise Refused("the token does not have the required scopes")
        return {name: stringified(value) for name, value in claims.items()}


def challenge(scopes: tuple[str, ...], reason: str) -> str:
    """The `www-authenticate` header of a refusal, as API Gateway writes it."""
    return f'Bearer scope="{" ".join(scopes)}" error="invalid_token" error_description="{reason}"'
