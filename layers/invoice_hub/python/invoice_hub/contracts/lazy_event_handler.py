"""Powertools' packages without what their `__init__` imports that a function does not use.

`aws_lambda_powertools.event_handler/__init__.py` imports every resolver Powertools has (AppSync with
`asyncio`, AppSync events, Bedrock agents, VPC Lattice, Lambda function URLs, the HTTP resolver) to
re-export their names, and Python runs a package's `__init__` before any of its modules: a function that
serves one API Gateway route paid for all of them at every cold start (docs/decisions/023-one-resolver-
imported.md). The resolver's module does the same one level down: it imports the names of the events it
reads from `utilities.data_classes`, whose `__init__` imports all 40-odd event classes (CodePipeline,
Kafka, S3, ...); and Powertools' own `__init__` imports Metrics and the Tracer beside the Logger. After
`install()`, importing one of these packages makes its module as its own spec does, with its `__path__`
(so its modules import as usual) but without running its `__init__`; each name its `__init__` imports from
one of its modules (read from the `__init__`'s source) resolves to that module's on first use, what the
`__init__` calls besides (Powertools' `set_package_logger_handler()` and `inject_user_agent()`) is called
when the package is made, and any other name runs the real `__init__` then, so nothing is missing.
"""

from __future__ import annotations

import ast
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

#: the packages made without their `__init__`
PACKAGES = (
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)


def re_exports(package: str, source: str) -> tuple[dict[str, str], list[str]]:
    """({name: the module of `package` it comes from} for each `from .module import name` (or the same with
    the package's full name) of the package's `__init__` source; the names of those it calls, without
    arguments, as statements of its own: what the `__init__` does besides importing names)."""
    exports: dict[str, str] = {}
    calls: list[str] = []
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if isinstance(call.func, ast.Name) and not call.args and not call.keywords:
                calls.append(call.func.id)
            continue
        if not isinstance(statement, ast.ImportFrom) or statement.module is None:
            continue
        if statement.level == 1:
            module = statement.module
        elif statement.level == 0 and statement.module.startswith(f"{package}."):
            module = statement.module.removeprefix(f"{package}.")
        else:
            continue
        exports.update({alias.asname or alias.name: module for alias in statement.names})
    return exports, [name for name in calls if name in exports]


def install() -> None:
    """From now on, the packages above import without running their `__init__`; nothing for a package
    already imported (e.g. by the local stack in the same process), nothing when the finder is already in
    place. Costs nothing until a package is imported."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder({name for name in PACKAGES if name not in sys.modules}))


class _Finder:
    """Finds each package as the path finder does, with the loader below; once each. (Not an
    `importlib.abc` class: importing `importlib.abc` imports `importlib.resources`, more than this saves.)"""

    def __init__(self, packages: set[str]) -> None:
        self.packages = packages

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.packages:
            return None
        self.packages.discard(fullname)
        if not self.packages:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or spec.origin is None:
            return spec
        with open(spec.origin, encoding="utf-8") as init:
            exports, calls = re_exports(fullname, init.read())
        spec.loader = cast("Loader", _WithoutInit(spec.loader, exports, calls))
        return spec


class _WithoutInit:
    """Makes the package module (its `__path__` is set from its spec) without running its `__init__`; a
    name `__init__` re-exports comes from the module `exports` names (so a module of the package that
    imports another's name from the package, as `sqs_event` imports `S3Event`, gets it without `__init__`);
    any other name (`__all__`, `__version__`) from running `__init__`."""

    def __init__(self, loader: Loader, exports: dict[str, str], calls: list[str]) -> None:
        self.loader = loader
        self.exports = exports
        self.calls = calls

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module, its __path__ and __spec__ from the spec

    def exec_module(self, module: ModuleType) -> None:
        loaded = False

        def __getattr__(name: str) -> Any:
            nonlocal loaded
            if name in self.exports and not loaded:
                return getattr(importlib.import_module(f"{module.__name__}.{self.exports[name]}"), name)
            dunder = name.startswith("__") and name != "__all__"
            if loaded or dunder or importlib.util.find_spec(f"{module.__name__}.{name}") is not None:
                raise AttributeError(name)  # a module of the package: the import system imports it
            loaded = True  # any other name: the package as Powertools wrote it
            self.loader.exec_module(module)
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(name) from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        for name in self.calls:  # what the __init__ does besides importing names
            __getattr__(name)()
