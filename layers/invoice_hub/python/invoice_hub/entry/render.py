"""The render function's entry (RenderFunction, docs/decisions/029-a-render-function.md): an invoice
document in, its PDF out, for the functions that serve or send it. Nothing of the document is logged: a
failure is logged with its frames and types, and answered as RenderFailed naming the type only."""

from __future__ import annotations

from typing import Any

from invoice_hub.connectors.pdf import render
from invoice_hub.connectors.render_function import RenderFailed, render_handler
from invoice_hub.observability import logger

_render = render_handler(render)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    try:
        return _render(event, context)
    except RenderFailed:
        logger.exception("the document was not rendered")
        raise
