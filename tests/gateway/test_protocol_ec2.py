"""The ec2 protocol against botocore's EC2Serializer and EC2QueryParser."""

from __future__ import annotations

import pytest
from botocore.parsers import create_parser

from playground.gateway import errors
from playground.gateway.errors import AwsError
from playground.gateway.protocols.ec2 import Ec2Protocol
from playground.gateway.request import AwsRequest
from playground.gateway.specs import service_model
from tests.gateway.test_protocol_query import (
    VARIANTS,
    botocore_parse,
    check_request_round_trip,
    client,
    generate,
    operation_ids,
)

PROTOCOL = Ec2Protocol()
OPERATIONS = (
    "CreateFlowLogs",
    "DescribeFlowLogs",
    "DeleteFlowLogs",
    "GetFlowLogsIntegrationTemplate",
    "DescribeInstances",
    "RunInstances",
    "DescribeVpcs",
    "CreateVpc",
    "DescribeSubnets",
    "CreateSecurityGroup",
    "DeleteVpc",
    "AuthorizeSecurityGroupIngress",
    "CreateTags",
)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(("ec2",), OPERATIONS))
def test_botocore_request_parses_back_to_its_parameters(service: str, name: str, variant: str) -> None:
    # EC2Serializer sends nothing for an empty list, so an empty list cannot come back.
    check_request_round_trip(PROTOCOL, "ec2", service, name, variant, keep_empty_lists=False)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(("ec2",), OPERATIONS))
def test_output_reads_back_through_botocore(service: str, name: str, variant: str) -> None:
    operation = service_model(service).operation_model(name)
    output = generate(operation.output_shape, len(name) + 1, variant)
    response = PROTOCOL.serialize(operation, output, request_id="req-1")
    assert response.status == 200
    parsed = create_parser("ec2").parse(
        {"status_code": 200, "headers": response.headers, "body": response.body}, operation.output_shape
    )
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == output


def test_output_envelope() -> None:
    operation = service_model("ec2").operation_model("CreateVpc")
    body = PROTOCOL.serialize(operation, {"Vpc": {"VpcId": "vpc-1"}}, request_id="r-9").body.decode()
    assert '<CreateVpcResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-9</requestId>' in body
    assert "<vpc><vpcId>vpc-1</vpcId></vpc>" in body


def test_action_without_output_answers_return_true() -> None:
    operation = service_model("ec2").operation_model("DeleteVpc")
    body = PROTOCOL.serialize(operation, {}, request_id="r").body.decode()
    assert "<return>true</return>" in body


def test_error_document_reads_back_through_a_real_client() -> None:
    model = service_model("ec2")
    error = AwsError("The flow log ID 'fl-1' does not exist", code="InvalidFlowLogId.NotFound", status=400)
    response = PROTOCOL.serialize_error(model, None, error, request_id="r-7")
    body = response.body.decode()
    assert "<Response><Errors><Error><Code>InvalidFlowLogId.NotFound</Code>" in body
    assert "<RequestID>r-7</RequestID></Response>" in body
    parsed = create_parser("ec2").parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body}, None
    )
    assert parsed["Error"] == {"Code": "InvalidFlowLogId.NotFound", "Message": "The flow log ID 'fl-1' does not exist"}
    assert parsed["ResponseMetadata"]["RequestId"] == "r-7"
    assert client("ec2").exceptions.from_code("InvalidFlowLogId.NotFound").__name__ == "ClientError"
    assert botocore_parse("ec2", response, None)["Error"]["Code"] == "InvalidFlowLogId.NotFound"


def form_request(body: str) -> AwsRequest:
    return AwsRequest.build(
        method="POST",
        raw_path="/",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=body.encode(),
    )


def test_unknown_action_is_invalid_action() -> None:
    with pytest.raises(errors.InvalidAction) as caught:
        PROTOCOL.operation(service_model("ec2"), form_request("Action=LaunchRocket&Version=2016-11-15"))
    assert caught.value.message == "The action LaunchRocket is not valid for this web service."


def test_non_numeric_integer_is_a_400() -> None:
    model = service_model("ec2")
    request = form_request("Action=DescribeFlowLogs&MaxResults=ten")
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert caught.value.status == 400
    assert caught.value.code == "InvalidParameterValue"
    assert "(ten)" in caught.value.message
    assert "MaxResults" in caught.value.message


def test_hand_written_ec2_form_with_filters_and_capitalised_location_names() -> None:
    model = service_model("ec2")
    request = form_request(
        "Action=DescribeFlowLogs&Version=2016-11-15&FlowLogId.1=fl-1&FlowLogId.2=fl-2"
        "&Filter.1.Name=resource-id&Filter.1.Value.1=vpc-1&DryRun=false"
    )
    params = PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert params == {
        "FlowLogIds": ["fl-1", "fl-2"],
        "Filter": [{"Name": "resource-id", "Values": ["vpc-1"]}],
        "DryRun": False,
    }
