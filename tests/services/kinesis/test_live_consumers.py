"""Enhanced fan-out consumers through boto3: register, describe (by stream and name, or by
consumer ARN), list, deregister, on the sandbox clock; the 20-consumer limit, 5 CREATING at once
and the operations' rates; a stream with
consumers is deleted only with EnforceConsumerDeletion (SubscribeToShard: test_live_subscribe.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of

pytestmark = pytest.mark.live


def test_consumer_life_cycle(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dashboard")["Consumer"]
    assert consumer["ConsumerStatus"] == "CREATING"
    assert consumer["ConsumerARN"].startswith(f"{stream_arn}/consumer/dashboard:")
    with pytest.raises(ClientError) as caught:
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dashboard")
    assert error_of(caught) == (
        "ResourceInUseException", 400,
        f"Consumer dashboard under stream {name} under account {sandbox.account_id} already exists.",
    )  # fmt: skip
    advance(5)
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert (described["ConsumerStatus"], described["StreamARN"]) == ("ACTIVE", stream_arn)
    by_name = kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName="dashboard")["ConsumerDescription"]
    assert by_name["ConsumerARN"] == consumer["ConsumerARN"]
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="archiver")
    listed = kinesis.list_stream_consumers(StreamARN=stream_arn, MaxResults=1)
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["dashboard"]
    more = kinesis.list_stream_consumers(StreamARN=stream_arn, NextToken=listed["NextToken"])
    assert [c["ConsumerName"] for c in more["Consumers"]] == ["archiver"]
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 2

    with pytest.raises(ClientError) as caught:
        kinesis.delete_stream(StreamName=name)
    assert error_of(caught)[:2] == ("ResourceInUseException", 400)

    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert described["ConsumerStatus"] == "DELETING"
    advance(5)
    with pytest.raises(ClientError) as caught:
        kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    assert error_of(caught) == (
        "ResourceNotFoundException", 400,
        f"Consumer dashboard under stream {name} under account {sandbox.account_id} not found.",
    )  # fmt: skip
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_twenty_consumers_a_stream(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    for index in range(20):
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=f"c{index}")
        if index % 5 == 4:
            advance(5)  # five a second, and five CREATING at once
    with pytest.raises(ClientError) as caught:
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="c20")
    assert error_of(caught)[:2] == ("LimitExceededException", 400)


def test_five_consumers_creating_at_once_and_the_consumer_operations_rates(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name, other = make_stream(1), make_stream(1)
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    arns = [
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=f"c{index}")["Consumer"]["ConsumerARN"]
        for index in range(5)
    ]
    with pytest.raises(ClientError) as caught:  # RegisterStreamConsumer: 5 a second per account
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="c5")
    assert error_of(caught) == (
        "LimitExceededException", 400, f"Rate exceeded for stream {name} under account {sandbox.account_id}."
    )  # fmt: skip
    advance(1)
    with pytest.raises(ClientError) as caught:  # the five are still CREATING
        kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="c5")
    assert error_of(caught) == (
        "LimitExceededException", 400,
        f"Account {sandbox.account_id} already has 5 consumers in CREATING status; register another once one of "
        "them is ACTIVE.",
    )  # fmt: skip
    advance(4)
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="c5")
    for _ in range(5):  # ListStreamConsumers: 5 a second per stream
        kinesis.list_stream_consumers(StreamARN=stream_arn)
    with pytest.raises(ClientError) as caught:
        kinesis.list_stream_consumers(StreamARN=stream_arn)
    assert error_of(caught) == (
        "LimitExceededException", 400, f"Rate exceeded for stream {name} under account {sandbox.account_id}."
    )  # fmt: skip
    kinesis.list_stream_consumers(StreamARN=stream_arn.replace(f"/{name}", f"/{other}"))  # a rate of its own
    for _ in range(20):  # DescribeStreamConsumer: 20 a second per stream
        kinesis.describe_stream_consumer(ConsumerARN=arns[0])
    with pytest.raises(ClientError) as caught:
        kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName="c1")
    assert error_of(caught)[:2] == ("LimitExceededException", 400)
    for arn in arns:  # DeregisterStreamConsumer: 5 a second per stream
        kinesis.deregister_stream_consumer(ConsumerARN=arn)
    with pytest.raises(ClientError) as caught:
        kinesis.deregister_stream_consumer(StreamARN=stream_arn, ConsumerName="c5")
    assert error_of(caught)[:2] == ("LimitExceededException", 400)
    advance(1)
    kinesis.deregister_stream_consumer(StreamARN=stream_arn, ConsumerName="c5")
