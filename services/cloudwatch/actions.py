"""Alarm actions, run when an alarm's state changes (alarms.change_state):

- an SNS topic gets AWS's alarm message (JSON, subject `ALARM: "name" in <region name>`) through
  services.sns.public;
- a Lambda function (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`) is invoked
  asynchronously through services.awslambda.public with AWS's alarm event (`source`
  "aws.cloudwatch", `alarmData` with the state, the previous state and the configuration), as
  the service principal lambda.alarms.cloudwatch.amazonaws.com: the function's resource policy
  must allow it for the alarm's ARN (AddPermission), else the action fails;
- an EC2 action (`arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover`, or the older
  `arn:aws:swf:REGION:ACCOUNT:action/actions/AWS_EC2.InstanceId.Stop/1.0` forms) stops,
  terminates or reboots the instance the alarm's InstanceId dimension names, through
  services.ec2.public. `recover` reboots it: the emulator has no hardware to move it from.
  PutMetricAlarm refuses an EC2 action on an alarm without that dimension (alarms.py).

Auto Scaling, Systems Manager and the other targets are accepted but not run: the history says so.
`run` returns what the alarm history's Action item says.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from functools import lru_cache
from typing import Any

from botocore.loaders import Loader

from playground.gateway.errors import AwsError
from services.awslambda.public import invoke_as_service
from services.cloudwatch import events
from services.cloudwatch.exceptions import ValidationError
from services.cloudwatch.models import COMPOSITE_ALARM, Alarm
from services.ec2.public import instance_act
from services.sns.public import publish_as_service

TARGET_SERVICES = ("sns", "lambda", "ec2", "automate", "autoscaling", "ssm", "ssm-incidents", "swf")
LAMBDA_PRINCIPAL = "lambda.alarms.cloudwatch.amazonaws.com"
EC2_OPERATIONS = ("stop", "terminate", "reboot", "recover")
EC2_WITHOUT_INSTANCE = (
    "Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance."
)
# The older forms, run with an IAM role (AWS's EC2ActionsAccess): the same three operations.
SWF_EC2_ACTIONS = {
    "action/actions/AWS_EC2.InstanceId.Stop/1.0": "stop",
    "action/actions/AWS_EC2.InstanceId.Terminate/1.0": "terminate",
    "action/actions/AWS_EC2.InstanceId.Reboot/1.0": "reboot",
}


@lru_cache(maxsize=64)
def region_name(region: str) -> str:
    """AWS's name for a region ("US East (N. Virginia)"), from botocore's endpoint data."""
    for partition in Loader().load_data("endpoints")["partitions"]:
        if region in partition.get("regions", {}):
            return str(partition["regions"][region]["description"])
    return region


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def message(alarm: Alarm, *, old_state: str, now: dt.datetime) -> dict[str, Any]:
    config = alarm.config
    body: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": config.get("AlarmDescription"),
        "AWSAccountId": alarm.sandbox.account_id,
        "AlarmConfigurationUpdatedTimestamp": _stamp(alarm.configuration_updated_at),
        "NewStateValue": alarm.state,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _stamp(now),
        "Region": region_name(alarm.region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old_state,
        "OKActions": config.get("OKActions") or [],
        "AlarmActions": config.get("AlarmActions") or [],
        "InsufficientDataActions": config.get("InsufficientDataActions") or [],
    }
    if alarm.alarm_type == COMPOSITE_ALARM:
        body["AlarmRule"] = config["AlarmRule"]
        return body
    trigger: dict[str, Any] = {}
    if config.get("Metrics"):
        trigger["Metrics"] = config["Metrics"]
    else:
        trigger.update(MetricName=config["MetricName"], Namespace=config["Namespace"])
        if config.get("ExtendedStatistic"):
            trigger.update(StatisticType="ExtendedStatistic", ExtendedStatistic=config["ExtendedStatistic"])
        else:
            trigger.update(StatisticType="Statistic", Statistic=config["Statistic"].upper())
        trigger.update(
            Unit=config.get("Unit"),
            Dimensions=[{"value": d["Value"], "name": d["Name"]} for d in config.get("Dimensions") or []],
            Period=config["Period"],
        )
    trigger.update(
        EvaluationPeriods=config["EvaluationPeriods"],
        DatapointsToAlarm=config.get("DatapointsToAlarm", config["EvaluationPeriods"]),
        ComparisonOperator=config["ComparisonOperator"],
        **({"ThresholdMetricId": config["ThresholdMetricId"]} if config.get("ThresholdMetricId") else {}),
        Threshold=float(config["Threshold"]) if "Threshold" in config else None,
        TreatMissingData=config.get("TreatMissingData", "missing"),
        EvaluateLowSampleCountPercentile=config.get("EvaluateLowSampleCountPercentile", ""),
    )
    body["Trigger"] = trigger
    return body


def subject(alarm: Alarm) -> str:
    return f'{alarm.state}: "{alarm.name}" in {region_name(alarm.region)}'[:100]


def ec2_operation(arn: str) -> str | None:
    """ "stop", "terminate", "reboot" or "recover" for an EC2 action's ARN; None for any other."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    if parts[2] == "automate" and parts[4] == "ec2" and parts[5] in EC2_OPERATIONS:
        return parts[5]
    if parts[2] == "swf":
        return SWF_EC2_ACTIONS.get(parts[5])
    return None


