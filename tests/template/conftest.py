"""The template as written, read once for the template suite."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from invoice_hub_local.template import ROOT, load_yaml
from tests.template.checks import Template


@pytest.fixture(scope="session")
def written() -> dict[str, Any]:
    return load_yaml(ROOT / "template.yaml")


@pytest.fixture(scope="session")
def template(written: dict[str, Any]) -> Template:
    return Template(copy.deepcopy(written))


@pytest.fixture
def broken(written: dict[str, Any]) -> Callable[[Callable[[dict[str, Any]], None]], Template]:
    """A copy of the template with one deliberate fault."""

    def make(fault: Callable[[dict[str, Any]], None]) -> Template:
        sam = copy.deepcopy(written)
        fault(sam)
        return Template(sam)

    return make
