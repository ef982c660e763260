"""`make run`: the service on http://127.0.0.1:3000 (PORT overrides), with no AWS account and no Docker."""

from __future__ import annotations

import logging
import os
import signal
import threading

from invoice_hub_local.seed import DEMO_API_KEYS, DEMO_PROVIDER_KEYS, DEMO_USERS
from invoice_hub_local.stack import LocalStack, cli_environment


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its feature-toggle notes
    for noisy in ("werkzeug", "botocore", "moto", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = LocalStack(
        port=int(os.environ.get("PORT", "3000")),
        aws_port=int(os.environ.get("AWS_PORT", "4566")),
        external_port=int(os.environ.get("FAKE_EXTERNAL_PORT", "3001")),
    )
    stack.start()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"""
invoice-hub is running locally
  API            {stack.url}
  OpenAPI        {stack.url}/openapi.json
  Swagger UI     {stack.url}/docs
  AWS (moto)     {stack.aws_endpoint}
  Fake external  {stack.external.url}
                 POST /_control {{"mode": "ok|fail|timeout|reject|throttle"}} switches it; GET /_received
                 GET /_outbox: what every channel carried to patients (e-mail, text, call, letter, card)
Demo users (POST {stack.url}/auth/token with form fields username and password):""")
    for user in DEMO_USERS:
        role = "admin, " if user.admin else ""
        print(f"  {user.email:<28} {user.password:<16} ({role}tenant {user.tenant_slug})")
    print("Decoda API keys (headers TENANT and API-KEY):")
    for slug, key in DEMO_API_KEYS:
        print(f"  TENANT: {slug:<16} API-KEY: {key}")
    print("eBillingHub producers (headers ProducerId and ProviderKey):")
    for slug, producer, key in DEMO_PROVIDER_KEYS:
        print(f"  ProducerId: {producer:<16} ProviderKey: {key:<20} (tenant {slug})")
    queues = stack.queue_arns()
    print("AWS CLI against the local stack (paste into a shell; its resources are in moto's us-east-1):")
    print(
        "  export "
        + " ".join(f"{name}={value}" for name, value in cli_environment(stack.aws_endpoint).items())
    )
    print(f"  export SEND_QUEUE_ARN={queues['SendQueue']} SEND_DLQ_ARN={queues['SendDLQ']}")
    # AWS CLI v1 sends sqs commands to queue.amazonaws.com whatever AWS_ENDPOINT_URL says
    redrive = 'sqs start-message-move-task --source-arn "$SEND_DLQ_ARN"'
    print(f'  e.g. aws --endpoint-url "$AWS_ENDPOINT_URL" {redrive}')
    print("Ctrl-C stops it.", flush=True)
    stop.wait()
    print("stopping...", flush=True)
    stack.stop()


if __name__ == "__main__":
    main()
