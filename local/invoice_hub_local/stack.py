"""The whole local stack in one object: moto's server, the template's resources, the gateway, demo data."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from invoice_hub_local import seed
from invoice_hub_local.aws import AwsServer
from invoice_hub_local.gateway import Gateway
from invoice_hub_local.provision import REGION, Provisioner, Resolved
from invoice_hub_local.template import Stack, load_stack

log = logging.getLogger("invoice_hub_local")
HOST = "127.0.0.1"


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """What makes every boto3 client in this process talk to moto: the endpoint and throw-away keys."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


@dataclass
class LocalStack:
    port: int = 3000
    aws_port: int = 0
    stack: Stack = field(init=False)
    resolved: Resolved = field(init=False)
    environment: dict[str, str] = field(init=False, default_factory=dict)
    _aws: AwsServer | None = field(init=False, default=None)
    _http: BaseWSGIServer | None = field(init=False, default=None)
    _thread: threading.Thread | None = field(init=False, default=None)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    def start(self) -> LocalStack:
        self._aws = AwsServer(HOST, self.aws_port).start()
        self.aws_port = self._aws.port
        os.environ.update(aws_environment(self.aws_endpoint))
        self.stack = load_stack()
        provisioner = Provisioner(self.stack, self.aws_endpoint)
        self.resolved = provisioner.build()
        env = provisioner.function_environment()
        # Cognito's keys are served by moto locally; the issuer stays the real AWS one (as moto signs it).
        env["JWKS_URL"] = f"{self.aws_endpoint}/{env['USER_POOL_ID']}/.well-known/jwks.json"
        self.environment = env
        os.environ.update(env)
        seed.seed(self.cognito(), env["USER_POOL_ID"], env["TABLE_NAME"])
        self._http = make_server(HOST, self.port, Gateway(self.stack), threaded=True)
        self.port = self._http.server_port
        self._thread = threading.Thread(target=self._http.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        return self

    def cognito(self) -> Any:
        import boto3

        return boto3.client("cognito-idp", endpoint_url=self.aws_endpoint, region_name=REGION)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._aws is not None:
            self._aws.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
