"""The layer's endpoint data (`invoice_hub/botocore_endpoints.json`, decision 026): botocore's endpoints.json
with each partition's entries of the layer's services only (`aws_clients.SERVICES`, by their endpoint
prefixes), everything else of the partitions as it is.

`python -m invoice_hub_local.botocore_endpoints --write` makes it from the installed botocore (after a
botocore upgrade, or a service added to SERVICES); `--check` fails when the committed file differs.
"""

from __future__ import annotations

from typing import Any

from botocore.loaders import Loader

from invoice_hub.aws_clients import SERVICES
from invoice_hub.aws_data import ENDPOINTS
from invoice_hub_local import generated


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


def main(argv: list[str] | None = None) -> int:
    command = "python -m invoice_hub_local.botocore_endpoints --write"
    return generated.main(argv, __doc__, ENDPOINTS, lambda: generated.compact_json(trimmed()), command)


if __name__ == "__main__":
    raise SystemExit(main())
