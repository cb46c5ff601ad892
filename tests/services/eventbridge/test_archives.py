"""Archives and replays through boto3: an archive keeps its bus's matching events (through the
managed rule AWS makes for it) for RetentionDays of the sandbox clock, and a replay sends the events
of a time window back to the bus's rules, each with "replay-name", going STARTING -> RUNNING ->
COMPLETED (or CANCELLING -> CANCELLED) as the clock moves; AWS's errors for each refusal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.eventbridge.conftest import unique
from tests.services.eventbridge.test_rules import assert_error, refused


def _now(sandbox: Any) -> dt.datetime:
    from playground.sandboxes.models import Clock

    return Clock.objects.get(sandbox_id=sandbox.id).now()


def order(total: int, source: str = "shop.orders") -> dict[str, Any]:
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps({"total": total})}


def test_archive_lifecycle_its_managed_rule_and_errors(events: Any, sandbox: Any) -> None:
    bus = unique("orders")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    name = unique("arch")
    pattern = json.dumps({"source": ["shop.orders"]})
    created = events.create_archive(
        ArchiveName=name, EventSourceArn=bus_arn, EventPattern=pattern, RetentionDays=7, Description="orders"
    )
    assert created["ArchiveArn"] == f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:archive/{name}"
    assert created["State"] == "ENABLED"
    described = events.describe_archive(ArchiveName=name)
    assert {key: described[key] for key in ("ArchiveName", "EventSourceArn", "EventPattern", "RetentionDays")} == {
        "ArchiveName": name, "EventSourceArn": bus_arn, "EventPattern": pattern, "RetentionDays": 7,
    }  # fmt: skip
    assert (described["Description"], described["EventCount"], described["SizeBytes"]) == ("orders", 0, 0)
    listed = events.list_archives(EventSourceArn=bus_arn)["Archives"]
    assert [item["ArchiveName"] for item in listed] == [name]
    assert events.list_archives(NamePrefix="zz-nothing")["Archives"] == []

    # The managed rule AWS makes on the bus: listed, described, and not the student's to change.
    rule = f"Events-Archive-{name}"
    found = events.describe_rule(Name=rule, EventBusName=bus)
    assert found["ManagedBy"] == "prod.vhs.events.aws.internal"
    assert json.loads(found["EventPattern"]) == {"source": ["shop.orders"], "replay-name": [{"exists": False}]}
    assert refused(events.delete_rule, Name=rule, EventBusName=bus)["Error"]["Code"] == "ManagedRuleException"
    assert refused(events.disable_rule, Name=rule, EventBusName=bus)["Error"]["Code"] == "ManagedRuleException"

    assert_error(
        refused(events.create_archive, ArchiveName=name, EventSourceArn=bus_arn),
        "ResourceAlreadyExistsException",
        f"Archive {name} already exists.",
    )
    missing_bus = f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:event-bus/nope"
    assert_error(
        refused(events.create_archive, ArchiveName=unique("a"), EventSourceArn=missing_bus),
        "ResourceNotFoundException",
        "Event bus nope does not exist.",
    )
    assert_error(
        refused(events.create_archive, ArchiveName=unique("a"), EventSourceArn=bus_arn, EventPattern='{"source": "x"}'),
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "source" must be an object or an array',
    )
    assert_error(
        refused(events.describe_archive, ArchiveName="nope"),
        "ResourceNotFoundException",
        "Archive nope does not exist.",
    )
    assert events.list_archives(NamePrefix=name[:9])["Archives"][0]["ArchiveName"] == name  # nothing else stored

    updated = events.update_archive(ArchiveName=name, RetentionDays=1, EventPattern=json.dumps({"source": ["b"]}))
    assert updated["ArchiveArn"] == created["ArchiveArn"]
    assert events.describe_archive(ArchiveName=name)["RetentionDays"] == 1
    assert json.loads(events.describe_rule(Name=rule, EventBusName=bus)["EventPattern"])["source"] == ["b"]

    events.delete_archive(ArchiveName=name)
    assert refused(events.describe_archive, ArchiveName=name)["Error"]["Code"] == "ResourceNotFoundException"
    assert refused(events.describe_rule, Name=rule, EventBusName=bus)["Error"]["Code"] == "ResourceNotFoundException"
    assert refused(events.delete_archive, ArchiveName=name)["Error"]["Code"] == "ResourceNotFoundException"


def test_a_replay_sends_the_windows_events_back_to_the_rules_on_the_clock(
    events: Any, make_queue: Any, drain: Any, sandbox: Any, paused: None, advance: Callable[[float], None]
) -> None:
    bus = unique("orders")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique("arch")
    archive_arn = events.create_archive(
        ArchiveName=archive, EventSourceArn=bus_arn, EventPattern=json.dumps({"source": ["shop.orders"]})
    )["ArchiveArn"]
    kept, other = make_queue(), make_queue()
    events.put_rule(Name="big", EventBusName=bus, EventPattern=json.dumps({"source": ["shop.orders"]}))
    big_arn = (
        events.put_targets(Rule="big", EventBusName=bus, Targets=[{"Id": "q", "Arn": kept.arn}])
        and (events.describe_rule(Name="big", EventBusName=bus)["Arn"])
    )
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": other.arn}])

    start = _now(sandbox) - dt.timedelta(seconds=1)
    put = events.put_events(
        Entries=[{**order(10), "EventBusName": bus}, {**order(20, "shop.returns"), "EventBusName": bus}]
    )
    advance(90)
    events.put_events(Entries=[{**order(30), "EventBusName": bus}])
    assert len(drain(kept.url)) == 2  # the live deliveries
    assert len(drain(other.url)) == 3
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 2  # shop.orders only
    advance(1)
    end = _now(sandbox)

    started = events.start_replay(
        ReplayName="again", EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
        Destination={"Arn": bus_arn, "FilterArns": [big_arn]}, Description="after the fix",
    )  # fmt: skip
    assert started["State"] == "STARTING"
    assert started["ReplayArn"] == f"arn:aws:events:{sandbox.region}:{sandbox.account_id}:replay/again"
    assert drain(kept.url) == []
    advance(1)  # running: the first minute that holds events
    described = events.describe_replay(ReplayName="again")
    assert described["State"] == "RUNNING"
    [first] = [json.loads(message["Body"]) for message in drain(kept.url)]
    assert first["replay-name"] == "again"
    assert first["id"] == put["Entries"][0]["EventId"]
    assert first["detail"] == {"total": 10}
    advance(1)  # the next minute
    [second] = [json.loads(message["Body"]) for message in drain(kept.url)]
    assert (second["detail"], second["replay-name"]) == ({"total": 30}, "again")
    advance(1)
    described = events.describe_replay(ReplayName="again")
    assert described["State"] == "COMPLETED"
    assert described["Destination"] == {"Arn": bus_arn, "FilterArns": [big_arn]}
    assert described["Description"] == "after the fix"
    assert described["EventLastReplayedTime"] >= described["EventStartTime"]
    assert "ReplayEndTime" in described
    assert drain(other.url) == []  # not in FilterArns
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 2  # replayed events are not archived
    listed = events.list_replays(EventSourceArn=archive_arn)["Replays"]
    assert [(item["ReplayName"], item["State"]) for item in listed] == [("again", "COMPLETED")]

    # Without FilterArns every rule of the bus gets the replayed events.
    events.start_replay(ReplayName="all-rules", EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
                        Destination={"Arn": bus_arn})  # fmt: skip
    advance(5)  # every due step runs, each at its own second
    assert events.describe_replay(ReplayName="all-rules")["State"] == "COMPLETED"
    assert len(drain(kept.url)) == 2
    assert len(drain(other.url)) == 2


def test_replay_refusals_and_cancel(events: Any, sandbox: Any, paused: None, advance: Callable[[float], None]) -> None:
    bus_arn = events.describe_event_bus()["Arn"]
    archive_arn = events.create_archive(ArchiveName=unique("arch"), EventSourceArn=bus_arn)["ArchiveArn"]
    now = _now(sandbox)
    window = {"EventStartTime": now - dt.timedelta(hours=1), "EventEndTime": now - dt.timedelta(minutes=1)}
    other_bus = events.create_event_bus(Name=unique("other"))["EventBusArn"]

    def start(name: str, **changes: Any) -> dict[str, Any]:
        params = {"ReplayName": name, "EventSourceArn": archive_arn, **window, "Destination": {"Arn": bus_arn}}
        return refused(events.start_replay, **{**params, **changes})

    assert_error(
        start("r1", EventStartTime=window["EventEndTime"], EventEndTime=window["EventStartTime"]),
        "ValidationException",
        "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
    )
    assert_error(
        start("r1", EventEndTime=now + dt.timedelta(hours=1)),
        "ValidationException",
        "Parameter EventEndTime is not valid. Reason: EventEndTime must be before the current time.",
    )
    assert_error(
        start("r1", Destination={"Arn": other_bus}),
        "ValidationException",
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
    )
    missing = archive_arn.rsplit("/", 1)[0] + "/nope"
    assert_error(start("r1", EventSourceArn=missing), "ResourceNotFoundException", "Archive nope does not exist.")
    assert events.list_replays()["Replays"] == []  # nothing was stored by the refusals

    events.start_replay(ReplayName="r1", EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window)
    assert_error(start("r1"), "ResourceAlreadyExistsException", "Replay r1 already exists.")
    assert events.cancel_replay(ReplayName="r1")["State"] == "CANCELLING"
    advance(1)
    assert events.describe_replay(ReplayName="r1")["State"] == "CANCELLED"
    response = refused(events.cancel_replay, ReplayName="r1")
    assert response["Error"]["Code"] == "IllegalStatusException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert_error(
        refused(events.describe_replay, ReplayName="nope"), "ResourceNotFoundException", "Replay nope does not exist."
    )


def test_archived_events_expire_after_the_retention_days(
    events: Any, sandbox: Any, paused: None, advance: Callable[[float], None]
) -> None:
    bus_arn = events.describe_event_bus()["Arn"]
    name = unique("arch")
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    events.put_events(Entries=[order(1)])
    described = events.describe_archive(ArchiveName=name)
    assert described["EventCount"] == 1
    assert described["SizeBytes"] > 100
    advance(86_000)
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 1
    advance(401)
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 0


@pytest.mark.parametrize("bus_kind", ["default", "custom"])
def test_rule_metrics_reach_cloudwatch_each_minute(
    events: Any, make_queue: Any, aws: Callable[..., Any], sandbox: Any, paused: None,
    advance: Callable[[float], None], bus_kind: str,
) -> None:  # fmt: skip
    bus = (
        "default" if bus_kind == "default" else events.create_event_bus(Name=unique("b"))["EventBusArn"].split("/")[-1]
    )
    queue = make_queue()
    name = unique("r")
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["shop.orders"]}))
    targets = [{"Id": "q", "Arn": queue.arn}, {"Id": "gone", "Arn": queue.arn + "-missing"}]
    events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    start = _now(sandbox) - dt.timedelta(minutes=2)
    events.put_events(Entries=[{**order(1), "EventBusName": bus}, {**order(2), "EventBusName": bus}])
    advance(61)
    cloudwatch = aws("cloudwatch")
    dimensions = [{"Name": "RuleName", "Value": name}]
    if bus != "default":
        dimensions = [{"Name": "EventBusName", "Value": bus}, *dimensions]

    def total(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Events", MetricName=metric, Dimensions=dimensions, StartTime=start,
            EndTime=_now(sandbox) + dt.timedelta(minutes=1), Period=60, Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        return sum(point["Sum"] for point in points)

    assert total("MatchedEvents") == 2
    assert total("TriggeredRules") == 2
    assert total("Invocations") == 4  # 2 delivered, 2 failed for good (the missing queue)
    assert total("FailedInvocations") == 2
