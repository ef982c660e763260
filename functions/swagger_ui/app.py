"""GET /docs — Swagger UI over the API's OpenAPI document."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.contracts.docs import swagger_page

app = APIGatewayRestResolver()


@app.get("/docs", include_in_schema=False)
def page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=swagger_page())


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
