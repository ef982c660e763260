"""Generates the API's OpenAPI document from the functions' resolvers (Powertools OpenAPIMerge).

`python -m invoice_hub_local.openapi --write` refreshes the committed document; `--check` fails when the
committed one differs from what the code generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import (
    APIKey,
    APIKeyIn,
    OAuth2,
    OAuthFlowPassword,
    OAuthFlows,
)

from invoice_hub.api import docs
from invoice_hub_local.lambda_runtime import load_module
from invoice_hub_local.template import ROOT, load_stack

DOCUMENT = ROOT / "layers/invoice_hub/python/invoice_hub/api" / docs.DOCUMENT_NAME
#: the contract's paths keep their trailing slash (API Gateway REST serves both spellings)
CONTRACT_PATHS = {"/invoice": "/invoice/"}


SECURITY_SCHEMES: dict[str, Any] = {
    "OAuth2PasswordBearer": OAuth2(flows=OAuthFlows(password=OAuthFlowPassword(tokenUrl="/auth/token"))),
    "DecodaTenant": APIKey(name="TENANT", **{"in": APIKeyIn.header}),
    "DecodaApiKey": APIKey(name="API-KEY", **{"in": APIKeyIn.header}),
    "EbhProducerId": APIKey(name="ProducerId", **{"in": APIKeyIn.header}),
    "EbhProviderKey": APIKey(name="ProviderKey", **{"in": APIKeyIn.header}),
}


def generate() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title="invoice-hub",
        version="1.0.0",
        description=(
            "Healthcare billing: the Invoice API (seed 003) with OAuth2 password bearer tokens. "
            "Clients of the published contracts work unchanged."
        ),
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    # Every function's resolver, loaded as Lambda loads it. The security schemes are given here, not in
    # the functions, so that no function pays at cold start for OpenAPI models it does not serve.
    for spec in sorted(load_stack().functions.values(), key=lambda f: f.logical_id):
        if not spec.routes:
            continue  # queue consumers and schedules serve no HTTP
        resolver = load_module(spec).app
        merge.add_schema(resolver.get_openapi_schema(title="invoice-hub", security_schemes=SECURITY_SCHEMES))
    schema = json.loads(merge.get_openapi_json_schema())
    schema["paths"] = {CONTRACT_PATHS.get(path, path): ops for path, ops in sorted(schema["paths"].items())}
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the committed document")
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.write:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    elif args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print("the committed OpenAPI document is stale: run `make openapi`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
