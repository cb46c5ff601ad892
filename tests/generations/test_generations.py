"""Client generations without a server: the wire facts are what the old botocore releases say, every
wire form of every routed API is told apart by what its requests carry, a generation's model has
the old wire traits and no others, and the gateway's code names no AWS service."""

from __future__ import annotations

import ast
import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import cbor2
import pytest
from botocore.model import ServiceModel

from playground.gateway import generations
from playground.gateway.errors import AwsError
from playground.gateway.protocols import detect, get_protocol
from playground.gateway.protocols.json_cbor import AmzCborCodec, JsonCborProtocol
from playground.gateway.request import AwsRequest
from playground.gateway.specs import routed_apis, service_model, wire_models
from tests.gateway.shapegen import ShapeGen
from tests.gateway.test_protocol_json import to_aws_request
from tests.gateway.test_protocol_query import botocore_parse

ROOT = Path(__file__).resolve().parents[2]
BOTOCORE_PROTOCOLS = ("json", "query", "ec2", "smithy-rpc-v2-cbor", "rest-json", "rest-xml")


def test_the_wire_facts_are_what_the_old_botocore_releases_say() -> None:
    """scripts/wire_facts.py, reading the botocore of the old clients `make setup-dev` installs,
    derives exactly the committed files."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "wire_facts.py"), "--check", "--local"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_every_wire_file_names_its_sources() -> None:
    for path in sorted(generations.WIRE_DIR.glob("*.json")):
        document = generations._read(path.name)
        assert document.get("_comment") or document.get("_source"), path.name
        for entry in document.get("generations", []):
            assert entry["_source"], path.name
            assert entry["clients"], path.name
            assert entry["protocol"], path.name
        if "errors" in document:
            assert document["errors"]["_source"], path.name


def wire_forms() -> list[Any]:
    return [
        pytest.param(api, protocol, id=f"{api}-{protocol}") for api in routed_apis() for protocol in wire_models(api)
    ]


def request_in(protocol: str, model: ServiceModel) -> tuple[str, AwsRequest]:
    """A request for the model's first operation as a client of that generation sends it."""
    name = sorted(model.operation_names)[0]
    operation = model.operation_model(name)
    params = ShapeGen(7).value(operation.input_shape) if operation.input_shape is not None else {}
    if protocol in BOTOCORE_PROTOCOLS:
        return name, to_aws_request(protocol, operation, params)
    assert protocol == "json-cbor", f"no way to build a {protocol} request here"
    headers = {
        "Content-Type": f"application/x-amz-cbor-{model.metadata['jsonVersion']}",
        "X-Amz-Target": f"{model.metadata['targetPrefix']}.{name}",
    }
    body = cbor2.dumps(AmzCborCodec().write(operation.input_shape, params) if operation.input_shape else {})
    return name, AwsRequest.build(method="POST", raw_path="/", headers=headers, body=body)


@pytest.mark.parametrize(("api", "protocol"), wire_forms())
def test_every_wire_form_of_every_api_is_told_apart(api: str, protocol: str) -> None:
    model = wire_models(api)[protocol]
    name, request = request_in(protocol, model)
    found, speaking = detect(service_model(api), request)
    assert (speaking.name, found) == (protocol, model)
    assert speaking.operation(found, request).name == name


def test_a_request_with_no_mark_the_api_offers_is_read_in_its_current_form() -> None:
    bare = AwsRequest.build(method="POST", raw_path="/", headers={"Content-Type": "text/plain"})
    for api in routed_apis():
        current = service_model(api)
        found, protocol = detect(current, bare)
        assert found is current
        assert protocol.name in (current.metadata.get("protocols") or [current.metadata["protocol"]])


