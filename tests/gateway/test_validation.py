"""Input validation: AWS's wording, AWS's member paths, and no complaint about valid input."""

from __future__ import annotations

from typing import Any

import pytest

from playground.gateway import validation
from playground.gateway.errors import ValidationError, ValidationException
from playground.gateway.specs import service_model
from playground.gateway.validation import Problem, validate, validation_error
from tests.gateway.shapegen import ShapeGen
from tests.gateway.test_protocol_json import SERVICES, seed


def problems(service: str, operation: str, params: dict[str, Any]) -> list[Problem]:
    model = service_model(service)
    return validate(model, model.operation_model(operation), params)


def messages(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    return [problem.message for problem in problems(service, operation, params)]


@pytest.mark.parametrize("service", SERVICES)
def test_generated_valid_input_has_no_problems(service: str) -> None:
    model = service_model(service)
    found = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        params = ShapeGen(seed(service, name)).value(operation.input_shape)
        reported = validate(model, operation, params)
        if reported:
            found[name] = [problem.message for problem in reported]
    assert found == {}


def test_missing_required_member_is_null() -> None:
    assert messages("sqs", "CreateQueue", {}) == [
        "Value null at 'queueName' failed to satisfy constraint: Member must not be null"
    ]


def test_enum_value_set_is_listed() -> None:
    params = {"StreamName": "s", "ShardId": "x", "ShardIteratorType": "SOMEWHERE"}
    assert messages("kinesis", "GetShardIterator", params) == [
        "Value 'SOMEWHERE' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: "
        "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
    ]


def test_string_length_limits() -> None:
    assert messages("sqs", "ListQueues", {"MaxResults": 5, "NextToken": ""}) == []  # no min on NextToken
    [message] = messages("kms", "DescribeKey", {"KeyId": ""})
    assert (
        message
        == "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"
    )
    [message] = messages("kms", "DescribeKey", {"KeyId": "k" * 2049})
    assert message.endswith(
        "at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"
    )


def test_numeric_range_limits() -> None:
    assert messages("kinesis", "ListShards", {"MaxResults": 0}) == [
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ]
    assert messages("kinesis", "ListShards", {"MaxResults": 10001}) == [
        "Value '10001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10000"
    ]


def test_floating_point_limits_are_written_as_doubles() -> None:
    orc = {"PaddingTolerance": 1.5}
    params = {
        "DeliveryStreamName": "s",
        "ExtendedS3DestinationConfiguration": {
            "RoleARN": "arn:aws:iam::123456789012:role/r",
            "BucketARN": "arn:aws:s3:::b",
            "DataFormatConversionConfiguration": {"OutputFormatConfiguration": {"Serializer": {"OrcSerDe": orc}}},
        },
    }
    path = (
        "extendedS3DestinationConfiguration.dataFormatConversionConfiguration.outputFormatConfiguration"
        ".serializer.orcSerDe.paddingTolerance"
    )
    assert messages("firehose", "CreateDeliveryStream", params) == [
        f"Value '1.5' at '{path}' failed to satisfy constraint: Member must have value less than or equal to 1.0"
    ]


def test_list_length_limits() -> None:
    assert messages("kinesis", "PutRecords", {"StreamName": "s", "Records": []}) == [
        "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"
    ]


def test_structures_in_lists_are_numbered_from_one() -> None:
    assert messages("kms", "CreateKey", {"Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": ""}]}) == [
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null",
    ]
    assert [problem.path for problem in problems("kms", "CreateKey", {"Tags": [{}]})] == [
        "tags.1.member.tagKey",
        "tags.1.member.tagValue",
    ]


def test_scalar_list_members_are_reported_once_at_the_list() -> None:
    assert messages("kms", "UntagResource", {"KeyId": "k", "TagKeys": ["", "ok", ""]}) == [
        "Value '[, ok, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
    ]


def test_map_keys_and_values_are_reported_at_the_map() -> None:
    params = {"resourceArn": "arn", "tags": {"": "v", "k": "x" * 257}}
    assert messages("logs", "TagResource", params) == [
        "Value '{=v, k=" + "x" * 257 + "}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
        "Value '{=v, k=" + "x" * 257 + "}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 256]",
    ]


def test_structures_in_maps_are_named_by_their_key() -> None:
    params = {"QueueUrl": "u", "MessageBody": "b", "MessageAttributes": {"colour": {"StringValue": "red"}}}
    assert messages("sqs", "SendMessage", params) == [
        "Value null at 'messageAttributes.colour.member.dataType' failed to satisfy constraint: Member must not be null"
    ]


