"""Reads template.yaml through aws-sam-translator: the functions, their routes and the resources to build.

Nothing here lists resources by hand; what the template declares is what runs locally. Run as a module,
it writes the translated CloudFormation for checkov (`make checkov`):
`python -m invoice_hub_local.template --cloudformation build/template.cfn.json`.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CODE_BUCKET = "local-code"
_ARN_IN_URI = re.compile(r"\$\{(\w+)\.Arn\}")


class _CfnLoader(yaml.CSafeLoader):
    """YAML loader that understands CloudFormation's short intrinsic tags (!Ref, !Sub, !GetAtt, ...). Safe,
    and libyaml's (PyYAML's wheels carry it): it reads template.yaml in 0.04 s of CPU, the pure-Python
    loader in 0.24 s, and the local stack and the tests read it often."""


def _intrinsic(loader: yaml.CSafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a CSafeLoader subclass
    return loaded


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template's path, e.g. /invoice/{id}
    function: str  # logical id
    authorizer: str | None = None  # the API's authorizer (a security scheme's name); None: `NONE`
    scopes: tuple[str, ...] = ()  # the route's authorization scopes (one of them must be in the token)


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    routes: list[Route] = field(default_factory=list)


@dataclass
class Stack:
    name: str
    template: dict[str, Any]  # CloudFormation, after the SAM transform
    parameters: dict[str, str]
    functions: dict[str, FunctionSpec]
    routes: list[Route]
    #: the HTTP API's authorizers by name: their `x-amazon-apigateway-authorizer` (type, identitySource,
    #: jwtConfiguration with the template's intrinsics unresolved)
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical: resource
            for logical, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }


class _NoManagedPolicies:
    """Managed-policy names stay unresolved locally: the translator would otherwise call IAM."""

    def load(self) -> dict[str, str]:
        return {}


def _code_to_s3(sam: dict[str, Any]) -> None:
    """Local CodeUri / ContentUri folders become s3:// placeholders the translator accepts; the folder
    survives as the S3 key so each function's code can be found again."""
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        for name in ("CodeUri", "ContentUri"):
            uri = props.get(name)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                props[name] = f"s3://{CODE_BUCKET}/{uri.rstrip('/')}"


def translate(path: Path, parameters: dict[str, str]) -> dict[str, Any]:
    return translate_sam(load_yaml(path), parameters)


def translate_sam(sam: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """CloudFormation from a loaded SAM template (which this changes: code folders become S3 placeholders)."""
    from samtranslator.translator.transform import transform

    _code_to_s3(sam)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result: dict[str, Any] = transform(sam, parameters, _NoManagedPolicies())
    return result


def carry_checkov_skips(sam: dict[str, Any], cfn: dict[str, Any]) -> dict[str, Any]:
    """Gives each resource SAM generated the checkov skips written on the SAM resource it came from.

    SAM keeps a function's Metadata on the Lambda function it makes, but not an Api's on the Stage it makes
    (nor a function's on its role or event source mapping). A generated resource's logical id starts with its
    source's, so the longest such SAM logical id names the source. Resources that were in the template
    itself keep their own Metadata untouched.
    """
    sources = {
        logical: resource["Metadata"]["checkov"]
        for logical, resource in sam["Resources"].items()
        if resource["Type"].startswith("AWS::Serverless::") and "checkov" in resource.get("Metadata", {})
    }
    for logical, resource in cfn["Resources"].items():
        if logical in sam["Resources"] or "checkov" in resource.get("Metadata", {}):
            continue
        source = max((s for s in sources if logical.startswith(s)), key=len, default=None)
        if source is not None:
            resource.setdefault("Metadata", {})["checkov"] = copy.deepcopy(sources[source])
    return cfn


def translated_for_checks(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform, with the template's checkov skips."""
    sam = load_yaml(path)
    return carry_checkov_skips(sam, translate_sam(copy.deepcopy(sam), parameter_values(sam)))


def parameter_values(template: dict[str, Any], overrides: dict[str, str] | None = None) -> dict[str, str]:
    values = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    values.update(overrides or {})
    return values


def load_stack(
    path: Path = ROOT / "template.yaml",
    name: str = "invoice-hub-local",
    overrides: dict[str, str] | None = None,
) -> Stack:
    params = parameter_values(load_yaml(path), overrides)
    cfn = translate(path, params)
    functions: dict[str, FunctionSpec] = {}
    for logical, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        functions[logical] = FunctionSpec(
            logical_id=logical,
            code_dir=path.parent / props["Code"]["S3Key"],
            handler=props["Handler"],
            environment=props.get("Environment", {}).get("Variables", {}),
            timeout=int(props.get("Timeout", 3)),
        )
    routes = _routes(cfn)
    for route in routes:
        functions[route.function].routes.append(route)
    return Stack(
        name=name,
        template=cfn,
        parameters=params,
        functions=functions,
        routes=routes,
        authorizers=_authorizers(cfn),
    )


def _apis(cfn: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI bodies of the template's HTTP APIs (an AWS::Serverless::HttpApi is one after the
    transform, its routes and authorizers in the body)."""
    return [
        resource["Properties"]["Body"]
        for resource in cfn["Resources"].values()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
    ]


def _authorizers(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for body in _apis(cfn):
        for name, scheme in body.get("components", {}).get("securitySchemes", {}).items():
            if "x-amazon-apigateway-authorizer" in scheme:
                found[name] = scheme["x-amazon-apigateway-authorizer"]
    return found


def _routes(cfn: dict[str, Any]) -> list[Route]:
    routes: list[Route] = []
    for body in _apis(cfn):
        for path, methods in body.get("paths", {}).items():
            for method, operation in methods.items():
                uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
                text = uri.get("Fn::Sub", "") if isinstance(uri, dict) else str(uri)
                match = _ARN_IN_URI.search(text if isinstance(text, str) else "")
                if not match:
                    continue
                # `security: [{"NONE": []}]` is SAM's `Authorizer: NONE`; none at all would mean no
                # default authorizer either
                (requirement,) = operation.get("security") or [{"NONE": []}]
                ((scheme, scopes),) = requirement.items()
                routes.append(
                    Route(
                        method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                        path=path,
                        function=match.group(1),
                        authorizer=None if scheme == "NONE" else scheme,
                        scopes=tuple(scopes),
                    )
                )
    return routes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloudformation", type=Path, required=True, help="the JSON file to write")
    args = parser.parse_args(argv)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its feature-toggle notes
    args.cloudformation.parent.mkdir(parents=True, exist_ok=True)
    args.cloudformation.write_text(json.dumps(translated_for_checks(), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
