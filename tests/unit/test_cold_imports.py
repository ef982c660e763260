"""What a function imports at its cold start (issue 15): each test imports functions' `app.py` as Lambda's
runtime does, in a fresh interpreter, and reads `sys.modules` (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
ENVIRONMENT = {
    "TABLE_NAME": "cold-imports",
    "IDEMPOTENCY_TABLE_NAME": "cold-imports-idempotency",
    "USER_POOL_ID": "us-east-1_cold",
    "USER_POOL_CLIENT_ID": "cold",
    "AWS_DEFAULT_REGION": "us-east-1",
}
#: imports each named app.py in turn (argv), then prints the modules imported since the start
IMPORT = """
import importlib.util, json, sys
before = set(sys.modules)
for index, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"cold_imports_{index}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def imported_by(*functions: str) -> set[str]:
    """The modules that importing these functions' app.py (in one fresh interpreter) imports."""
    done = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", IMPORT, *(str(FUNCTIONS / name / "app.py") for name in functions)],
        env={**ENVIRONMENT, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def runs_clean(code: str) -> None:
    """The code runs to its end in a fresh interpreter (its asserts hold)."""
    done = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def api_functions() -> list[str]:
    return sorted(
        path.parent.name
        for path in FUNCTIONS.glob("*/app.py")
        if "invoice_hub.contracts" in path.read_text(encoding="utf-8")
    )


def test_no_api_function_imports_powertools_other_resolvers() -> None:
    # Powertools' event_handler package __init__ imports every resolver (AppSync with asyncio, Bedrock,
    # VPC Lattice, ...); the functions import the API Gateway one only (decision 023)
    functions = api_functions()
    modules = imported_by(*functions)

    assert len(functions) > 50
    assert "aws_lambda_powertools.event_handler.api_gateway" in modules
    dragged = {
        name
        for name in modules
        if name == "asyncio"
        or name.startswith(
            tuple(
                f"aws_lambda_powertools.event_handler.{other}"
                for other in ("appsync", "bedrock_agent", "vpc_lattice", "events_appsync", "http_resolver")
            )
        )
    }
    assert dragged == set()


def test_no_api_function_imports_powertools_other_event_classes() -> None:
    # the resolver's module imports its events from utilities.data_classes, whose __init__ imports every
    # event class Powertools has (Kafka, S3, CodePipeline, ...); the functions import the ones it reads
    modules = imported_by(*api_functions())

    package = "aws_lambda_powertools.utilities.data_classes"
    assert f"{package}.api_gateway_proxy_event" in modules
    assert {
        f"{package}.{other}" for other in ("kafka_event", "s3_event", "code_pipeline_job_event")
    } & modules == set()


def test_powertools_packages_still_give_every_name_they_export() -> None:
    code = (
        "import invoice_hub.contracts, sys\n"
        "import aws_lambda_powertools.event_handler as package\n"
        "from aws_lambda_powertools.event_handler import Response, APIGatewayRestResolver\n"
        "assert 'aws_lambda_powertools.event_handler.appsync' not in sys.modules\n"
        "import aws_lambda_powertools.utilities.data_classes as events\n"
        "assert 'aws_lambda_powertools.utilities.data_classes.s3_event' not in sys.modules\n"
        "from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, S3Event\n"
        "assert all(getattr(events, name) for name in events.__all__)\n"
        "assert events.APIGatewayProxyEvent is APIGatewayProxyEvent\n"
        "from aws_lambda_powertools.event_handler import AppSyncResolver\n"
        "assert all(getattr(package, name) for name in package.__all__)\n"
        "import aws_lambda_powertools\n"
        "assert aws_lambda_powertools.event_handler is package and package.Response is Response\n"
    )
    runs_clean(code)


def test_a_module_that_takes_a_siblings_name_from_its_package_imports() -> None:
    # sqs_event imports S3Event from the package: with the package's __init__ run for it, s3_event would be
    # imported again half-made (the Sender's batch processor after an API function, in one process)
    code = (
        "import invoice_hub.contracts, sys\n"
        "import aws_lambda_powertools.utilities.data_classes as events\n"
        "from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent\n"
        "assert 'aws_lambda_powertools.utilities.data_classes.kafka_event' not in sys.modules\n"
        "from aws_lambda_powertools.utilities.batch import BatchProcessor\n"
        "from aws_lambda_powertools.utilities.data_classes import SQSEvent as again\n"
        "assert again is SQSEvent\n"
    )
    runs_clean(code)


@pytest.mark.parametrize("function", ["invoice_get", "invoice_list", "invoice_delete", "invoice_pdf"])
def test_invoice_reads_do_not_import_issuing_or_patients_at_init(function: str) -> None:
    # issuing (the outbox, the queue, idempotency) is the create and update path's; a patient's contact
    # models are the contact functions'
    modules = imported_by(function)

    assert "invoice_hub.logic.invoices" in modules
    assert {
        "invoice_hub.logic.issuing",
        "invoice_hub.logic.outbox",
        "invoice_hub.logic.idempotency",
        "invoice_hub.dal.queue_client",
        "invoice_hub.contracts.invoice_api.patients",
        "invoice_hub.domain.patient",
    } & modules == set()


DECODA_WEBHOOK_FUNCTIONS = sorted(path.parent.name for path in FUNCTIONS.glob("decoda_webhook*/app.py"))


@pytest.mark.parametrize("function", DECODA_WEBHOOK_FUNCTIONS)
def test_decodas_webhook_functions_do_not_import_the_invoice_models_at_init(function: str) -> None:
    # Decoda's invoice and rule models are its invoice and rule functions'; the Sender (with the
    # escalation and every channel) is built by the one webhook route that resends, when it does
    modules = imported_by(function)

    assert "invoice_hub.contracts.decoda.facade" in modules
    assert {
        "invoice_hub.contracts.decoda.models",
        "invoice_hub.logic.escalation",
        "invoice_hub.logic.delivering",
    } & modules == set()


def test_decodas_webhook_functions_are_eight() -> None:
    assert len(DECODA_WEBHOOK_FUNCTIONS) == 8


@pytest.mark.parametrize(
    "function",
    sorted(path.parent.name for path in FUNCTIONS.glob("ebh_*/app.py")),
)
def test_ebh_functions_do_not_import_a_submissions_issuing_at_init(function: str) -> None:
    # a submission's issuing (the invoice written, the outbox, the queue, idempotency) is loaded by the
    # routes that submit; the status reads need the sends alone (logic/payer_statuses.py)
    modules = imported_by(function)

    assert "invoice_hub.contracts.ebh.facade" in modules
    assert {
        "invoice_hub.logic.payer_submissions",
        "invoice_hub.logic.issuing",
        "invoice_hub.logic.outbox",
        "invoice_hub.dal.queue_client",
        "invoice_hub.dal.invoices",
    } & modules == set()


def test_no_function_imports_boto3_at_init() -> None:
    # the layer's clients come from one botocore session (decision 025): boto3's package __init__
    # imports s3transfer and multiprocessing, which no function uses
    functions = sorted(path.parent.name for path in FUNCTIONS.glob("*/app.py"))
    modules = imported_by(*functions)

    assert {"boto3", "s3transfer", "multiprocessing"} & modules == set()


def test_no_api_function_imports_powertools_metrics_or_tracer_at_init() -> None:
    # Powertools' package __init__ imports Metrics and Tracer to re-export them; the API functions log
    # only (the Sender, the schedule and retry-all import Metrics where they count: invoice_hub/metrics.py)
    modules = imported_by(*api_functions())

    assert "aws_lambda_powertools.logging.logger" in modules
    assert {"aws_lambda_powertools.metrics", "aws_lambda_powertools.tracing"} & modules == set()


def test_powertools_package_does_what_its_init_does_besides_importing() -> None:
    # its __init__ calls set_package_logger_handler() and inject_user_agent(): Powertools' own logger is
    # silent (a NullHandler, not propagated) and its user agent is added to every botocore session, once
    code = (
        "import invoice_hub.contracts, sys, logging, botocore\n"
        "from aws_lambda_powertools import Logger\n"
        "assert 'aws_lambda_powertools.metrics' not in sys.modules\n"
        "own = logging.getLogger('aws_lambda_powertools')\n"
        "assert own.propagate is False and any(isinstance(h, logging.NullHandler) for h in own.handlers)\n"
        "from aws_lambda_powertools.shared.user_agent import _initializer_botocore_session as ua\n"
        "assert botocore._INITIALIZERS.count(ua) == 1\n"
        "from aws_lambda_powertools import Metrics, Tracer, single_metric\n"
        "import aws_lambda_powertools\n"
        "assert aws_lambda_powertools.Logger is Logger\n"
    )
    runs_clean(code)


def test_a_stripe_event_is_verified_without_the_stripe_sdk() -> None:
    """The webhook's check is Stripe's, written out (decision 027): no SDK, no HTTP client imported."""
    runs_clean(
        "import sys, time\n"
        "from invoice_hub.connectors.stripe_events import signature_of, verified\n"
        'body, now = \'{"id": "evt_1", "object": "event"}\', int(time.time())\n'
        "header = f't={now},v1={signature_of(\"whsec_x\", now, body)}'\n"
        "assert verified(body, header, 'whsec_x')['id'] == 'evt_1'\n"
        "assert not {'stripe', 'httpx', 'requests'} & {name.split('.')[0] for name in sys.modules}\n"
    )
