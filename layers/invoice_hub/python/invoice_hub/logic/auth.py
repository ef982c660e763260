"""Sign-in for the OAuth2 password grant."""

from __future__ import annotations

from invoice_hub.contracts.invoice_api.token import TokenOut
from invoice_hub.dal.identity import CognitoIdentity
from invoice_hub.domain.errors import InvalidCredentials


def issue_token(identity: CognitoIdentity, username: str, password: str, grant_type: str | None) -> TokenOut:
    if grant_type not in (None, "", "password"):
        raise InvalidCredentials("unsupported grant_type; only 'password' is accepted")
    token, lifetime = identity.access_token(username, password)
    return TokenOut(access_token=token, expires_in=lifetime)
