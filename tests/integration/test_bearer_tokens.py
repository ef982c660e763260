"""Every way a bearer token can be wrong is refused by the local gateway as API Gateway's JWT authorizer
refuses it: 401 `{"message":"Unauthorized"}` with a `www-authenticate` challenge, the function never
invoked. A good token's claims reach the function as AWS hands them (payload 1.0, every value a string).

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
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_hub.auth import tenant_group
from invoice_hub_local.gateway import Gateway
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, Recorder

MOTO_KEY = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
#: the scope every access token of the pool carries (InitiateAuth's), which the template's authorizer
#: requires; an ID token has none
SCOPE = "aws.cognito.signin.user.admin"


def moto_key() -> tuple[Any, str]:
    with gzip.open(MOTO_KEY) as handle:
        jwk = json.loads(handle.read())
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk)), jwk["kid"]


def issuer(stack: LocalStack) -> str:
    return stack.authorizers["CognitoJwt"].issuer


def claims(stack: LocalStack, practice: Practice, **changes: Any) -> dict[str, Any]:
    """An access token's claims, as the local Cognito issues them (a change of None drops the claim)."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "iss": issuer(stack),
        "client_id": stack.environment["USER_POOL_CLIENT_ID"],
        "token_use": "access",
        "scope": SCOPE,
        "username": practice.email,
        "cognito:groups": [tenant_group(practice.tenant.id)],
        "iat": now,
        "exp": now + 600,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def id_token_claims(stack: LocalStack, practice: Practice) -> dict[str, Any]:
    """An ID token of the same pool and client: `aud` is the client, no `client_id`, no scope."""
    return claims(
        stack,
        practice,
        token_use="id",
        aud=stack.environment["USER_POOL_CLIENT_ID"],
        client_id=None,
        scope=None,
        email=practice.email,
    )


def signed(payload: dict[str, Any], key: Any = None, kid: str | None = None, algorithm: str = "RS256") -> str:
    default_key, default_kid = moto_key()
    return jwt.encode(payload, key or default_key, algorithm=algorithm, headers={"kid": kid or default_kid})


def list_with(stack: LocalStack, authorization: str | None) -> Any:
    """GET /invoice/ through a gateway over the stack's routes and authorizers."""
    headers = {} if authorization is None else {"Authorization": authorization}
    environ = EnvironBuilder(method="GET", path="/invoice/", headers=headers).get_environ()
    return Gateway(stack.stack, stack.authorizers).handle(Request(environ))


def test_a_good_tokens_claims_reach_the_function_as_aws_hands_them(
    stack: LocalStack, practice: Practice, recorder: Recorder
) -> None:
    payload = claims(stack, practice, **{"cognito:groups": [tenant_group(practice.tenant.id), "admin"]})
    response = list_with(stack, f"Bearer {signed(payload)}")
    assert response.status_code == 200
    (event,) = recorder.events
    assert event["requestContext"]["authorizer"] == {
        "claims": {
            **{name: str(value) for name, value in payload.items() if name != "cognito:groups"},
            "cognito:groups": f"[{tenant_group(practice.tenant.id)} admin]",
        },
        "scopes": None,
    }
    assert all(isinstance(value, str) for value in event["requestContext"]["authorizer"]["claims"].values())


def test_the_token_alone_without_the_bearer_scheme_is_taken_as_aws_takes_it(
    stack: LocalStack, practice: Practice, recorder: Recorder
) -> None:
    assert list_with(stack, signed(claims(stack, practice))).status_code == 200


def test_a_real_token_of_the_local_cognito_lists_through_the_gateway(
    stack: LocalStack, http: Any, practice: Practice
) -> None:
    response = http.get("/invoice/", headers=practice.headers)
    assert response.status_code == 200
    assert response.json()["total"] == 0


def forged(stack: LocalStack, practice: Practice) -> dict[str, str | None]:
    """Each way a token can be wrong: the Authorization header it arrives in (None: no header)."""
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    return {
        "no header": None,
        "empty": "",
        "no token": "Bearer",
        "not a JWT": "Bearer garbage",
        "three dots": "Bearer a.b.c",
        "empty JSON parts": "Bearer e30.e30.e30",
        "unsigned (alg none)": f"Bearer {jwt.encode(claims(stack, practice), key=None, algorithm='none')}",
        "signed by another key": f"Bearer {signed(claims(stack, practice), key=forger)}",
        "an unknown key id": f"Bearer {signed(claims(stack, practice), kid='not-a-pool-key')}",
        "HS256": f"Bearer {signed(claims(stack, practice), key='s' * 32, algorithm='HS256')}",
        "expired": f"Bearer {signed(claims(stack, practice, exp=now - 3600))}",
        "no exp": f"Bearer {signed(claims(stack, practice, exp=None))}",
        "not yet valid (nbf)": f"Bearer {signed(claims(stack, practice, nbf=now + 3600))}",
        "issued in the future (iat)": f"Bearer {signed(claims(stack, practice, iat=now + 3600))}",
        "another issuer": f"Bearer {signed(claims(stack, practice, iss=issuer(stack) + 'x'))}",
        "another client": f"Bearer {signed(claims(stack, practice, client_id='another-app-client'))}",
        "another audience, even with this client_id": (
            f"Bearer {signed(claims(stack, practice, aud='another-app-client'))}"
        ),
        "no client": f"Bearer {signed(claims(stack, practice, client_id=None))}",
        "an ID token": f"Bearer {signed(id_token_claims(stack, practice))}",
        "no scope": f"Bearer {signed(claims(stack, practice, scope=None))}",
        "another scope": f"Bearer {signed(claims(stack, practice, scope='openid email'))}",
    }


def test_each_forged_or_wrong_token_is_refused_at_the_gateway(
    stack: LocalStack, practice: Practice, recorder: Recorder
) -> None:
    for name, authorization in forged(stack, practice).items():
        response = list_with(stack, authorization)
        assert response.status_code == 401, name
        assert json.loads(response.get_data()) == {"message": "Unauthorized"}, name
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith(f'Bearer scope="{SCOPE}" error="invalid_token"'), (name, challenge)
    assert recorder.events == []  # no function ever ran


def test_an_id_token_is_refused_by_the_function_too_should_the_gateway_let_it_through(
    stack: LocalStack, practice: Practice
) -> None:
    # defence in depth: the function checks token_use and client_id in the claims it is handed
    from invoice_hub.auth import principal_from_event
    from invoice_hub.domain.errors import Unauthenticated
    from invoice_hub_local.jwt_authorizer import stringified

    event = {
        "requestContext": {
            "authorizer": {
                "claims": {k: stringified(v) for k, v in id_token_claims(stack, practice).items()},
                "scopes": None,
            }
        }
    }
    with pytest.raises(Unauthenticated):
        principal_from_event(event, stack.environment["USER_POOL_CLIENT_ID"])


def test_a_user_in_no_practice_is_403(stack: LocalStack, http: Any, practice: Practice) -> None:
    token = signed(claims(stack, practice, **{"cognito:groups": ["admin"]}))
    response = http.get("/invoice/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json() == {"detail": "the user is not a member of exactly one practice"}
