"""The API's OpenAPI document (generated from the code by `make openapi`, committed) and Swagger UI."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

DOCUMENT_NAME = "openapi.json"


@lru_cache(maxsize=1)
def openapi_document() -> str:
    return resources.files("invoice_hub.contracts").joinpath(DOCUMENT_NAME).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def swagger_page() -> str:
    """Swagger UI with its assets inlined (no CDN) and the document embedded."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import (
        generate_swagger_html,
    )

    assets = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    js = assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8")
    spec = openapi_document().replace("</", "<\\/")
    return generate_swagger_html(spec, js, css, "", None, persist_authorization=True)
