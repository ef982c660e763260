"""The layer's botocore session (decisions 026 and 030): its loader knows the services botocore knows, and a
client of every service the layer uses is resolved, signed and presigned exactly as a default session's, while
the session reads only the layer's part of botocore's endpoint data, and of each service's model the
operations the layer calls, each modelled as botocore models it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import botocore.session
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, Shape, StructureShape

from invoice_hub import aws_clients, aws_data
from invoice_hub_local import botocore_endpoints, botocore_models

LAYER = Path(aws_clients.__file__).parent
#: one region of each partition the layer's services are in, and the default partition's others
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1")
VARIANTS = (
    Config(),
    Config(use_fips_endpoint=True),
    Config(use_dualstack_endpoint=True),
    Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),  # the documents' S3 client
)
CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}


def test_the_layer_s_endpoint_data_is_botocore_s_own_cut_to_its_services() -> None:
    assert botocore_endpoints.main(["--check"]) == 0, "python -m invoice_hub_local.botocore_endpoints --write"
    full = Loader().load_data("endpoints")
    ours = json.loads(aws_data.ENDPOINTS.read_text())
    kept = botocore_endpoints.prefixes(Loader())
    assert {"dynamodb", "email", "sms-voice"} <= kept
    for whole, part in zip(full["partitions"], ours["partitions"], strict=True):
        assert {k: v for k, v in whole.items() if k != "services"} == {
            k: v for k, v in part.items() if k != "services"
        }
        assert part["services"] == {
            name: whole["services"][name] for name in kept if name in whole["services"]
        }


@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_the_loader_knows_every_service_botocore_knows_and_no_other(type_name: str) -> None:
    listed = Loader().list_available_services(type_name)
    known = aws_data.ColdStartLoader().list_available_services(type_name)
    assert list(known) == listed
    assert all(name in known for name in listed)
    for unknown in ("nope", "", "dynamodb/2012-08-10", "../data", 42, None):
        assert unknown not in known


def test_a_service_botocore_does_not_know_is_refused_as_botocore_refuses_it() -> None:
    session = botocore.session.get_session()
    session.register_component("data_loader", aws_data.loader(None))
    with pytest.raises(UnknownServiceError, match="dynamodb"):  # the message lists the known services
        session.create_client("dynamodbb", region_name="us-east-1", **CREDENTIALS)


def test_a_client_of_a_service_outside_the_layer_s_list_is_refused() -> None:
    with pytest.raises(ValueError, match="SERVICES"):
        aws_clients.client("ec2")


def test_every_client_the_layer_makes_is_of_a_listed_service() -> None:
    named = set()
    for source in LAYER.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("aws_clients.client", "client"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    named.add(first.value)
    assert named, "no aws_clients.client call found: the scan is broken"
    assert named <= aws_clients.SERVICES
    assert {"dynamodb", "sqs", "s3"} <= named


def resolved(
    session: botocore.session.Session, service: str, region: str, config: Config
) -> dict[str, object]:
    client = session.create_client(service, region_name=region, config=config, **CREDENTIALS)
    signer = client._request_signer
    found: dict[str, object] = {
        "url": client.meta.endpoint_url,
        "region": client.meta.region_name,
        "partition": client.meta.partition,
        "signing": (signer.signing_name, signer.region_name, signer.signature_version),
    }
    if service == "s3":  # a presigned URL, the dated and signed parts left out
        url = urlsplit(client.generate_presigned_url("get_object", {"Bucket": "bucket", "Key": "doc.pdf"}))
        query = {
            k: v
            for k, v in parse_qsl(url.query)
            if k not in ("X-Amz-Date", "X-Amz-Signature", "Signature", "Expires")
        }
        if "X-Amz-Credential" in query:  # SigV4: the scope without its date
            query["X-Amz-Credential"] = query["X-Amz-Credential"].split("/", 2)[2]
        found["presigned"] = (url.netloc, url.path, query)
    return found


@pytest.mark.parametrize("service", sorted(aws_clients.SERVICES))
def test_each_service_s_client_resolves_as_with_botocore_s_whole_data(service: str) -> None:
    default = botocore.session.get_session()
    ours = botocore.session.get_session()
    ours.register_component("data_loader", aws_data.loader(None))
    compared = 0
    for region in REGIONS:
        for config in VARIANTS:
            try:
                expected = resolved(default, service, region, config)
            except Exception as refused:  # noqa: BLE001 - the same refusal is what is expected
                with pytest.raises(type(refused)):
                    resolved(ours, service, region, config)
                continue
            assert resolved(ours, service, region, config) == expected, (region, config)
            compared += 1
    assert compared >= len(REGIONS)


def test_an_endpoints_file_in_the_operator_s_data_path_is_read_as_botocore_reads_it(tmp_path: Path) -> None:
    own = {"version": 3, "partitions": []}
    (tmp_path / "endpoints.json").write_text(json.dumps(own))
    data, path = aws_data.loader(str(tmp_path)).load_data_with_path("endpoints")
    assert data == own
    assert path == str(tmp_path / "endpoints")
    data, path = aws_data.loader(None).load_data_with_path("endpoints")
    assert data == json.loads(aws_data.ENDPOINTS.read_text())
    assert Loader().is_builtin_path(path)


# -- the services' models, cut to the layer's operations (decision 030) ---------------------------------
#: methods of the layer named as an AWS operation is, that are not AWS calls
NOT_AWS_CALLS = {"sign": "connectors/webhooks.py: a webhook's HMAC signature"}


def test_the_layer_s_models_are_botocore_s_own_cut_to_its_operations() -> None:
    assert botocore_models.main(["--check"]) == 0, "python -m invoice_hub_local.botocore_models --write"
    assert set(aws_data.models()) == aws_clients.SERVICES


@pytest.mark.parametrize("service", sorted(aws_clients.SERVICES))
def test_each_operation_the_layer_calls_is_modelled_as_botocore_models_it(service: str) -> None:
    default = botocore.session.get_session().get_service_model(service)
    ours = botocore.session.get_session()
    ours.register_component("data_loader", aws_data.loader(None))
    cut = ours.get_service_model(service)

    def described(shape: Shape | None, seen: frozenset[str] = frozenset()) -> object:
        """A shape as a client sees it (type, serialization, members), its documentation left out."""
        if shape is None:
            return None
        if shape.name in seen:
            return shape.name
        seen |= {shape.name}
        found: dict[str, object] = {
            "type": shape.type_name,
            "serialization": shape.serialization,
            "metadata": shape.metadata,
        }
        if isinstance(shape, StructureShape):
            found["members"] = {name: described(member, seen) for name, member in shape.members.items()}
        elif isinstance(shape, ListShape):
            found["member"] = described(shape.member, seen)
        elif isinstance(shape, MapShape):
            found["key"], found["value"] = described(shape.key, seen), described(shape.value, seen)
        return found

    assert cut.metadata == default.metadata
    assert set(cut.operation_names) == aws_clients.OPERATIONS[service]
    for name in aws_clients.OPERATIONS[service]:
        theirs, mine = default.operation_model(name), cut.operation_model(name)
        assert described(mine.input_shape) == described(theirs.input_shape), name
        assert described(mine.output_shape) == described(theirs.output_shape), name
        assert [described(e) for e in mine.error_shapes] == [described(e) for e in theirs.error_shapes]
        assert (mine.http, mine.metadata, mine.context_parameters) == (
            theirs.http,
            theirs.metadata,
            theirs.context_parameters,
        )
    # every error the service models is still raised as its own exception class
    assert {s.name for s in cut.error_shapes} == {s.name for s in default.error_shapes}


def test_every_operation_the_layer_calls_is_in_its_models() -> None:
    operations = {
        xform_name(name): service
        for service in aws_clients.SERVICES
        for name in Loader().load_service_model(service, "service-2")["operations"]
    }
    listed = {xform_name(name) for names in aws_clients.OPERATIONS.values() for name in names}
    called: dict[str, str] = {}
    for source in LAYER.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            name = node.attr if isinstance(node, ast.Attribute) else None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):  # presign, paginate
                name = node.value
            if name in operations and name not in NOT_AWS_CALLS:
                called[name] = str(source.relative_to(LAYER))
    assert {"get_item", "transact_write_items", "put_object", "get_object", "invoke"} <= set(called)
    assert {name: where for name, where in called.items() if name not in listed} == {}


def test_an_operation_the_layer_does_not_call_is_no_method_of_its_clients() -> None:
    client = aws_clients.client("s3", region_name="us-east-1", **CREDENTIALS)
    assert callable(client.head_object)
    with pytest.raises(AttributeError):
        client.delete_bucket  # noqa: B018 - the attribute is the point


def test_a_model_of_the_operator_s_own_or_of_another_version_is_read_as_botocore_reads_it(
    tmp_path: Path,
) -> None:
    version = aws_data.models()["sqs"]["version"]
    own = {"version": "2.0", "metadata": {"apiVersion": version}, "operations": {}, "shapes": {}}
    (tmp_path / "sqs" / version).mkdir(parents=True)
    (tmp_path / "sqs" / version / "service-2.json").write_text(json.dumps(own))
    assert aws_data.loader(str(tmp_path)).load_data(f"sqs/{version}/service-2") == own
    older = Loader().list_api_versions("dynamodb", "service-2")[0]
    if older != aws_data.models()["dynamodb"]["version"]:
        assert aws_data.loader(None).load_data(f"dynamodb/{older}/service-2") == Loader().load_data(
            f"dynamodb/{older}/service-2"
        )
    assert aws_data.loader(None).load_data(f"sqs/{version}/paginators-1") == Loader().load_data(
        f"sqs/{version}/paginators-1"
    )
