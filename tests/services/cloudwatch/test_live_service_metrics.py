"""The metrics SQS and SNS publish under AWS/SQS and AWS/SNS (through CloudWatch's public door),
and the course's case: an SQS backlog alarm firing into an SNS topic and on to a queue."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.live


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def test_a_backlog_alarm_pages_through_sns_to_a_queue(
    cloudwatch: Any, aws: Callable[..., Any], to_boundary: Callable[[int], None], advance: Callable[[float], None],
    now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    sqs, sns = aws("sqs"), aws("sns")
    work = sqs.create_queue(QueueName="work")["QueueUrl"]
    pager = sqs.create_queue(QueueName="pager")["QueueUrl"]
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sqs.set_queue_attributes(QueueUrl=pager, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn(sqs, pager)}]})})  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, pager))
    to_boundary(60)
    cloudwatch.put_metric_alarm(
        AlarmName="backlog", Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "work"}], Statistic="Maximum", Period=60, EvaluationPeriods=1,
        Threshold=3.0, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic],
    )  # fmt: skip
    start = now().replace(second=0, microsecond=0)
    sqs.send_message_batch(QueueUrl=work, Entries=[{"Id": str(i), "MessageBody": f"job {i}"} for i in range(5)])
    advance(60)  # the first minute's level is taken at its end
    advance(60)
    state = cloudwatch.describe_alarms(AlarmNames=["backlog"])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM", state["StateReason"]
    assert "[5.0 (" in state["StateReason"]
    pages: list[dict[str, Any]] = []

    def paged() -> bool:
        pages.extend(sqs.receive_message(QueueUrl=pager, WaitTimeSeconds=1).get("Messages", []))
        return bool(pages)

    wait_until(paged, timeout=10)
    envelope = json.loads(pages[0]["Body"])
    assert envelope["Subject"] == 'ALARM: "backlog" in US East (N. Virginia)'
    alarm_message = json.loads(envelope["Message"])
    assert alarm_message["NewStateValue"] == "ALARM"
    assert alarm_message["Trigger"]["Dimensions"] == [{"value": "work", "name": "QueueName"}]
    end = now()
    sent = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS", MetricName="NumberOfMessagesSent", Dimensions=[{"Name": "QueueName", "Value": "work"}],
        StartTime=start, EndTime=end, Period=60, Statistics=["Sum"],
    )["Datapoints"]  # fmt: skip
    assert [p["Sum"] for p in sent] == [5.0]
    age = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
        Dimensions=[{"Name": "QueueName", "Value": "work"}], StartTime=start, EndTime=end, Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]  # fmt: skip
    assert sorted(p["Maximum"] for p in age) == [60.0, 120.0]
    published = cloudwatch.get_metric_statistics(
        Namespace="AWS/SNS", MetricName="NumberOfMessagesPublished", Dimensions=[{"Name": "TopicName", "Value": "ops"}],
        StartTime=start, EndTime=end + dt.timedelta(minutes=1), Period=60, Statistics=["Sum"],
    )["Datapoints"]  # fmt: skip
    assert [p["Sum"] for p in published] == [1.0]
    listed = cloudwatch.list_metrics(Namespace="AWS/SQS", Dimensions=[{"Name": "QueueName", "Value": "work"}])
    assert {m["MetricName"] for m in listed["Metrics"]} == {
        "NumberOfMessagesSent", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
    }  # fmt: skip


def test_kms_publishes_the_seconds_until_imported_material_expires(
    cloudwatch: Any, aws: Callable[..., Any], to_boundary: Callable[[int], None], advance: Callable[[float], None],
    now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    from tests.services.kms.test_live_import import import_material

    kms = aws("kms")
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    to_boundary(60)
    start = now().replace(second=0, microsecond=0)
    import_material(kms, key_id, b"k" * 32, ValidTo=now() + dt.timedelta(days=1))
    advance(60)
    advance(60)
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/KMS", MetricName="SecondsUntilKeyMaterialExpiration", Statistics=["Minimum"], Period=60,
        Dimensions=[{"Name": "KeyId", "Value": key_id}], StartTime=start, EndTime=start + dt.timedelta(minutes=3),
    )["Datapoints"]  # fmt: skip
    seconds = [p["Minimum"] for p in sorted(stats, key=lambda p: p["Timestamp"])]
    assert len(seconds) >= 2
    assert seconds[0] == pytest.approx(86_400, abs=2)
    assert seconds[-1] < seconds[0]
    assert {p["Unit"] for p in stats} == {"Seconds"}
    listed = cloudwatch.list_metrics(Namespace="AWS/KMS")["Metrics"]
    assert listed == [{"Namespace": "AWS/KMS", "MetricName": "SecondsUntilKeyMaterialExpiration",
                       "Dimensions": [{"Name": "KeyId", "Value": key_id}]}]  # fmt: skip
