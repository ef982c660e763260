"""The layer ships the versions the tests ran with: its constraints pin every distribution its requirements
install (their whole closure, as CPython 3.12 on Linux resolves it), each at the version installed here."""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LAYER = Path(__file__).resolve().parents[2] / "layers/invoice_hub/python"
#: the Lambda runtime's interpreter, whatever runs the tests
RUNTIME = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
}


def requirements(name: str) -> list[Requirement]:
    return [
        Requirement(line.split("#")[0].strip())
        for line in (LAYER / name).read_text().splitlines()
        if line.split("#")[0].strip()
    ]


def closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots install, with their extras, by the installed metadata."""
    found: set[str] = set()
    pending = [(root, frozenset(root.extras)) for root in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found and not extras:
            continue
        found.add(name)
        for text in metadata.distribution(requirement.name).requires or []:
            needed = Requirement(text)
            if needed.marker and not any(
                needed.marker.evaluate({**RUNTIME, "extra": extra}) for extra in (extras or {""})
            ):
                continue
            pending.append((needed, frozenset(needed.extras)))
    return found


def test_every_distribution_the_layer_installs_is_pinned_and_no_other() -> None:
    pinned = {canonicalize_name(pin.name) for pin in requirements("constraints.txt")}
    assert closure(requirements("requirements.txt")) == pinned


def test_each_pin_is_the_version_the_tests_run_with() -> None:
    differing = {
        pin.name: (str(pin.specifier), metadata.version(pin.name))
        for pin in requirements("constraints.txt")
        if str(pin.specifier) != f"=={metadata.version(pin.name)}"
    }
    assert not differing, differing
