"""botocore's data loader without two cold-start costs (docs/decisions/026-botocore-data.md).

A first client of a fresh botocore session pays, beside its own service's model:
- **the listing of every service**: to check that the service it loads exists, `Loader.load_service_model`
  lists every directory of botocore's data (about 460 services, with a directory listing and a file check
  each), once for the service model and once for the endpoint rule set: about 20 ms of CPU;
- **endpoints.json**: the endpoint data of every service in every partition (1.25 MB), which the session's
  endpoint resolver parses to resolve one client's signing region and signature version: about 20 ms.

`ColdStartLoader` answers "is this service known?" by looking in that service's directory only (the answer
the listing gives), and reads endpoints.json's partitions with the entries of the layer's own services only
(`botocore_endpoints.json`, generated from the pinned botocore's file by
`python -m invoice_hub_local.botocore_endpoints --write`, and checked against it by the unit tests). The
resolver then answers for those services exactly as with the whole file; `aws_clients.client` refuses any
other service, so no client is ever resolved against the partial data. A data path of the operator's own
(`AWS_DATA_PATH`, `~/.aws/models`) that holds an endpoints.json is read as botocore reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

ENDPOINTS = Path(__file__).with_name("botocore_endpoints.json")


class ServiceNames:
    """The services that have a model of one type, as `Loader.list_available_services` lists them: `in`
    looks in the one service's directory; iterating lists them all, as botocore does."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, service_name: object) -> bool:
        if not isinstance(service_name, str) or not service_name or os.sep in service_name:
            return False
        try:
            return bool(self._loader.list_api_versions(service_name, self._type_name))
        except DataNotFoundError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(Loader.list_available_services(self._loader, self._type_name))


class ColdStartLoader(Loader):
    def list_available_services(self, type_name: str) -> Any:  # botocore's name
        return ServiceNames(self, type_name)

    def load_data_with_path(self, name: str) -> tuple[Any, str]:  # botocore's name
        if name != "endpoints" or self._own_data_has(name):
            return super().load_data_with_path(name)
        # the builtin path, as botocore would name it: the resolver knows the data is botocore's own
        return json.loads(ENDPOINTS.read_bytes()), os.path.join(self.BUILTIN_DATA_PATH, name)

    def _own_data_has(self, name: str) -> bool:
        return any(
            self.file_loader.exists(os.path.join(path, name))
            for path in self.search_paths
            if not self.is_builtin_path(path)
        )


def loader(data_path: str | None) -> ColdStartLoader:
    """The loader botocore's session makes (`create_loader`), for its `data_path` setting (AWS_DATA_PATH)."""
    if data_path is None:
        return ColdStartLoader()
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    return ColdStartLoader(extra_search_paths=paths)
