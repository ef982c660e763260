"""Runs a template function's handler in this process the way Lambda calls it (event, context).

Each concurrent request gets a container of its own (the function's module, loaded once per container),
and each container keeps its own logger context, as a Lambda container's process does.

Why the logger needs it: every function imports the one layer, so every container here shares one
Powertools Logger (`invoice_hub.observability.logger`). Its `inject_lambda_context` writes the
invocation's `function_name`, `function_request_id`, `cold_start`, ... (and `set_correlation_id` its
`correlation_id`) with `append_keys`, into a single dict: `log_format` of the logger's one formatter
(aws_lambda_powertools/logging/formatter.py), which every line of the process reads when it is
formatted. On Lambda one process serves one invocation at a time, so that dict is the invocation's.
Here, a request of another function starting in the meantime overwrites it, and the first function's
later lines carry the other's name and request id. Powertools' cold start is a module-level flag
(`logging/logger.py: is_cold_start`), so here only the process's first invocation was ever cold.

The fix, in this process only (`_isolate_logger_context`, the layer is untouched):
- `log_format` of Powertools' formatters becomes per container while an invocation runs: the
  container's own copy of what was set at import (service, sampling rate, ...), kept across its
  invocations as a process keeps it. Outside an invocation (imports, the local stack's own code) it is
  the formatter's one dict, as before;
- a thread started during an invocation (the Sender's pool) runs in a copy of the invocation's context
  (what Python 3.14's `thread_inherit_context` does), so its lines are the invocation's too;
- `cold_start` is true on each container's first invocation.

Powertools' event handler has the same kind of state: `resolve` writes the event and the context to
`BaseRouter.current_event` and `BaseRouter.lambda_context`, class attributes that every resolver of the
process reads (aws_lambda_powertools/event_handler/api_gateway.py). Here two concurrent requests, of
one function or of two, each read the one that started last: a route parsed another request's body
and answered it to the wrong client. `_isolate_router_event` makes both attributes the running
invocation's own (outside invocations, one value for the process, as before).
"""

from __future__ import annotations

import contextvars
import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

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


@dataclass(eq=False)
class _Container:
    """What a container's process holds that this shared process must hold per container."""

    log_formats: dict[int, dict[str, Any]] = field(default_factory=dict)  # by formatter (its id)
    served: bool = False
    cold: bool = True  # of the invocation it is serving


#: each container's state, by its module's name
_containers: dict[str, _Container] = {}
#: the container of the invocation running in this context (None outside invocations)
_current: ContextVar[_Container | None] = ContextVar("invoice_hub_local_container", default=None)


class _ContainerLogFormat:
    """`log_format` of Powertools' formatters: the running invocation's container's own dict, or the
    formatter's one dict outside invocations (and while it is built)."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        shared: dict[str, Any] = formatter.__dict__["log_format"]
        container = _current.get()
        if container is None:
            return shared
        own = container.log_formats.get(id(formatter))
        if own is None:
            own = container.log_formats.setdefault(id(formatter), dict(shared))
        return own

    def __set__(self, formatter: Any, value: dict[str, Any]) -> None:
        container = _current.get()
        if container is None or "log_format" not in formatter.__dict__:
            formatter.__dict__["log_format"] = value
        else:
            container.log_formats[id(formatter)] = value


_start_thread = threading.Thread.start
_process_cold_start = powertools_logger._is_cold_start


def _start_in_invocation_context(thread: threading.Thread) -> None:
    if _current.get() is not None:
        context = contextvars.copy_context()
        run = thread.run
        thread.run = lambda: context.run(run)  # type: ignore[method-assign]
    _start_thread(thread)


def _is_cold_start() -> bool:
    container = _current.get()
    return _process_cold_start() if container is None else container.cold


def _isolate_logger_context() -> None:
    """Gives each container its own Powertools logger context (see the module's docstring)."""
    if not isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _ContainerLogFormat):
        LambdaPowertoolsFormatter.log_format = _ContainerLogFormat()  # type: ignore[assignment]
        threading.Thread.start = _start_in_invocation_context  # type: ignore[method-assign,assignment]
        powertools_logger._is_cold_start = _is_cold_start


_isolate_logger_context()


#: `BaseRouter`'s event and context, of the invocation running in this context (None outside invocations)
_router_state: ContextVar[dict[str, Any] | None] = ContextVar("invoice_hub_local_router", default=None)
#: and outside invocations, the process's one value (as Powertools keeps it)
_process_router_state: dict[str, Any] = {}


def _router_values() -> dict[str, Any]:
    own = _router_state.get()
    return _process_router_state if own is None else own


class _InvocationAttribute:
    """One of `BaseRouter`'s class-wide attributes, read and written as the running invocation's own:
    through a resolver (`app.current_event`) and, set on the metaclass, through the class itself
    (`BaseRouter.current_event = ...`, which Powertools' `resolve` does)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        try:
            return _router_values()[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: Any, value: Any) -> None:
        _router_values()[self.name] = value


def _isolate_router_event() -> None:
    """Gives each invocation its own `BaseRouter.current_event` and `lambda_context` (see the module's
    docstring)."""
    if isinstance(BaseRouter.__dict__.get("current_event"), _InvocationAttribute):
        return
    names = ("current_event", "lambda_context")
    per_invocation = type(
        "_PerInvocationRouterMeta", (type(BaseRouter),), {name: _InvocationAttribute(name) for name in names}
    )
    for name in names:
        type.__setattr__(BaseRouter, name, _InvocationAttribute(name))
    BaseRouter.__class__ = per_invocation  # type: ignore[method-assign]


_isolate_router_event()


def _run_in(container: _Container, handler: Handler, event: dict[str, Any], context: Any) -> Any:
    _current.set(container)
    _router_state.set({})
    container.cold, container.served = not container.served, True
    return handler(event, context)


def handler_of(spec: FunctionSpec) -> Handler:
    """The function's handler as Lambda calls it: each call in a container no other call is using, with
    the container's own logger context."""
    _, _, function_name = spec.handler.rpartition(".")

    def call(event: dict[str, Any], context: Any) -> Any:
        module = _take(spec)
        container = _containers.setdefault(module.__name__, _Container())
        try:
            return contextvars.copy_context().run(
                _run_in, container, getattr(module, function_name), event, context
            )
        finally:
            _give_back(spec, module)

    return call


def invoke(spec: FunctionSpec, event: dict[str, Any]) -> Any:
    context = LambdaContext(function_name=spec.logical_id, timeout_seconds=spec.timeout)
    return handler_of(spec)(event, context)
