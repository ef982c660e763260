"""GET /openapi.json — the whole API's OpenAPI 3 document."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.contracts.docs import openapi_document

app = APIGatewayRestResolver()


@app.get("/openapi.json", include_in_schema=False)
def document() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