def test_sensitive_values_are_not_repeated_back() -> None:
    assert messages("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"x" * 4097}) == [
        "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    ]


def test_member_names_are_lower_camel_cased_by_first_letter() -> None:
    assert validation.member_path("SSEKMSKeyId") == "sSEKMSKeyId"
    assert validation.member_path("queueUrl") == "queueUrl"


def test_recursive_shapes_are_checked_at_every_depth() -> None:
    nested: dict[str, Any] = {"Classification": "c"}
    for _ in range(20):
        nested = {"Classification": "c", "Configurations": [nested]}
    params = {"Name": "n", "Instances": {}, "Configurations": [nested]}
    assert problems("emr", "RunJobFlow", params) == []
    assert messages("emr", "RunJobFlow", {"Instances": {}, "Configurations": [nested]}) == [
        "Value null at 'name' failed to satisfy constraint: Member must not be null"
    ]


def test_values_are_rendered_as_aws_renders_them() -> None:
    assert validation.render(True) == "true"
    assert validation.render(3.0) == "3.0"
    assert validation.render(b"abc") == "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"
    assert validation.render(["a", 1]) == "[a, 1]"
    assert validation.render({"k": "v"}) == "{k=v}"


def test_one_problem_is_one_validation_error() -> None:
    error = validation_error("json", problems("sqs", "CreateQueue", {}))
    assert isinstance(error, ValidationException)
    assert error.code == "ValidationException"
    assert error.status == 400
    assert error.message == (
        "1 validation error detected: Value null at 'queueName' failed to satisfy constraint: Member must not be null"
    )


def test_several_problems_are_joined_with_semicolons() -> None:
    found = problems("kms", "CreateKey", {"KeyUsage": "SHRED", "Tags": [{}]})
    error = validation_error("json", found)
    assert error.message.startswith("3 validation errors detected: Value 'SHRED' at 'keyUsage' failed to satisfy")
    assert error.message.count("; Value null at 'tags.1.member.") == 2


@pytest.mark.parametrize(
    ("protocol", "code"),
    [
        ("json", "ValidationException"),
        ("smithy-rpc-v2-cbor", "ValidationException"),
        ("rest-json", "ValidationException"),
        ("query", "ValidationError"),
        ("ec2", "ValidationError"),
        ("rest-xml", "InvalidArgument"),
    ],
)
def test_error_code_follows_the_protocol(protocol: str, code: str) -> None:
    error = validation_error(protocol, problems("sqs", "CreateQueue", {}))
    assert error.code == code
    assert error.status == 400
    assert isinstance(error, ValidationError) == (code == "ValidationError")


def test_validation_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shape is compiled into a checker at its first request and reused by every later one, which
    is what keeps validation cheap (bench/ measures how cheap; a test cannot time it reliably)."""
    model = service_model("cloudwatch")
    operation = model.operation_model("PutMetricData")
    params = ShapeGen(1).value(operation.input_shape)
    compiled: list[str] = []
    compile_shape = validation._Compiler.compile

    def counting(compiler: Any, shape: Any) -> Any:
        compiled.append(shape.name)
        return compile_shape(compiler, shape)

    monkeypatch.setattr(validation, "_compiled", {})  # as in a fresh server process
    monkeypatch.setattr(validation._Compiler, "compile", counting)
    assert validate(model, operation, params) == []
    assert operation.input_shape.name in compiled
    first = len(compiled)
    checker = validation._checker_for(operation.input_shape)
    for _ in range(200):
        assert validate(model, operation, params) == []
    assert len(compiled) == first
    assert validation._checker_for(operation.input_shape) is checker


def test_only_the_broken_entries_of_a_long_list_are_reported() -> None:
    """Entries that meet their constraints are passed over without a word; each broken one is
    reported at its own place, however far down a list of 500 it is, its members in the model's order."""
    records: list[Any] = [{"Data": b"x", "PartitionKey": f"key-{index}"} for index in range(500)]
    records[299] = {"Data": b"x", "PartitionKey": ""}
    records[498] = {"Data": b"x", "PartitionKey": "k" * 257, "ExplicitHashKey": "\x00"}
    assert messages("kinesis", "PutRecords", {"StreamName": "s", "Records": records}) == [
        "Value '' at 'records.300.member.partitionKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value '\\u0000' at 'records.499.member.explicitHashKey' failed to satisfy constraint: "
        "Member must not contain the null character (U+0000)",
        f"Value '{'k' * 257}' at 'records.499.member.partitionKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 256",
    ]
    records[299] = records[498] = {"Data": b"x", "PartitionKey": "k"}
    assert messages("kinesis", "PutRecords", {"StreamName": "s", "Records": records}) == []


def test_problems_say_what_kind_of_constraint_broke() -> None:
    params = {"KeyId": "", "TagKeys": [""]}
    assert [problem.kind for problem in problems("kms", "UntagResource", params)] == ["length", "members"]
    assert [problem.kind for problem in problems("sqs", "CreateQueue", {})] == ["required"]
    assert [problem.kind for problem in problems("kinesis", "ListShards", {"MaxResults": 0})] == ["range"]
    shard = {"StreamName": "s", "ShardId": "x", "ShardIteratorType": "NOPE"}
    assert [problem.kind for problem in problems("kinesis", "GetShardIterator", shard)] == ["enum"]


def test_a_recursive_shape_nested_past_the_stack_is_a_validation_error() -> None:
    """No emulated service has a recursive input shape today; one that comes is guarded: a document
    deeper than the checker's frames is refused with a 400, never an internal failure."""
    from botocore.model import ServiceModel

    model = ServiceModel({
        "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "endpointPrefix": "x", "serviceId": "X",
                     "jsonVersion": "1.1", "targetPrefix": "X"},
        "operations": {"Op": {"name": "Op", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {"Node": {"shape": "Node"}}},
            "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "Name": {"shape": "Name"}}},
            "Name": {"type": "string", "max": 3},
        },
    }, "x")  # fmt: skip
    operation = model.operation_model("Op")
    shallow = validate(model, operation, {"Node": {"Child": {"Name": "toolong"}}})
    assert [problem.path for problem in shallow] == ["node.child.name"]
    deep: dict[str, Any] = {"Name": "toolong"}
    for _ in range(5000):
        deep = {"Child": deep}
    assert [problem.message for problem in validate(model, operation, {"Node": deep})] == [
        "The request is nested too deeply."
    ]
