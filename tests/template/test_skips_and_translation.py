"""Every lint skip says why, in the template or in .checkov.yaml, and the skips reach the translated form
checkov reads."""

from __future__ import annotations

import re
from typing import Any

from invoice_hub_local.template import ROOT, translated_for_checks
from tests.report import tried

# An ignored cfn-lint rule is a list item of ignore_checks; its reason is a comment on it or just above.
_IGNORED = re.compile(r"^\s+- ([EWI][A-Z]?\d{4})\s*(#.*)?$")
# A check skipped for every resource is a list item of .checkov.yaml's skip-check, its reason likewise.
_SKIPPED_EVERYWHERE = re.compile(r"^\s+- (CKV2?_[A-Z]+_\d+)\s*(#.*)?$")


def _unexplained(lines: list[str], item: re.Pattern[str]) -> tuple[int, list[str]]:
    """How many items `item` matches, and those with no comment on them, above them, or on a list
    item just above them (items sharing one reason)."""
    found, unexplained = 0, []
    for number, line in enumerate(lines):
        match = item.match(line)
        if not match:
            continue
        found += 1
        above = lines[number - 1].strip()
        if not match.group(2) and not (above.startswith("#") or item.match(lines[number - 1])):
            unexplained.append(f"line {number + 1}: {match.group(1)}")
    return found, unexplained


def test_every_checkov_skip_says_why(written: dict[str, Any]) -> None:
    skips = [
        (logical, skip)
        for logical, resource in written["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    vague = [(logical, skip["id"]) for logical, skip in skips if len(skip.get("comment", "").split()) < 6]
    assert vague == []
    tried(
        "template",
        f"{len(skips)} checkov skips on {len({s[0] for s in skips})} resources, each with its reason",
    )


def test_every_cfn_lint_ignore_says_why() -> None:
    lines = (ROOT / "template.yaml").read_text(encoding="utf-8").splitlines()
    ignored, unexplained = _unexplained(lines, _IGNORED)
    assert ignored
    assert unexplained == []
    tried("template", f"{ignored} cfn-lint rule ignores, each with its reason")


def test_every_check_skipped_everywhere_says_why() -> None:
    """.checkov.yaml skips a check for every resource: its reason is written beside it."""
    lines = (ROOT / ".checkov.yaml").read_text(encoding="utf-8").splitlines()
    skipped, unexplained = _unexplained(lines, _SKIPPED_EVERYWHERE)
    assert skipped
    assert unexplained == []
    tried(
        "template",
        f"{skipped} checkov checks skipped for every resource in .checkov.yaml, each with its reason",
    )


def test_translated_form_keeps_the_skips_where_checkov_looks() -> None:
    """SAM keeps a function's Metadata on the Lambda function it makes; the translation for checkov
    gives each generated resource its source's skips (the HTTP API's stage has none to carry)."""
    cfn = translated_for_checks()
    functions = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert all("CKV_AWS_116" in str(f["Metadata"]["checkov"]) for f in functions)
