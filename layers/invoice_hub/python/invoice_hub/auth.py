"""Bearer tokens: Cognito access tokens verified in the function (signature, expiry, issuer, client).

The tenant comes only from the token: a user belongs to exactly one tenant through the Cognito group
`tenant_<tenant id>` (groups are in every access token, so no lookup is needed per request).
See docs/decisions/002-tenant-from-cognito-group.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from invoice_hub.config import Settings
from invoice_hub.domain.errors import Forbidden, ServiceBusy, Unauthenticated

if TYPE_CHECKING:
    import jwt

TENANT_GROUP_PREFIX = "tenant_"
ADMIN_GROUP = "admin"
LEEWAY_SECONDS = 5


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


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthenticated("Not authenticated")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    if not token.isascii():  # a JWT is base64url and dots; anything else is no token (nor a 5xx)
        raise Unauthenticated("Invalid token")
    return token


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None

    def _client(self) -> jwt.PyJWKClient:
        if self._jwks is None:
            import jwt

            self._jwks = jwt.PyJWKClient(self.settings.jwks_url, cache_keys=True, lifespan=3600, timeout=3)
        return self._jwks

    def verify(self, token: str) -> Principal:
        import jwt

        try:
            key = self._client().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise ServiceBusy("the token keys could not be fetched; retry shortly") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("Invalid token") from error
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.settings.jwt_issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("Token expired") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("Invalid token") from error
        if (
            claims.get("token_use") != "access"
            or claims.get("client_id") != self.settings.user_pool_client_id
        ):
            raise Unauthenticated("Invalid token")
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    groups = frozenset(str(group) for group in claims.get("cognito:groups") or [])
    tenants = [
        group.removeprefix(TENANT_GROUP_PREFIX) for group in groups if group.startswith(TENANT_GROUP_PREFIX)
    ]
    if len(tenants) != 1:
        raise Forbidden("the user is not a member of exactly one practice")
    try:
        tenant_id = UUID(tenants[0])
    except ValueError as error:
        raise Forbidden("the user's practice is not valid") from error
    return Principal(
        tenant_id=tenant_id,
        subject=str(claims["sub"]),
        username=str(claims.get("username", "")),
        groups=groups,
    )


@lru_cache(maxsize=4)
def verifier(settings: Settings) -> TokenVerifier:
    """One verifier (and JWKS cache) per container."""
    return TokenVerifier(settings)
