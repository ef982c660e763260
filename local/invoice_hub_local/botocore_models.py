"""The layer's service models (`invoice_hub/botocore_models.json`, decision 030): for each service of
`aws_clients.OPERATIONS`, botocore's own model of its latest API version (as botocore's data holds it,
before its SDK extras, which botocore's loader still adds) with only the operations the layer calls, the
shapes their input, output and errors reach, every error shape of the service, and no documentation (but
the client context parameters', which botocore reads).

`python -m invoice_hub_local.botocore_models --write` makes it from the installed botocore (after a
botocore upgrade, or an operation added to OPERATIONS); `--check` fails when the committed file differs.
"""

from __future__ import annotations

from typing import Any

from botocore.loaders import Loader

from invoice_hub.aws_clients import OPERATIONS
from invoice_hub.aws_data import MODELS
from invoice_hub_local import generated

#: the keys that hold text for people only (botocore builds docstrings from them, on demand)
DOCUMENTATION = frozenset({"documentation", "documentationUrl"})


def undocumented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: undocumented(v) for k, v in value.items() if k not in DOCUMENTATION}
    if isinstance(value, list):
        return [undocumented(v) for v in value]
    return value


def reached(shapes: dict[str, Any], roots: list[str]) -> set[str]:
    """The shapes named by `roots`, and every shape their members, list members, map keys and values name."""
    found: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        shape = shapes[name]
        refs = [shape.get("member"), shape.get("key"), shape.get("value"), *shape.get("members", {}).values()]
        todo.extend(ref["shape"] for ref in refs if ref)
    return found


def cut(model: dict[str, Any], operations: frozenset[str]) -> dict[str, Any]:
    """The model with `operations` only (each must be the service's), their shapes and every error shape."""
    unknown = operations - set(model["operations"])
    if unknown:
        raise ValueError(f"{model['metadata']['serviceId']} has no operation {sorted(unknown)}")
    shapes = model["shapes"]
    kept = {name: model["operations"][name] for name in sorted(operations)}
    roots = [ref["shape"] for op in kept.values() for ref in (op.get("input"), op.get("output")) if ref]
    roots += [error["shape"] for op in kept.values() for error in op.get("errors", [])]
    roots += [name for name, shape in shapes.items() if shape.get("exception")]
    names = reached(shapes, roots)
    made = undocumented(
        {**model, "operations": kept, "shapes": {name: shapes[name] for name in sorted(names)}}
    )
    if "clientContextParams" in model:  # botocore reads each one's documentation (model.py)
        made["clientContextParams"] = model["clientContextParams"]
    return made


def trimmed() -> dict[str, Any]:
    """{service: {"version": its API version, "service-2": its model, cut}} of every layer service."""
    loader = Loader()
    made: dict[str, Any] = {}
    for service, operations in sorted(OPERATIONS.items()):
        version = loader.determine_latest_version(service, "service-2")
        model = loader.load_data(f"{service}/{version}/service-2")
        made[service] = {"version": version, "service-2": cut(model, operations)}
    return made


def main(argv: list[str] | None = None) -> int:
    command = "python -m invoice_hub_local.botocore_models --write"
    return generated.main(argv, __doc__, MODELS, lambda: generated.compact_json(trimmed()), command)


if __name__ == "__main__":
    raise SystemExit(main())
