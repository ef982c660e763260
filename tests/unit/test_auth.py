"""The caller read from the claims API Gateway's JWT authorizer hands on, and the tenant taken from the
token's groups in every form a list claim arrives (no network)."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import pytest

from invoice_hub.auth import claim_values, principal_from_claims, principal_from_event, tenant_group
from invoice_hub.domain.errors import Forbidden, Unauthenticated

CLIENT = "the-app-client"


def event_with(claims: dict[str, Any] | None, where: str = "claims") -> dict[str, Any]:
    """A payload 1.0 event as an HTTP API hands it after its JWT authorizer (`where`: claims for 1.0,
    jwt for 2.0's `authorizer.jwt.claims`)."""
    if claims is None:
        return {"requestContext": {}}
    authorizer = {"claims": claims, "scopes": None} if where == "claims" else {"jwt": {"claims": claims}}
    return {"requestContext": {"authorizer": authorizer}}


def access_claims(groups: object) -> dict[str, Any]:
    return {"sub": "s", "username": "u", "token_use": "access", "client_id": CLIENT, "cognito:groups": groups}


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (None, []),
        ("", []),
        ("[]", []),
        ("admin", ["admin"]),
        ("[admin]", ["admin"]),
        ("[tenant_a admin]", ["tenant_a", "admin"]),  # an HTTP API JWT authorizer's list
        ("tenant_a,admin", ["tenant_a", "admin"]),  # a REST Cognito authorizer's, as reported
        ("tenant_a, admin", ["tenant_a", "admin"]),
        (["tenant_a", "admin"], ["tenant_a", "admin"]),  # a decoded token's
        (("tenant_a",), ["tenant_a"]),
    ],
)
def test_a_list_claim_is_read_in_every_form_it_arrives(value: object, parsed: list[str]) -> None:
    assert claim_values(value) == parsed


@pytest.mark.parametrize("form", ["[{tenant} admin]", "{tenant},admin", "LIST"])
def test_the_tenant_and_role_come_from_the_authorizers_claims_in_each_form(form: str) -> None:
    tenant = uuid.uuid4()
    groups: object = (
        [tenant_group(tenant), "admin"] if form == "LIST" else form.format(tenant=tenant_group(tenant))
    )
    for where in ("claims", "jwt"):
        principal = principal_from_event(event_with(access_claims(groups), where), CLIENT)
        assert principal.tenant_id == tenant
        assert principal.is_admin


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        event_with(None),
        {"requestContext": {"authorizer": None}},
        {"requestContext": {"authorizer": {"claims": None, "scopes": None}}},
        {"requestContext": {"authorizer": {"claims": {}}}},
        {"requestContext": {"authorizer": {"jwt": {"claims": {}}}}},
        {"requestContext": {"authorizer": {"claims": "sub=s"}}},
    ],
)
def test_a_bearer_route_reached_without_the_authorizers_claims_is_unauthenticated(
    event: dict[str, Any],
) -> None:
    # defence in depth: a route deployed without the authorizer must not serve anyone
    with pytest.raises(Unauthenticated):
        principal_from_event(event, CLIENT)


@pytest.mark.parametrize(
    "change",
    [
        {"token_use": "id"},  # an ID token of the same pool and client
        {"token_use": None},
        {"client_id": "another-client"},
        {"client_id": None},
        {"sub": None},
    ],
)
def test_claims_of_other_than_this_clients_access_token_are_unauthenticated(change: dict[str, Any]) -> None:
    claims = {**access_claims(f"[{tenant_group(uuid.uuid4())}]"), **change}
    with pytest.raises(Unauthenticated):
        principal_from_event(event_with({k: v for k, v in claims.items() if v is not None}), CLIENT)


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


def test_no_function_or_layer_module_imports_a_jwt_library() -> None:
    # API Gateway's JWT authorizer verifies the tokens (decision 018): PyJWT and cryptography stay out of
    # every function's imports, at init and at any request
    root = Path(__file__).resolve().parents[2]
    sources = [
        *(root / "layers/invoice_hub/python/invoice_hub").rglob("*.py"),
        *(root / "functions").rglob("*.py"),
    ]
    found = []
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                f"{source.relative_to(root)}: {name}"
                for name in names
                if name.split(".")[0] in ("jwt", "cryptography")
            ]
    assert len(sources) > 100
    assert found == []
