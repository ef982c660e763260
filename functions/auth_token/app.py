"""POST /auth/token — OAuth2 password grant: username and password for a bearer token (Cognito)."""

from typing import Annotated

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.http import Form
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.token import TokenOut
from invoice_hub.entry import wiring
from invoice_hub.logic.auth import issue_token

app = invoice_api.resolver()


@app.post(
    "/auth/token",
    summary="Get an access token",
    tags=["Auth"],
    responses={
        200: {"description": "Signed in", "content": {"application/json": {"model": TokenOut}}},
        400: fastapi_style.error("Incorrect username or password"),
        422: fastapi_style.VALIDATION_ERROR,
        503: fastapi_style.BUSY,
        **fastapi_style.BODY_ERRORS,
    },
)
def token(
    username: Annotated[str, Form(min_length=1, max_length=128)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    grant_type: Annotated[str | None, Form(max_length=32)] = None,
) -> TokenOut:
    token, lifetime = issue_token(wiring.identity(), username, password, grant_type)
    return TokenOut(access_token=token, expires_in=lifetime)


lambda_handler = invoice_api.entry_point(app, bearer=False)