def instance_of(config: dict[str, Any]) -> str | None:
    """The instance an alarm watches: its metric's InstanceId dimension (of its MetricStat, for an
    alarm on Metrics), as AWS requires of an alarm with EC2 actions."""
    dimensions = list(config.get("Dimensions") or [])
    for query in config.get("Metrics") or []:
        dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions") or []
    return next((d["Value"] for d in dimensions if d.get("Name") == "InstanceId" and d.get("Value")), None)


def instance_arn(alarm: Alarm) -> str | None:
    instance = instance_of(alarm.config)
    return f"arn:aws:ec2:{alarm.region}:{alarm.sandbox.account_id}:instance/{instance}" if instance else None


def target_of(alarm: Alarm, arn: str) -> str:
    """The diagram node an action reaches: the instance for an EC2 action, else the ARN itself."""
    return (instance_arn(alarm) or arn) if ec2_operation(arn) else arn


def _metric_stat(stat: dict[str, Any]) -> dict[str, Any]:
    metric = stat.get("Metric") or {}
    shown: dict[str, Any] = {
        "metric": {"namespace": metric.get("Namespace"), "name": metric.get("MetricName"),
                   "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}},
        "period": stat.get("Period"), "stat": stat.get("Stat"),
    }  # fmt: skip
    if stat.get("Unit"):
        shown["unit"] = stat["Unit"]
    return shown


def _configuration(alarm: Alarm) -> dict[str, Any]:
    """The alarm's definition as the Lambda event's `configuration` words it."""
    config = alarm.config
    shown: dict[str, Any] = {}
    if config.get("AlarmDescription"):
        shown["description"] = config["AlarmDescription"]
    if alarm.alarm_type == COMPOSITE_ALARM:
        shown["alarmRule"] = config["AlarmRule"]
        for key in ("ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            if key in config:
                shown[key[0].lower() + key[1:]] = config[key]
        return shown
    queries = []
    if config.get("Metrics"):
        for query in config["Metrics"]:
            item: dict[str, Any] = {"id": query["Id"]}
            if "MetricStat" in query:
                item["metricStat"] = _metric_stat(query["MetricStat"])
            if query.get("Expression"):
                item["expression"] = query["Expression"]
            if query.get("Label"):
                item["label"] = query["Label"]
            item["returnData"] = query.get("ReturnData", True)
            queries.append(item)
    else:
        stat = config.get("Statistic") or config.get("ExtendedStatistic")
        metric = {"Namespace": config["Namespace"], "MetricName": config["MetricName"],
                  "Dimensions": config.get("Dimensions") or []}  # fmt: skip
        queries.append({
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, alarm.arn)),
            "metricStat": _metric_stat({"Metric": metric, "Period": config["Period"], "Stat": stat,
                                        "Unit": config.get("Unit")}),
            "returnData": True,
        })  # fmt: skip
    shown["metrics"] = queries
    return shown


def _state(value: str, reason: str, reason_data: str, at: dt.datetime) -> dict[str, Any]:
    state: dict[str, Any] = {"value": value, "reason": reason}
    if reason_data:
        state["reasonData"] = reason_data
    state["timestamp"] = _stamp(at)
    return state


def lambda_event(alarm: Alarm, *, previous: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """AWS's event for a Lambda alarm action. `previous`: the state the alarm left (value, reason,
    reason_data, at)."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": alarm.arn,
        "accountId": alarm.sandbox.account_id,
        "time": _stamp(now),
        "region": alarm.region,
        "alarmData": {
            "alarmName": alarm.name,
            "state": _state(alarm.state, alarm.state_reason, alarm.state_reason_data, now),
            "previousState": _state(previous["value"], previous["reason"], previous["reason_data"], previous["at"]),
            "configuration": _configuration(alarm),
        },
    }


def _instance(alarm: Alarm, *, operation: str, now: dt.datetime) -> None:
    instance = instance_of(alarm.config)
    if instance is None:  # PutMetricAlarm refuses this; kept for alarms stored before that check
        raise ValidationError(EC2_WITHOUT_INSTANCE)
    # recover reboots: here there is no other hardware to move the instance to
    action = "reboot" if operation == "recover" else operation
    instance_act(sandbox=alarm.sandbox, region=alarm.region, instance_id=instance, action=action, now=now)


def run(alarm: Alarm, *, arn: str, old_state: str, previous: dict[str, Any], now: dt.datetime) -> str:
    """Run one action for the state the alarm has just entered; what its history item says."""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    operation = ec2_operation(arn)
    try:
        if service == "sns":
            publish_as_service(sandbox=alarm.sandbox, arn=arn, message=json.dumps(message(alarm, old_state=old_state,
                               now=now)), subject=subject(alarm), now=now)  # fmt: skip
        elif service == "lambda":
            invoke_as_service(sandbox=alarm.sandbox, function_arn=arn, payload=lambda_event(alarm, previous=previous,
                              now=now), service_principal=LAMBDA_PRINCIPAL, source_arn=alarm.arn, now=now,
                              kind="CloudWatch")  # fmt: skip
        elif operation is not None:
            _instance(alarm, operation=operation, now=now)
        else:
            return f'Failed to execute action {arn}. Received error: "This action is not supported by the emulator"'
    except AwsError as error:
        events.action_run(alarm.sandbox, alarm=alarm, target=target_of(alarm, arn), ok=False, now=now)
        return f'Failed to execute action {arn}. Received error: "{error.message or error.code}"'
    events.action_run(alarm.sandbox, alarm=alarm, target=target_of(alarm, arn), ok=True, now=now)
    return f"Successfully executed action {arn}"