def test_the_gateway_code_names_no_aws_service() -> None:
    """Facts about particular AWS APIs live in wire/ (and botocore), not in the gateway's code:
    no string in it, docstrings aside, is an API's name, signing name, target prefix or service id."""
    names: set[str] = set()
    for api in routed_apis():
        names.add(api)
        for model in wire_models(api).values():
            for key in ("signingName", "endpointPrefix", "targetPrefix", "serviceId"):
                if model.metadata.get(key):
                    names.add(str(model.metadata[key]))
    names -= {"json", "query", "ec2", "smithy-rpc-v2-cbor", "json-cbor", "rest-json", "rest-xml"}  # protocols
    found = []
    for path in sorted((ROOT / "playground" / "gateway").rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in docstrings
        ]
    assert found == []


# --- how a generation's model is made ---------------------------------------------------------------


def test_a_generation_drops_the_wire_traits_its_model_did_not_have() -> None:
    """Athena's rest-json model binds members to the URI; its JSON 1.1 form carries all in the body."""
    for api in routed_apis():
        for generation in generations.generations(api):
            if generation.facts is None:
                continue
            model = wire_models(api)[generation.protocol]
            declared = generation.facts["shapes"]
            for shape_name in model.shape_names:
                shape = model.shape_for(shape_name)
                for member_name, member in getattr(shape, "members", {}).items():
                    if member.serialization.get("location"):
                        facts = declared.get(shape_name, {}).get("members", {}).get(member_name, {})
                        assert "location" in facts, (api, shape_name, member_name)


