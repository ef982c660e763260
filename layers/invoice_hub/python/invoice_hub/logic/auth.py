"""Sign-in for the OAuth2 password grant."""

from __future__ import annotations

from invoice_hub.dal.identity import CognitoIdentity
from invoice_hub.domain.errors import InvalidCredentials


def issue_token(
    identity: CognitoIdentity, username: str, password: str, grant_type: str | None
) -> tuple[str, int]:
    """(the access token, its lifetime in seconds)."""
    if grant_type not in (None, "", "password"):
        raise InvalidCredentials("unsupported grant_type; only 'password' is accepted")
    return identity.access_token(username, password)
