"""SNS errors as AWS's API reference gives them, through boto3 and the CLI: the code boto3
reports, the HTTP status, the headers and the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def refusal(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str, str]:
    """(code, status, error type, message) of a refused query-protocol call, with AWS's headers."""
    response = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "text/xml"
    assert headers["x-amzn-requestid"] == response["ResponseMetadata"]["RequestId"]
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Type"], error["Message"]


def _disabled_endpoint(sns: Any) -> str:
    application = sns.create_platform_application(
        Name="errors-app", Platform="GCM", Attributes={"PlatformCredential": "server-key"}
    )["PlatformApplicationArn"]
    endpoint = str(
        sns.create_platform_endpoint(PlatformApplicationArn=application, Token="device-token-e")["EndpointArn"]
    )
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    return endpoint


def test_publishing_to_a_disabled_platform_endpoint(sns: Any) -> None:
    endpoint = _disabled_endpoint(sns)
    with pytest.raises(sns.exceptions.EndpointDisabledException) as caught:
        sns.publish(TargetArn=endpoint, Message="asleep")
    assert refusal(caught) == ("EndpointDisabled", 400, "Sender", "Endpoint is disabled")


def test_subscribing_to_a_topic_that_does_not_exist(sns: Any, sandbox: SandboxInfo) -> None:
    topic = f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:never-made"
    with pytest.raises(sns.exceptions.NotFoundException) as caught:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ada@example.com")
    assert refusal(caught) == ("NotFound", 404, "Sender", "Topic does not exist")


def test_publishing_to_a_topic_that_does_not_exist(sns: Any, sandbox: SandboxInfo) -> None:
    topic = f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:never-made"
    with pytest.raises(sns.exceptions.NotFoundException) as caught:
        sns.publish(TopicArn=topic, Message="x")
    assert refusal(caught) == ("NotFound", 404, "Sender", "Topic does not exist")


def test_the_cli_reports_both(aws_cli: Any, aws: Callable[..., Any], sandbox: SandboxInfo) -> None:
    endpoint = _disabled_endpoint(aws("sns"))
    disabled = aws_cli("sns", "publish", "--target-arn", endpoint, "--message", "x", check=False)
    assert disabled.returncode != 0
    assert "(EndpointDisabled)" in disabled.stderr
    assert "Endpoint is disabled" in disabled.stderr
    topic = f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:never-made"
    missing = aws_cli(
        "sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", "a@example.com",
        check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert "(NotFound)" in missing.stderr
    assert "Topic does not exist" in missing.stderr
