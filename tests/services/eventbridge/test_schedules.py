"""Schedule rules on the sandbox clock: advancing the clock fires every due occurrence (rate and
cron, UTC, over days and month ends, with L, W and #), each as AWS's Scheduled Event stamped with
its own time; the course's example, a cron rule stopping an EC2 instance at 18:00 UTC on weekdays."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from tests.services.ec2.conftest import AMI
from tests.services.eventbridge.conftest import unique

DAY = 86400
STAMP = {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"rule": "<aws.events.rule-name>", "time": "<time>"}'}


def fired_times(drain: Any, queue_url: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for message in drain(queue_url):
        body = json.loads(message["Body"])
        found[body["rule"]].append(body["time"])
    return {rule: sorted(times) for rule, times in found.items()}


def test_rate_rule_fires_every_due_occurrence_as_a_scheduled_event(
    events: Any, make_queue: Any, drain: Any, clock_set: Any, advance: Any, sandbox: Any
) -> None:
    clock_set("2027-02-01T00:00:00+00:00")
    queue = make_queue()
    name = unique("hourly")
    arn = events.put_rule(Name=name, ScheduleExpression="rate(1 hour)")["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    advance(DAY)
    bodies = [json.loads(message["Body"]) for message in drain(queue.url)]
    assert sorted(body["time"] for body in bodies) == [f"2027-02-01T{hour:02d}:00:00Z" for hour in range(1, 24)] + [
        "2027-02-02T00:00:00Z"
    ]
    first = bodies[0]
    assert first["source"] == "aws.events"
    assert first["detail-type"] == "Scheduled Event"
    assert first["resources"] == [arn]
    assert first["detail"] == {}
    assert first["account"] == sandbox.account_id
    events.disable_rule(Name=name)
    advance(3 * 3600)
    assert drain(queue.url) == []
    events.enable_rule(Name=name)
    advance(3600)
    assert [json.loads(m["Body"])["time"] for m in drain(queue.url)] == ["2027-02-02T04:00:00Z"]


def test_cron_rules_over_month_ends_with_l_w_and_hash(
    events: Any, make_queue: Any, drain: Any, clock_set: Any, advance: Any
) -> None:
    clock_set("2027-01-01T00:00:00+00:00")
    queue = make_queue()
    expressions = {
        "last-day": "cron(0 12 L * ? *)",
        "nearest-weekday": "cron(0 12 15W * ? *)",
        "last-weekday": "cron(30 23 LW * ? *)",
        "last-friday": "cron(0 9 ? * 6L *)",
        "first-monday": "cron(0 8 ? * 2#1 *)",
        "quarter-hours": "cron(0/15 10 1 3 ? 2027)",
        "leap-day": "cron(0 0 29 2 ? 2028)",
    }
    for name, expression in expressions.items():
        events.put_rule(Name=name, ScheduleExpression=expression)
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn, "InputTransformer": STAMP}])
    advance(120 * DAY)  # to 2027-05-01
    fired = fired_times(drain, queue.url)
    assert fired["last-day"] == [
        "2027-01-31T12:00:00Z",
        "2027-02-28T12:00:00Z",
        "2027-03-31T12:00:00Z",
        "2027-04-30T12:00:00Z",
    ]
    # 15 Jan 2027 is a Friday; 15 May... Feb 15 a Monday; Mar 15 a Monday; Apr 15 a Thursday
    assert fired["nearest-weekday"] == [
        "2027-01-15T12:00:00Z",
        "2027-02-15T12:00:00Z",
        "2027-03-15T12:00:00Z",
        "2027-04-15T12:00:00Z",
    ]
    # 31 Jan 2027 is a Sunday -> Friday 29th; 28 Feb a Sunday -> 26th; 31 Mar a Wednesday; 30 Apr a Friday
    assert fired["last-weekday"] == [
        "2027-01-29T23:30:00Z",
        "2027-02-26T23:30:00Z",
        "2027-03-31T23:30:00Z",
        "2027-04-30T23:30:00Z",
    ]
    assert fired["last-friday"] == [
        "2027-01-29T09:00:00Z",
        "2027-02-26T09:00:00Z",
        "2027-03-26T09:00:00Z",
        "2027-04-30T09:00:00Z",
    ]
    assert fired["first-monday"] == [
        "2027-01-04T08:00:00Z",
        "2027-02-01T08:00:00Z",
        "2027-03-01T08:00:00Z",
        "2027-04-05T08:00:00Z",
    ]
    assert fired["quarter-hours"] == [
        "2027-03-01T10:00:00Z",
        "2027-03-01T10:15:00Z",
        "2027-03-01T10:30:00Z",
        "2027-03-01T10:45:00Z",
    ]
    assert "leap-day" not in fired
    described = events.describe_rule(Name="leap-day")
    assert described["ScheduleExpression"] == "cron(0 0 29 2 ? 2028)"


def test_cron_rule_stops_an_instance_at_18_utc_on_weekdays(
    events: Any, aws: Any, make_queue: Any, drain: Any, clock_set: Any, advance: Any, sandbox: Any
) -> None:
    clock_set("2027-01-01T12:00:00+00:00")  # a Friday
    ec2 = aws("ec2")
    instance_id = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    queue = make_queue()
    events.put_rule(
        Name="stop-at-six",
        ScheduleExpression="cron(0 18 ? * MON-FRI *)",
        Description="Stop the lab instance every weekday evening",
    )
    stop = f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:target/stop-instance"
    events.put_targets(
        Rule="stop-at-six",
        Targets=[
            {"Id": "stop", "Arn": stop, "Input": json.dumps(instance_id), "RetryPolicy": {"MaximumRetryAttempts": 0}},
            {"Id": "audit", "Arn": queue.arn, "InputTransformer": STAMP},
        ],
    )

    def state() -> str:
        return str(
            ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
        )

    advance(6 * 3600 - 60)  # 17:59: not yet
    assert drain(queue.url) == []
    assert state() == "running"
    advance(60)  # 18:00
    assert fired_times(drain, queue.url)["stop-at-six"] == ["2027-01-01T18:00:00Z"]
    assert state() in ("stopping", "stopped")
    advance(4 * DAY)  # the weekend passes: Monday 4th and Tuesday 5th fire
    assert fired_times(drain, queue.url)["stop-at-six"] == ["2027-01-04T18:00:00Z", "2027-01-05T18:00:00Z"]
