"""The real `aws events` commands a student types: a rule with a pattern, a queue target, an event
put and received, and the common errors on stderr."""

from __future__ import annotations

import json
from typing import Any

from tests.services.eventbridge.conftest import unique


def test_pattern_rule_to_a_queue_with_the_cli(aws_cli: Any, make_queue: Any, drain: Any) -> None:
    queue = make_queue()
    name = unique("orders")
    pattern = json.dumps({"source": ["shop.orders"], "detail": {"total": [{"numeric": [">=", 100]}]}})
    arn = json.loads(aws_cli("events", "put-rule", "--name", name, "--event-pattern", pattern).stdout)["RuleArn"]
    assert arn.endswith(f":rule/{name}")
    aws_cli("events", "put-targets", "--rule", name, "--targets", f"Id=queue,Arn={queue.arn}")
    listed = json.loads(aws_cli("events", "list-targets-by-rule", "--rule", name).stdout)
    assert listed["Targets"] == [{"Id": "queue", "Arn": queue.arn}]
    entries = json.dumps([{"Source": "shop.orders", "DetailType": "Order Placed", "Detail": '{"total": 120}'}])
    put = json.loads(aws_cli("events", "put-events", "--entries", entries).stdout)
    assert put["FailedEntryCount"] == 0
    [message] = drain(queue.url)
    assert json.loads(message["Body"])["detail"] == {"total": 120}
    tested = aws_cli(
        "events",
        "test-event-pattern",
        "--event-pattern",
        pattern,
        "--event",
        json.dumps(
            {
                "id": "1",
                "account": "123456789012",
                "source": "shop.orders",
                "time": "2027-01-01T00:00:00Z",
                "region": "us-east-1",
                "detail-type": "Order Placed",
                "detail": {"total": 99},
            }
        ),
    )
    assert json.loads(tested.stdout) == {"Result": False}


def test_cli_errors(aws_cli: Any, make_queue: Any) -> None:
    missing = aws_cli("events", "describe-rule", "--name", "nope", check=False)
    assert missing.returncode != 0
    assert "An error occurred (ResourceNotFoundException) when calling the DescribeRule operation" in missing.stderr
    assert "Rule nope does not exist on EventBus default." in missing.stderr
    bad = aws_cli("events", "put-rule", "--name", "bad", "--event-pattern", '{"source": "shop"}', check=False)
    assert "(InvalidEventPatternException)" in bad.stderr
    assert 'Event pattern is not valid. Reason: "source" must be an object or an array' in bad.stderr
    schedule = aws_cli("events", "put-rule", "--name", "bad", "--schedule-expression", "rate(1 minutes)", check=False)
    assert "(ValidationException)" in schedule.stderr
    assert "Parameter ScheduleExpression is not valid." in schedule.stderr
    queue = make_queue()
    aws_cli("events", "put-rule", "--name", "busy", "--schedule-expression", "cron(0 18 ? * MON-FRI *)")
    targets = " ".join(f"Id=t{i},Arn={queue.arn}" for i in range(6))
    limit = aws_cli("events", "put-targets", "--rule", "busy", "--targets", *targets.split(), check=False)
    assert "(LimitExceededException)" in limit.stderr
    assert "The requested resource exceeds the maximum number allowed." in limit.stderr
    aws_cli("events", "put-targets", "--rule", "busy", "--targets", f"Id=t0,Arn={queue.arn}")
    busy = aws_cli("events", "delete-rule", "--name", "busy", check=False)
    assert "(ValidationException)" in busy.stderr
    assert "Rule can't be deleted since it has targets." in busy.stderr


def test_archive_and_replay_with_the_cli(aws_cli: Any, sandbox: Any, paused: None, advance: Any) -> None:
    bus = json.loads(aws_cli("events", "describe-event-bus").stdout)["Arn"]
    name = unique("arch")
    created = json.loads(
        aws_cli("events", "create-archive", "--archive-name", name, "--event-source-arn", bus,
                "--retention-days", "3").stdout
    )  # fmt: skip
    assert created["State"] == "ENABLED"
    entries = json.dumps([{"Source": "shop.orders", "DetailType": "Order Placed", "Detail": "{}"}])
    aws_cli("events", "put-events", "--entries", entries)
    described = json.loads(aws_cli("events", "describe-archive", "--archive-name", name).stdout)
    assert (described["EventCount"], described["RetentionDays"]) == (1, 3)
    advance(60)
    started = json.loads(
        aws_cli("events", "start-replay", "--replay-name", name, "--event-source-arn", created["ArchiveArn"],
                "--event-start-time", "2000-01-01T00:00:00Z", "--event-end-time", str(described["CreationTime"]),
                "--destination", f"Arn={bus}").stdout
    )  # fmt: skip
    assert started["State"] == "STARTING"
    advance(5)
    replay = json.loads(aws_cli("events", "describe-replay", "--replay-name", name).stdout)
    assert replay["State"] == "COMPLETED"
    cancel = aws_cli("events", "cancel-replay", "--replay-name", name, check=False)
    assert "An error occurred (IllegalStatusException) when calling the CancelReplay operation" in cancel.stderr
