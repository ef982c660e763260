"""Runs a template function's handler in this process the way Lambda calls it (event, context)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from invoice_hub_local.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


#: modules whose import finished; a function's first requests may arrive together (its cold start)
_loaded: dict[str, ModuleType] = {}
_loading = threading.Lock()
#: each function's containers not serving a request now (a module loaded under a name of its own each)
_idle: dict[str, list[ModuleType]] = {}
_count: dict[str, int] = {}
_pool = threading.Lock()


def _exec(name: str, spec: FunctionSpec) -> ModuleType:
    module_file, _, _ = spec.handler.rpartition(".")
    path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
    found = importlib.util.spec_from_file_location(name, path)
    if found is None or found.loader is None:
        raise ImportError(f"no handler module for {spec.logical_id} in {spec.code_dir}")
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module
    try:
        found.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_module(spec: FunctionSpec) -> ModuleType:
    """The function's first container: its module, imported from its own folder under a name of its own
    (every handler is app.py).

    Lambda runs a container's init once, before its first request; here concurrent first requests wait
    for the one import instead of seeing a module whose import is still running."""
    name = f"invoice_hub_fn_{spec.code_dir.name}"
    loaded = _loaded.get(name)
    if loaded is not None:
        return loaded
    with _loading:
        if name not in _loaded:
            _loaded[name] = _exec(name, spec)
    return _loaded[name]


def _take(spec: FunctionSpec) -> ModuleType:
    """A container for one request: the first one when it is idle, another idle one, or a new one.

    Lambda gives each concurrent request a container of its own, so a module's state (the resolver's
    current event, say) is never shared by two requests at once; neither is it here."""
    first = load_module(spec)
    key = spec.logical_id
    with _pool:
        if key not in _idle:
            _idle[key], _count[key] = [first], 1
        idle = _idle[key]
        if idle:
            module = first if first in idle else idle[-1]
            idle.remove(module)
            return module
        number = _count[key]
        _count[key] = number + 1
    with _loading:
        return _exec(f"{first.__name__}__{number}", spec)


def _give_back(spec: FunctionSpec, module: ModuleType) -> None:
    with _pool:
        _idle[spec.logical_id].append(module)


def handler_of(spec: FunctionSpec) -> Handler:
    """The function's handler as Lambda calls it: each call in a container no other call is using."""
    _, _, function_name = spec.handler.rpartition(".")

    def call(event: dict[str, Any], context: Any) -> Any:
        module = _take(spec)
        try:
            return getattr(module, function_name)(event, context)
        finally:
            _give_back(spec, module)

    return call


def invoke(spec: FunctionSpec, event: dict[str, Any]) -> Any:
    context = LambdaContext(function_name=spec.logical_id, timeout_seconds=spec.timeout)
    return handler_of(spec)(event, context)
