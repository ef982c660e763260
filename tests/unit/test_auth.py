"""Bearer header parsing and the tenant taken from the token's groups (no network)."""

from __future__ import annotations

import uuid

import pytest

from invoice_hub.auth import bearer_token, principal_from_claims, tenant_group
from invoice_hub.domain.errors import Forbidden, Unauthenticated


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "Token abc"])
def test_malformed_authorization_is_unauthenticated(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        bearer_token(header)


@pytest.mark.parametrize("token", ["tökén.a.b", "\udc80", "abc.déf.ghi"])
def test_a_token_of_other_than_ascii_characters_is_unauthenticated(token: str) -> None:
    # a lone surrogate made PyJWT raise UnicodeEncodeError, which no handler expects (a 5xx)
    with pytest.raises(Unauthenticated):
        bearer_token(f"Bearer {token}")


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("  Bearer abc  ") == "abc"


def test_tenant_comes_from_the_single_tenant_group() -> None:
    tenant = uuid.uuid4()
    principal = principal_from_claims(
        {"sub": "s", "username": "u", "cognito:groups": [tenant_group(tenant), "admin"]}
    )
    assert principal.tenant_id == tenant
    assert principal.is_admin
    principal.require_admin()


@pytest.mark.parametrize(
    "groups",
    [[], ["admin"], [tenant_group(uuid.uuid4()), tenant_group(uuid.uuid4())], ["tenant_not-a-uuid"]],
)
def test_a_user_without_exactly_one_practice_is_forbidden(groups: list[str]) -> None:
    with pytest.raises(Forbidden):
        principal_from_claims({"sub": "s", "cognito:groups": groups})


def test_non_admin_is_forbidden_admin_operations() -> None:
    principal = principal_from_claims({"sub": "s", "cognito:groups": [tenant_group(uuid.uuid4())]})
    with pytest.raises(Forbidden):
        principal.require_admin()
