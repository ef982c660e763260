"""The layer's endpoint data (`invoice_hub/botocore_endpoints.json`, decision 026): botocore's endpoints.json
with each partition's entries of the layer's services only (`aws_clients.SERVICES`, by their endpoint
prefixes), everything else of the partitions as it is.

`python -m invoice_hub_local.botocore_endpoints --write` makes it from the installed botocore (after a
botocore upgrade, or a service added to SERVICES); `--check` fails when the committed file differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from botocore.loaders import Loader

from invoice_hub.aws_clients import SERVICES
from invoice_hub.aws_data import ENDPOINTS


def prefixes(loader: Loader) -> set[str]:
    """The endpoint prefixes of SERVICES: endpoints.json names a service by its prefix (sesv2: `email`)."""
    return {loader.load_service_model(name, "service-2")["metadata"]["endpointPrefix"] for name in SERVICES}


def trimmed() -> dict[str, Any]:
    """botocore's endpoint data, each partition's services cut to the layer's."""
    loader = Loader()
    data: dict[str, Any] = loader.load_data("endpoints")
    kept = prefixes(loader)
    for partition in data["partitions"]:
        partition["services"] = {name: v for name, v in partition["services"].items() if name in kept}
    return data


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the layer's file")
    parser.add_argument("--check", action="store_true", help="fail if the layer's file is stale")
    args = parser.parse_args(argv)
    text = render(trimmed())
    if args.write:
        ENDPOINTS.write_text(text)
        print(f"wrote {ENDPOINTS} ({len(text):,} bytes)")
    elif args.check and ENDPOINTS.read_text() != text:
        print(
            f"{ENDPOINTS} is stale: python -m invoice_hub_local.botocore_endpoints --write", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
