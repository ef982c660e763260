"""Powertools' event handler package without the other resolvers its `__init__` imports.

`aws_lambda_powertools.event_handler/__init__.py` imports every resolver Powertools has (AppSync with
`asyncio`, AppSync events, Bedrock agents, VPC Lattice, Lambda function URLs, the HTTP resolver) to
re-export their names, and Python runs a package's `__init__` before any of its modules: a function that
serves one API Gateway route paid for all of them at every cold start (docs/decisions/023-one-resolver-
imported.md). After `install()`, importing the package makes its module as its own spec does, with its
`__path__` (so its modules import as usual) but without running its `__init__`; the names that `__init__`
takes from `api_gateway` (the ones the layer and Powertools' own modules import from the package) resolve
to `api_gateway`'s on first use, and any other name runs the real `__init__` then, so nothing is missing.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

PACKAGE = "aws_lambda_powertools.event_handler"
#: the names the package's `__init__` re-exports from its `api_gateway` module
FROM_API_GATEWAY = frozenset(
    {
        "ALBResolver",
        "APIGatewayHttpResolver",
        "ApiGatewayResolver",
        "APIGatewayRestResolver",
        "CORSConfig",
        "Response",
    }
)


def install() -> None:
    """From now on, `aws_lambda_powertools.event_handler` imports without running its `__init__`; nothing
    when the package is already imported (e.g. by the local stack in the same process) or the finder is
    already in place. Costs nothing until the package is imported."""
    if PACKAGE not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


class _Finder:
    """Finds the package as the path finder does, with the loader below; once. (Not an `importlib.abc`
    class: importing `importlib.abc` imports `importlib.resources`, more than this saves at a cold start.)"""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _WithoutInit(spec.loader))
        return spec


class _WithoutInit:
    """Makes the package module (its `__path__` is set from its spec) without running its `__init__`; the
    names `__init__` defines come from `api_gateway` or, for any other name, from running `__init__`."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module, its __path__ and __spec__ from the spec

    def exec_module(self, module: ModuleType) -> None:
        loaded = False

        def __getattr__(name: str) -> Any:
            nonlocal loaded
            if name in FROM_API_GATEWAY:
                return getattr(importlib.import_module(f"{PACKAGE}.api_gateway"), name)
            dunder = name.startswith("__") and name != "__all__"
            if loaded or dunder or importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
                raise AttributeError(name)  # a module of the package: the import system imports it
            loaded = True  # any other name: the package as Powertools wrote it
            self.loader.exec_module(module)
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(name) from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
