"""DELETE /invoice/{id} — deletes a DRAFT invoice; any other status is kept (409)."""

from typing import Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.api import invoice_api
from invoice_hub.logic.invoices import delete_invoice
from invoice_hub.observability import logger

app = invoice_api.resolver()


@app.delete(
    "/invoice/<id>",
    summary="Delete Invoice",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    status_code=204,
    responses={
        204: {"description": "Deleted"},
        404: {"description": "No such invoice in the caller's practice"},
        409: {"description": "Only a DRAFT invoice may be deleted"},
        **invoice_api.ERROR_RESPONSES,
    },
)
def delete(id: UUID) -> Response[None]:
    delete_invoice(invoice_api.repository(), invoice_api.principal(app).tenant_id, id)
    return Response(status_code=204)


_handler = invoice_api.authenticated(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _handler(event, context)
