"""The OpenAPI document as tools no one here wrote read it: openapi-spec-validator finds the committed
document, and the one the local stack serves (the same), valid; openapi-python-client generates a client
from it with no warning, one module per operation. Offline: the client's only post-hooks are ruff's
(the virtual environment's), which need no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from invoice_hub_local.openapi import DOCUMENT

COMMITTED: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent


def test_the_committed_document_is_valid_openapi() -> None:
    validate(COMMITTED)  # raises on the first error


@pytest.mark.e2e
def test_the_served_document_is_the_committed_one(http: httpx.Client) -> None:
    # when a client fetches the document from the running API
    served = http.get("/openapi.json")
    # then it is the committed one, and valid
    assert served.status_code == 200
    assert served.json() == COMMITTED
    validate(served.json())


#: the generator reads no XML: eBillingHub's XML invoices (an opaque payload in the document) are bytes
#: to it, as its documented `content_type_overrides` lets a client's team say
GENERATOR_CONFIG = "content_type_overrides:\n  application/xml: application/octet-stream\n"


def test_a_client_is_generated_from_the_document_without_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(GENERATOR_CONFIG, encoding="utf-8")
    # when openapi-python-client generates a client (its ruff post-hooks run the venv's ruff)
    generated = subprocess.run(  # noqa: S603 - the venv's own tool, on the committed document
        [
            BIN / "openapi-python-client",
            "generate",
            "--path",
            DOCUMENT,
            "--meta",
            "none",
            "--config",
            config,
            "--output-path",
            tmp_path / "client",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = generated.stdout + generated.stderr
    # then it succeeds without a warning (a skipped schema, an unreadable one, a failed hook)
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    # and every operation has its module
    modules = [path for path in (tmp_path / "client/api").rglob("*.py") if path.name != "__init__.py"]
    operations = [operation for methods in COMMITTED["paths"].values() for operation in methods.values()]
    assert len(modules) == len(operations)
    # and an XML invoice goes as the bytes given
    submit = (tmp_path / "client/api/e_billing_hub").glob("submission_request_ebh_submissions_*.py")
    code = next(submit).read_text(encoding="utf-8")
    assert "body: File," in code
    assert 'headers["Content-Type"] = "application/xml"' in code
