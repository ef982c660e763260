"""Bearer callers: the claims API Gateway's JWT authorizer verified, read from the event.

API Gateway (an HTTP API's JWT authorizer on the user pool) checks the token's signature, issuer,
expiry and client before the function runs, and hands the token's claims in the event: with payload
format 1.0 at `requestContext.authorizer.claims` (2.0: `requestContext.authorizer.jwt.claims`), every
value a string, so a list such as `cognito:groups` arrives as `"[a b]"` (see
docs/decisions/018-tokens-verified-at-the-gateway.md). No function reads the raw token, imports PyJWT or
fetches the pool's keys.

The tenant comes only from those claims: a user belongs to exactly one tenant through the Cognito group
`tenant_<tenant id>` (docs/decisions/002-tenant-from-cognito-group.md). A request on a bearer route
that arrives with no claims (a route deployed without the authorizer) is refused, never served.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from invoice_hub.domain.errors import Forbidden, Unauthenticated

TENANT_GROUP_PREFIX = "tenant_"
ADMIN_GROUP = "admin"
_LIST_SEPARATORS = re.compile(r"[,\s]+")


def tenant_group(tenant_id: UUID) -> str:
    return f"{TENANT_GROUP_PREFIX}{tenant_id}"


@dataclass(frozen=True)
class Principal:
    tenant_id: UUID
    subject: str
    username: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this operation needs the admin role")


def claim_values(value: Any) -> list[str]:
    """A list claim in each form it reaches a function: a JSON list (a decoded token), `"[a b]"` (an
    HTTP API JWT authorizer), `"a,b"` (a REST Cognito authorizer, as reported) or one value `"a"`.
    Group names hold neither spaces, commas nor brackets, so splitting on them loses nothing."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(item) for item in value if str(item)]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [item for item in _LIST_SEPARATORS.split(text) if item]


def authorizer_claims(event: Mapping[str, Any]) -> dict[str, Any]:
    """The claims the gateway's authorizer verified (payload 1.0, or 2.0's `jwt.claims`); none is
    Unauthenticated: the route was reached without the authorizer."""
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    if not isinstance(authorizer, Mapping):
        raise Unauthenticated("Not authenticated")
    claims = authorizer.get("claims")
    if not claims and isinstance(authorizer.get("jwt"), Mapping):
        claims = authorizer["jwt"].get("claims")
    if not isinstance(claims, Mapping) or not claims:
        raise Unauthenticated("Not authenticated")
    return dict(claims)


def principal_from_event(event: Mapping[str, Any], client_id: str) -> Principal:
    """The caller of a bearer route. The gateway already refused a bad token; these string checks keep
    what it cannot: an ID token of the same pool and client (it carries `aud` = the client too) is
    refused here, and so is a token of another client, should the authorizer's audience ever widen."""
    claims = authorizer_claims(event)
    if claims.get("token_use") != "access" or claims.get("client_id") != client_id:
        raise Unauthenticated("Invalid token")
    return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    groups = frozenset(claim_values(claims.get("cognito:groups")))
    tenants = [
        group.removeprefix(TENANT_GROUP_PREFIX) for group in groups if group.startswith(TENANT_GROUP_PREFIX)
    ]
    if len(tenants) != 1:
        raise Forbidden("the user is not a member of exactly one practice")
    try:
        tenant_id = UUID(tenants[0])
    except ValueError as error:
        raise Forbidden("the user's practice is not valid") from error
    if not claims.get("sub"):
        raise Unauthenticated("Invalid token")
    return Principal(
        tenant_id=tenant_id,
        subject=str(claims["sub"]),
        username=str(claims.get("username", "")),
        groups=groups,
    )