def test_facts_never_add_operations_shapes_or_members() -> None:
    current: dict[str, Any] = {
        "metadata": {"protocol": "rest-json", "protocols": ["rest-json"], "apiVersion": "1"},
        "operations": {"Get": {"name": "Get", "http": {"requestUri": "/x/{Id}"}, "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {"Id": {"shape": "S", "location": "uri", "locationName": "Id"}}},
            "S": {"type": "string"},
        },
    }
    facts = {
        "metadata": {"protocol": "json", "targetPrefix": "Old", "_note": "ignored"},
        "operations": {"Gone": {"output": {"resultWrapper": "GoneResult"}}},
        "shapes": {
            "In": {"members": {"Id": {"locationName": "id"}, "Removed": {"locationName": "r"}}},
            "Vanished": {"flattened": True},
        },
    }
    generation = generations.Generation("demo", "json", "", "", facts)
    data = generations.generation_data(generation, current)
    assert set(data["operations"]) == {"Get"}
    assert set(data["shapes"]) == {"In", "S"}
    assert data["shapes"]["In"]["members"] == {"Id": {"shape": "S", "locationName": "id"}}
    assert data["metadata"] == {"protocol": "json", "protocols": ["json"], "apiVersion": "1", "targetPrefix": "Old"}
    assert current["shapes"]["In"]["members"]["Id"]["location"] == "uri"  # the current model is untouched


def test_a_generation_without_facts_speaks_the_current_model() -> None:
    current = {"metadata": {"protocol": "json", "targetPrefix": "T"}, "operations": {}, "shapes": {}}
    data = generations.generation_data(generations.Generation("demo", "json-cbor", "", "", None), current)
    assert data["metadata"] == {"protocol": "json-cbor", "protocols": ["json-cbor"], "targetPrefix": "T"}


def test_query_era_error_codes_reach_the_current_model_and_every_generation() -> None:
    for api in routed_apis():
        for name, facts in generations.error_facts(api).items():
            for model in wire_models(api).values():
                shape = model.shape_for(name)
                assert shape.error_code == facts["code"], (api, name)
                assert shape.metadata["error"]["httpStatusCode"] == facts["httpStatusCode"], (api, name)


def test_the_sqs_query_generation_answers_with_its_2012_11_05_names() -> None:
    """The old query CLI read nothing from `<Messages>`: AWS's query API says `<Message>`."""
    model = wire_models("sqs")["query"]
    operation = model.operation_model("ReceiveMessage")
    output = {
        "Messages": [
            {
                "MessageId": "m",
                "Body": "b",
                "Attributes": {"SentTimestamp": "1"},
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            }
        ]
    }
    body = get_protocol("query").serialize(operation, output, request_id="r").body.decode()
    assert '<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' in body
    assert "<ReceiveMessageResult><Message><MessageId>m</MessageId>" in body
    assert "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" in body
    assert (
        "<MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value>"
        "</MessageAttribute>"
    ) in body
    assert "<Messages>" not in body


def test_the_sqs_query_generation_errors_carry_the_query_codes() -> None:
    model = wire_models("sqs")["query"]
    error = AwsError("The specified queue does not exist.", code="QueueDoesNotExist")
    response = get_protocol("query").serialize_error(model, None, error, request_id="r")
    parsed = botocore_parse("query", response, None)
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in response.body
    assert parsed == {"Error": {"Type": "Sender", "Code": "AWS.SimpleQueueService.NonExistentQueue",
                                "Message": "The specified queue does not exist."}}  # fmt: skip


# --- AWS JSON in CBOR ---------------------------------------------------------------------------------


def cbor_api() -> str:
    """A routed API one of whose generations speaks json-cbor (derived, not named)."""
    return next(api for api in routed_apis() if "json-cbor" in wire_models(api))


def test_json_cbor_reads_blobs_as_byte_strings_and_tag_1_as_milliseconds() -> None:
    model = wire_models(cbor_api())["json-cbor"]
    protocol = JsonCborProtocol()
    stamps = [
        shape
        for name in sorted(model.operation_names)
        if (shape := model.operation_model(name).input_shape) is not None
        and any(member.type_name == "timestamp" for member in shape.members.values())
    ]
    shape = stamps[0]
    name = next(member for member, ref in shape.members.items() if ref.type_name == "timestamp")
    codec = AmzCborCodec()
    document = cbor2.loads(
        cbor2.dumps({name: cbor2.CBORTag(1, 1_700_000_000_123)}), semantic_decoders={1: lambda value, _: value}
    )
    assert codec.read(shape.members[name], document[name]) == dt.datetime(
        2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC
    )
    request = AwsRequest.build(
        method="POST", raw_path="/", headers={"Content-Type": "application/x-amz-cbor-1.1"},
        body=cbor2.dumps({name: cbor2.CBORTag(1, 1_700_000_000_123)}),
    )  # fmt: skip
    assert protocol.decode(request.body)[name].value == 1_700_000_000_123


def test_json_cbor_writes_tag_1_milliseconds_byte_strings_and_floats() -> None:
    codec = AmzCborCodec()
    from botocore.model import Shape

    stamp = Shape("T", {"type": "timestamp"})
    assert codec.write(stamp, dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC)) == cbor2.CBORTag(
        1, 1_700_000_000_123
    )
    iso = Shape("T", {"type": "timestamp", "timestampFormat": "iso8601"})
    assert codec.write(iso, dt.datetime(2024, 1, 2, tzinfo=dt.UTC)) == "2024-01-02T00:00:00Z"
    assert codec.write(Shape("B", {"type": "blob"}), b"\x00\x01") == b"\x00\x01"
    assert math.isnan(codec.write(Shape("D", {"type": "double"}), float("nan")))


def test_json_cbor_answers_and_errors_in_its_own_content_type() -> None:
    model = wire_models(cbor_api())["json-cbor"]
    protocol = JsonCborProtocol()
    operation = model.operation_model(sorted(model.operation_names)[0])
    response = protocol.serialize(operation, {}, request_id="r")
    assert response.headers["Content-Type"] == f"application/x-amz-cbor-{model.metadata['jsonVersion']}"
    assert cbor2.loads(response.body) == {}
    error = protocol.serialize_error(
        model, operation, AwsError("no", code="NotImplemented", status=501), request_id="r"
    )
    assert error.status == 501
    assert error.headers["x-amzn-ErrorType"] == "NotImplemented"
    assert cbor2.loads(error.body) == {"__type": "NotImplemented", "message": "no"}
