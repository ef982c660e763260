"""Every lint skip in the template says why, and the skips reach the translated form checkov reads."""

from __future__ import annotations

import re
from typing import Any

from invoice_hub_local.template import ROOT, translated_for_checks
from tests.report import tried

# An ignored cfn-lint rule is a list item of ignore_checks; its reason is a comment on it or just above.
_IGNORED = re.compile(r"^\s+- ([EWI][A-Z]?\d{4})\s*(#.*)?$")


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
    ignored, unexplained = 0, []
    for number, line in enumerate(lines):
        match = _IGNORED.match(line)
        if not match:
            continue
        ignored += 1
        above = lines[number - 1].strip()
        if not match.group(2) and not (above.startswith("#") or _IGNORED.match(lines[number - 1])):
            unexplained.append(f"line {number + 1}: {match.group(1)}")
    assert ignored
    assert unexplained == []
    tried("template", f"{ignored} cfn-lint rule ignores, each with its reason")


def test_translated_form_keeps_the_skips_where_checkov_looks() -> None:
    """SAM keeps a function's Metadata on the Lambda function but drops the Api's from the Stage it makes;
    the translation for checkov puts it back, so the Stage's caching skip holds in both runs."""
    cfn = translated_for_checks()
    stages = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [s["id"] for s in stages[0]["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_120"]
    functions = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert all("CKV_AWS_117" in str(f["Metadata"]["checkov"]) for f in functions)
