"""PutEvents and delivery through boto3: per-entry failures and limits, events matched into SQS
queues (standard and FIFO) and SNS topics in AWS's event shape, Input / InputPath /
InputTransformer, the queue policy check, retries on the sandbox clock into a dead-letter queue,
and another sandbox's bus in the same classroom."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.services.eventbridge.conftest import allow_events, unique


def entry(detail: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Source": "shop.orders", "DetailType": "Order Placed", "Detail": json.dumps(detail), **extra}


def rule_to(events: Any, queue_arn: str, pattern: dict[str, Any], **target: Any) -> str:
    name = unique("r")
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn, **target}])
    return name


def test_put_events_delivers_matching_events_in_aws_shape(
    events: Any, make_queue: Any, drain: Any, sandbox: Any, flows: Any
) -> None:
    queue = make_queue()
    name = rule_to(events, queue.arn, {"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 100]}]}})
    answer = events.put_events(
        Entries=[entry({"total": 250}, Resources=["arn:aws:shop:::order/1"]), entry({"total": 50})]
    )
    assert answer["FailedEntryCount"] == 0
    [message] = drain(queue.url)
    body = json.loads(message["Body"])
    assert body["id"] == answer["Entries"][0]["EventId"]
    assert body["detail-type"] == "Order Placed"
    assert body["source"] == "shop.orders"
    assert body["account"] == sandbox.account_id
    assert body["region"] == sandbox.region
    assert body["resources"] == ["arn:aws:shop:::order/1"]
    assert body["detail"] == {"total": 250}
    assert body["version"] == "0"
    assert body["time"].endswith("Z")
    kinds = [flow["kind"] for flow in flows("delivered")]
    assert kinds == ["delivered"]
    assert flows("matched")[0]["target"].endswith(f":rule/{name}")


def test_per_entry_failures_and_request_limits(events: Any) -> None:
    answer = events.put_events(
        Entries=[
            entry({"a": 1}),
            {"Source": "shop", "DetailType": "x", "Detail": "not json"},
            {"Source": "shop", "DetailType": "x", "Detail": "[1]"},
            {"Source": "aws.ec2", "DetailType": "x", "Detail": "{}"},
            {"DetailType": "x", "Detail": "{}"},
            entry({"a": 1}, EventBusName="no-such-bus"),
        ]
    )
    assert answer["FailedEntryCount"] == 5
    results = answer["Entries"]
    assert "EventId" in results[0]
    assert [(item.get("ErrorCode"), item.get("ErrorMessage")) for item in results[1:]] == [
        ("MalformedDetail", "Detail is malformed."),
        ("MalformedDetail", "Detail is malformed."),
        ("NotAuthorizedForSourceException", "Not authorized for the source."),
        ("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
        ("ResourceNotFoundException", "Event bus no-such-bus does not exist."),
    ]
    with pytest.raises(ClientError) as caught:
        events.put_events(Entries=[entry({"a": 1})] * 11)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 10" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        events.put_events(Entries=[entry({"text": "x" * 140_000}), entry({"text": "y" * 140_000})])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == "Total size of the entries in the request is over the limit."


def test_input_input_path_and_transformer(events: Any, make_queue: Any, drain: Any) -> None:
    queue = make_queue()
    pattern = {"detail-type": ["Order Placed"]}
    rule_to(events, queue.arn, pattern, Input='{"constant": true}')
    rule_to(events, queue.arn, pattern, InputPath="$.detail.customer")
    transformed = rule_to(
        events,
        queue.arn,
        pattern,
        InputTransformer={
            "InputPathsMap": {"who": "$.detail.customer.name", "total": "$.detail.total", "gone": "$.detail.nothing"},
            "InputTemplate": '{"text": "<who> spent <total>", "total": <total>, "rule": "<aws.events.rule-name>",'
            ' "gone": <gone>}',
        },
    )
    rule_to(
        events,
        queue.arn,
        pattern,
        InputTransformer={"InputPathsMap": {"who": "$.detail.customer.name"}, "InputTemplate": "Order from <who>"},
    )
    events.put_events(Entries=[entry({"customer": {"name": "Ada", "tier": "gold"}, "total": 42.5})])
    bodies = sorted(message["Body"] for message in drain(queue.url))
    assert '{"constant": true}' in bodies
    assert json.dumps({"name": "Ada", "tier": "gold"}) in bodies
    assert "Order from Ada" in bodies
    shaped = next(json.loads(body) for body in bodies if body.startswith('{"text"'))
    assert shaped == {"text": "Ada spent 42.5", "total": 42.5, "rule": transformed, "gone": None}


def test_fifo_queue_target_gets_the_message_group(events: Any, make_queue: Any, drain: Any) -> None:
    queue = make_queue(fifo=True)
    rule_to(events, queue.arn, {"source": ["shop.orders"]}, SqsParameters={"MessageGroupId": "orders"})
    answer = events.put_events(Entries=[entry({"n": 1}), entry({"n": 2})])
    messages = drain(queue.url)
    assert [json.loads(m["Body"])["detail"]["n"] for m in messages] == [1, 2]
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"orders"}
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == answer["Entries"][0]["EventId"]


def test_queue_policy_must_allow_eventbridge(events: Any, make_queue: Any, drain: Any, flows: Any) -> None:
    queue = make_queue(allow=False)
    name = rule_to(events, queue.arn, {"source": ["shop.orders"]})
    events.put_events(Entries=[entry({"n": 1})])
    assert drain(queue.url) == []
    [failure] = flows("failed")
    assert failure["detail"]["error_code"] == "SQS.AccessDenied"
    assert failure["detail"]["retry_at"] is None
    assert failure["source"].endswith(f":rule/{name}")


def test_sns_target_publishes_the_event(events: Any, aws: Any, make_queue: Any, drain: Any) -> None:
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic,
                    }
                ],
            }
        ),
    )
    queue = make_queue()
    sqs = aws("sqs")
    sqs.set_queue_attributes(
        QueueUrl=queue.url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue.arn,
                        }
                    ],
                }
            )
        },
    )
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue.arn, Attributes={"RawMessageDelivery": "true"})
    rule_to(events, topic, {"source": ["shop.orders"]})
    answer = events.put_events(Entries=[entry({"n": 7})])
    [message] = drain(queue.url)
    assert json.loads(message["Body"])["id"] == answer["Entries"][0]["EventId"]


def test_unavailable_target_is_retried_on_the_clock_then_dead_lettered(
    events: Any, make_queue: Any, drain: Any, paused: None, advance: Any, flows: Any, sandbox: Any
) -> None:
    dead = make_queue()
    function = f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:target/create-snapshot"
    name = rule_to(
        events,
        function,
        {"source": ["shop.orders"]},
        RetryPolicy={"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        DeadLetterConfig={"Arn": dead.arn},
    )
    answer = events.put_events(Entries=[entry({"n": 1})])
    assert drain(dead.url) == []
    advance(1)  # first retry after 1 s
    advance(2)  # second after 2 s more
    assert drain(dead.url) == []
    advance(4)  # third (the last allowed) fails too: the event goes to the DLQ
    [message] = drain(dead.url)
    assert json.loads(message["Body"])["id"] == answer["Entries"][0]["EventId"]
    attributes = {key: value["StringValue"] for key, value in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NotEmulatedYet"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted"
    assert attributes["RETRY_ATTEMPTS"] == "3"
    assert attributes["RULE_ARN"].endswith(f":rule/{name}")
    assert attributes["TARGET_ARN"] == function
    failures = flows("failed", count=4)
    assert [failure["detail"]["attempts"] for failure in failures] == [1, 2, 3, 4]
    assert events.describe_rule(Name=name)["State"] == "ENABLED"


def test_step_functions_target_fails_visibly(events: Any, sandbox: Any, flows: Any) -> None:
    machine = f"arn:aws:states:{sandbox.region}:{sandbox.account_id}:stateMachine:flow"
    events.put_rule(Name="to-sfn", EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.put_targets(Rule="to-sfn", Targets=[{"Id": "m", "Arn": machine}])
    events.put_events(Entries=[entry({"n": 1})])
    [failure] = flows("failed")
    assert failure["detail"]["error_code"] == "NotEmulated"
    assert "Step Functions is not emulated" in failure["detail"]["error_message"]


def test_cross_sandbox_put_events_only_in_one_classroom_and_when_allowed(
    events: Any, aws: Any, make_sandbox: Any, db_access: None, sandbox: Any
) -> None:
    from django.contrib.auth import get_user_model

    from playground.classroom.models import Classroom, Enrollment
    from playground.sandboxes.models import Sandbox

    other = make_sandbox(name="receiver")
    receiver_events, receiver_sqs = aws("events", info=other), aws("sqs", info=other)
    url = receiver_sqs.create_queue(QueueName=unique("inbox"))["QueueUrl"]
    arn = receiver_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    receiver_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_events(arn)})
    bus_arn = receiver_events.create_event_bus(Name="central")["EventBusArn"]
    receiver_events.put_rule(Name="all", EventBusName="central", EventPattern=json.dumps({"source": ["shop.orders"]}))
    receiver_events.put_targets(Rule="all", EventBusName="central", Targets=[{"Id": "q", "Arn": arn}])

    def sent() -> dict[str, Any]:
        return dict(events.put_events(Entries=[entry({"n": 1}, EventBusName=bus_arn)])["Entries"][0])

    assert sent()["ErrorCode"] == "AccessDeniedException"  # not in one classroom
    room = Classroom.objects.create(name="room")
    for number, info in enumerate((sandbox, other)):
        student = get_user_model().objects.create_user(username=unique(f"s{number}"), password="pw")
        Enrollment.objects.create(classroom=room, student=student, sandbox=Sandbox.objects.get(pk=info.id))
    assert sent()["ErrorCode"] == "AccessDeniedException"  # the bus policy does not allow the sender
    receiver_events.put_permission(
        EventBusName="central", Action="events:PutEvents", Principal=sandbox.account_id, StatementId="sender"
    )
    assert "EventId" in sent()
    [message] = receiver_sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["account"] == sandbox.account_id
