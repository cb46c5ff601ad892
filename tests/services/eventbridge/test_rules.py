"""Buses, rules and targets through boto3: what a student creates, lists, describes and deletes,
and AWS's errors for each refusal (code, HTTP status, message)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.services.eventbridge.conftest import unique

PATTERN = json.dumps({"source": ["shop.orders"]})


def refused(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response: dict[str, Any] = caught.value.response
    return response


def assert_error(response: dict[str, Any], code: str, message: str, status: int = 400) -> None:
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == message
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_rule_lifecycle_on_the_default_bus(events: Any, sandbox: Any) -> None:
    name = unique("orders")
    arn = events.put_rule(
        Name=name, EventPattern=PATTERN, Description="new orders", Tags=[{"Key": "team", "Value": "shop"}]
    )["RuleArn"]
    assert arn == f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:rule/{name}"
    described = events.describe_rule(Name=name)
    assert described["State"] == "ENABLED"
    assert described["EventPattern"] == PATTERN
    assert described["Description"] == "new orders"
    assert described["EventBusName"] == "default"
    events.put_rule(Name=unique("other"), ScheduleExpression="rate(5 minutes)")
    listed = events.list_rules(NamePrefix=name[:10])["Rules"]
    assert [rule["Name"] for rule in listed] == [name]
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "lab"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "lab"}]
    events.delete_rule(Name=name)
    assert_error(
        refused(events.describe_rule, Name=name),
        "ResourceNotFoundException",
        f"Rule {name} does not exist on EventBus default.",
    )


def test_custom_bus_and_its_rules(events: Any, sandbox: Any) -> None:
    bus = unique("orders-bus")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    assert arn == f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:event-bus/{bus}"
    names = [item["Name"] for item in events.list_event_buses()["EventBuses"]]
    assert "default" in names
    assert bus in names
    rule_arn = events.put_rule(Name="r1", EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    assert rule_arn.endswith(f":rule/{bus}/r1")
    assert events.describe_rule(Name="r1", EventBusName=arn)["EventBusName"] == bus
    assert_error(
        refused(events.create_event_bus, Name=bus), "ResourceAlreadyExistsException", f"Event bus {bus} already exists."
    )
    assert_error(
        refused(events.put_rule, Name="s", EventBusName=bus, ScheduleExpression="rate(1 hour)"),
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
    )
    assert_error(
        refused(events.delete_event_bus, Name="default"), "ValidationException", "Cannot delete event bus default."
    )
    events.delete_rule(Name="r1", EventBusName=bus)
    events.delete_event_bus(Name=bus)
    assert_error(
        refused(events.describe_event_bus, Name=bus), "ResourceNotFoundException", f"Event bus {bus} does not exist."
    )
    assert_error(
        refused(events.put_rule, Name="x", EventBusName=bus, EventPattern=PATTERN),
        "ResourceNotFoundException",
        f"Event bus {bus} does not exist.",
    )


def test_bad_patterns_and_schedules_are_refused_as_aws_words_them(events: Any) -> None:
    cases = {
        '{"source": "shop"}': '"source" must be an object or an array',
        '{"source": []}': "Empty arrays are not allowed",
        '{"detail": {"n": [{"numeric": [">", "one"]}]}}': "Value of > must be numeric",
        '{"detail": {"s": [{"regex": "a.*"}]}}': "Unrecognized match type regex",
        '{"detail": {"s": [{"exists": "yes"}]}}': "exists match pattern must be either true or false.",
        '{"detail": {"s": [{"wildcard": "a**b"}]}}': "Consecutive wildcard characters at pos 2",
        '{"$or": [{"a": ["b"]}]}': "There must have at least 2 Objects in $or relationship.",
        "[1, 2]": "Filter is not an object",
        "{}": "Empty objects are not allowed",
    }
    for pattern, reason in cases.items():
        assert_error(
            refused(events.put_rule, Name="bad", EventPattern=pattern),
            "InvalidEventPatternException",
            f"Event pattern is not valid. Reason: {reason}",
        )
        assert_error(
            refused(events.test_event_pattern, EventPattern=pattern, Event="{}"),
            "InvalidEventPatternException",
            f"Event pattern is not valid. Reason: {reason}",
        )
    for schedule in (
        "rate(1 minutes)",
        "rate(0 hours)",
        "cron(0 18 * * * *)",
        "cron(0 18 ? * ? *)",
        "cron(0 18 * *)",
        "cron(61 0 * * ? *)",
        "every day",
    ):
        assert_error(
            refused(events.put_rule, Name="bad", ScheduleExpression=schedule),
            "ValidationException",
            "Parameter ScheduleExpression is not valid.",
        )
    assert_error(
        refused(events.put_rule, Name="bad"),
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    )
    assert_error(
        refused(events.test_event_pattern, EventPattern=PATTERN, Event='{"source": "x"}'),
        "ValidationException",
        "Parameter Event is not valid.",
    )


def test_targets_at_most_five_and_delete_refused_while_targets_remain(events: Any, make_queue: Any) -> None:
    name = unique("r")
    events.put_rule(Name=name, EventPattern=PATTERN)
    queue = make_queue()
    events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": queue.arn} for i in range(5)])
    assert_error(
        refused(events.put_targets, Rule=name, Targets=[{"Id": "t5", "Arn": queue.arn}]),
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
    )
    answer = events.put_targets(Rule=name, Targets=[{"Id": "t0", "Arn": queue.arn, "Input": '{"a": 1}'}])
    assert answer["FailedEntryCount"] == 0
    listed = events.list_targets_by_rule(Rule=name)["Targets"]
    assert [target["Id"] for target in listed] == ["t0", "t1", "t2", "t3", "t4"]
    assert listed[0]["Input"] == '{"a": 1}'
    assert events.list_rule_names_by_target(TargetArn=queue.arn)["RuleNames"] == [name]
    assert_error(
        refused(events.delete_rule, Name=name), "ValidationException", "Rule can't be deleted since it has targets."
    )
    assert_error(
        refused(
            events.put_targets,
            Rule=name,
            Targets=[{"Id": "x", "Arn": queue.arn, "Input": "{}", "InputPath": "$.detail"}],
        ),
        "ValidationException",
        "Only one of Input, InputPath, or InputTransformer must be provided for target x.",
    )
    fifo = make_queue(fifo=True)
    events.remove_targets(Rule=name, Ids=["t1", "t2", "t3", "t4"])
    assert_error(
        refused(events.put_targets, Rule=name, Targets=[{"Id": "f", "Arn": fifo.arn}]),
        "ValidationException",
        "Parameter(s) SqsParameters must be specified for target: f.",
    )
    events.remove_targets(Rule=name, Ids=["t0"])
    events.delete_rule(Name=name)
    assert_error(
        refused(events.put_targets, Rule=name, Targets=[{"Id": "a", "Arn": queue.arn}]),
        "ResourceNotFoundException",
        f"Rule {name} does not exist on EventBus default.",
    )


def test_bus_policy_statements(events: Any) -> None:
    bus = unique("shared")
    events.create_event_bus(Name=bus)
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="s1")
    policy = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert_error(
        refused(events.remove_permission, EventBusName=bus, StatementId="nope"),
        "ResourceNotFoundException",
        "Statement with the provided id does not exist.",
    )
    events.remove_permission(EventBusName=bus, StatementId="s1")
    assert "Policy" not in events.describe_event_bus(Name=bus)
    assert_error(
        refused(events.remove_permission, EventBusName=bus, StatementId="s1"),
        "ResourceNotFoundException",
        "EventBus does not have a policy.",
    )
