"""moto's server on loopback, standing in for AWS over real HTTP.

moto's backends are not thread-safe (a DynamoDB transaction's rollback restores items that another
request thread may be changing; see moto_transactions.py), so requests are applied one at a time. Each
AWS request is atomic either way; races between a function's read and its conditional write still
happen, as they do on AWS.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterable
from typing import Any

from moto import backends
from moto.core import responses as moto_responses
from moto.core.utils import method_names_from_class
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from invoice_hub_local.lambda_invoke import LambdaInvocations
from invoice_hub_local.sqs_move_tasks import BACKEND_LOCK

#: set while moto's request threads are to be traced (see `_trace_if_asked`)
TRACE_MOTO = threading.Event()
_thread_tracer = threading.local()


def _trace_if_asked() -> None:
    """A tracer (coverage's, under the tests) is called for every line moto runs: the edge suite's invoice
    operations took 93 s of CPU traced, 76 s with these threads untraced. So a request thread runs
    untraced, unless TRACE_MOTO is set: this package's patches to moto run in these threads, and their
    own tests set it (tests/conftest.py's `moto_traced`) so that coverage measures them. A thread keeps
    its own tracer, to be set again on a later request of its connection."""
    tracer = sys.gettrace()
    if tracer is not None:
        _thread_tracer.value = tracer
    if not TRACE_MOTO.is_set():
        if tracer is not None:
            sys.settrace(None)
    elif tracer is None and getattr(_thread_tracer, "value", None) is not None:
        sys.settrace(_thread_tracer.value)


def _traced() -> None:
    """A function invoked on this endpoint is the service's own code: traced, as the gateway's threads are
    (a request of moto's before it on the same connection took this thread's tracer away)."""
    tracer = getattr(_thread_tracer, "value", None)
    if tracer is not None and sys.gettrace() is None:
        sys.settrace(tracer)


class _OneAtATime:
    def __init__(self, app: Any) -> None:
        self.app = app
        # the same lock the SQS move-task threads take, so they never change a queue mid-request
        self.lock = BACKEND_LOCK

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        _trace_if_asked()
        with self.lock:
            return list(self.app(environ, start_response))


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(_list_of_moto_modules())


_list_of_moto_modules = backends.list_of_moto_modules
#: a response class's method names: moto lists them with `inspect.getmembers` on every request to find the
#: action's method (9 s of the test run's CPU); a class's methods do not change while the server runs
_method_names = functools.cache(method_names_from_class)


class AwsServer:
    def __init__(self, host: str, port: int) -> None:
        # moto's dispatcher lists its own package directory (a listdir and a stat per entry) on every
        # request to find the service; the directory does not change while the server runs
        backends.list_of_moto_modules = _moto_modules
        setattr(moto_responses, "method_names_from_class", _method_names)  # noqa: B010 - not exported
        #: Lambda's Invoke of the template's functions (`serve` them), outside moto's lock
        self.invocations = LambdaInvocations(
            _OneAtATime(DomainDispatcherApplication(create_backend_app)), before=_traced
        )
        self._server: BaseWSGIServer = make_server(
            host, port, self.invocations, threaded=True, request_handler=MotoRequestHandler
        )
        self.port: int = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws", daemon=True)

    def start(self) -> AwsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
