"""Every way a bearer token can be wrong answers the contract's 401 (or 403 for a user with no practice).

Tokens are signed here with the key moto's Cognito signs with, so each case differs from a valid token
in exactly one claim; the first test shows such a token is otherwise accepted."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import moto.cognitoidp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from invoice_hub.auth import tenant_group
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, load_event
from tests.integration.handlers import call

MOTO_KEY = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"


def moto_key() -> tuple[Any, str]:
    with gzip.open(MOTO_KEY) as handle:
        jwk = json.loads(handle.read())
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk)), jwk["kid"]


def claims(stack: LocalStack, practice: Practice, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "iss": stack.environment["JWT_ISSUER"],
        "client_id": stack.environment["USER_POOL_CLIENT_ID"],
        "token_use": "access",
        "username": practice.email,
        "cognito:groups": [tenant_group(practice.tenant.id)],
        "iat": now,
        "exp": now + 600,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def list_with(stack: LocalStack, token: str) -> tuple[int, dict[str, str], Any]:
    event = load_event("invoice_list", "default")
    event["headers"]["Authorization"] = f"Bearer {token}"
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {token}"]
    return call(stack, "invoice_list", event)


def signed(payload: dict[str, Any], key: Any = None, kid: str | None = None) -> str:
    default_key, default_kid = moto_key()
    return jwt.encode(payload, key or default_key, algorithm="RS256", headers={"kid": kid or default_kid})


def test_a_token_with_every_claim_right_is_accepted(stack: LocalStack, practice: Practice) -> None:
    status, _, body = list_with(stack, signed(claims(stack, practice)))
    assert status == 200
    assert body["total"] == 0


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"exp": int(time.time()) - 3600}, "Token expired"),
        ({"client_id": "another-app-client"}, "Invalid token"),
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, "Invalid token"),
        ({"token_use": "id"}, "Invalid token"),
        ({"exp": None}, "Invalid token"),
    ],
)
def test_wrong_claims_are_401(
    stack: LocalStack, practice: Practice, change: dict[str, Any], detail: str
) -> None:
    status, headers, body = list_with(stack, signed(claims(stack, practice, **change)))
    assert status == 401
    assert body == {"detail": detail}
    assert headers["WWW-Authenticate"] == "Bearer"


def test_a_forged_signature_is_401(stack: LocalStack, practice: Practice) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status, _, _ = list_with(stack, signed(claims(stack, practice), key=forger))
    assert status == 401


def test_an_unknown_key_id_is_401(stack: LocalStack, practice: Practice) -> None:
    status, _, _ = list_with(stack, signed(claims(stack, practice), kid="not-a-pool-key"))
    assert status == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "e30.e30.e30"])
def test_malformed_tokens_are_401(stack: LocalStack, token: str) -> None:
    status, _, _ = list_with(stack, token)
    assert status == 401


def test_an_unsigned_token_is_401(stack: LocalStack, practice: Practice) -> None:
    token = jwt.encode(claims(stack, practice), key=None, algorithm="none")
    status, _, _ = list_with(stack, token)
    assert status == 401


def test_a_user_in_no_practice_is_403(stack: LocalStack, practice: Practice) -> None:
    status, _, body = list_with(stack, signed(claims(stack, practice, **{"cognito:groups": ["admin"]})))
    assert status == 403
    assert body == {"detail": "the user is not a member of exactly one practice"}
