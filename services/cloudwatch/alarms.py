"""Metric and composite alarms: PutMetricAlarm / PutCompositeAlarm (checked as AWS checks them),
DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions,
DescribeAlarmHistory, and `change_state`, the one place a state changes (history, actions, live
event, composite parents re-evaluated)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from playground.sandboxes.models import Sandbox
from services.cloudwatch import actions, events, metrics, rules, statistics
from services.cloudwatch.exceptions import (
    InvalidFormatFault,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    MissingRequiredParameterException,
    ResourceNotFound,
    ValidationError,
)
from services.cloudwatch.models import (
    ALARM,
    COMPOSITE_ALARM,
    INSUFFICIENT_DATA,
    METRIC_ALARM,
    OK,
    STATES,
    Alarm,
    AlarmHistory,
)

OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
BAND_OPERATORS = {
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "GreaterThanUpperThreshold": "greater than the upper thresholds",
    "LessThanLowerThreshold": "less than the lower thresholds",
}
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
ALARM_PERIODS = (10, 20, 30)
MAX_ACTIONS = 5


def _check_actions(params: dict[str, Any], *, region: str) -> None:
    """At most 5 actions per state, well-formed ARNs of the alarm's region, and EC2 actions only on
    an alarm whose metric has the InstanceId dimension (a composite alarm has none)."""
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        listed = params.get(key) or []
        if len(listed) > MAX_ACTIONS:
            raise InvalidParameterValueException(
                f"The collection {key} must not have a size greater than {MAX_ACTIONS}."
            )
        for arn in listed:
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn":
                raise InvalidParameterValueException(f"Invalid arn syntax: {arn}")
            if parts[2] not in actions.TARGET_SERVICES:
                raise InvalidParameterValueException(f"Invalid use of EC2 action: {arn}" if parts[2] == "ec2"
                                                     else f"Invalid arn syntax: {arn}")  # fmt: skip
            if parts[3] and parts[3] != region:
                raise InvalidParameterValueException(
                    f"Invalid region {parts[3]} specified. Only {region} is supported."
                )
            if parts[2] == "automate" and actions.ec2_operation(arn) is None:
                raise InvalidParameterValueException(f"Invalid arn syntax: {arn}")
            if actions.ec2_operation(arn) and actions.instance_of(params) is None:
                raise ValidationError(actions.EC2_WITHOUT_INSTANCE)


def check_metric_alarm(params: dict[str, Any], *, region: str) -> None:
    has_metric = "MetricName" in params or "Namespace" in params
    if params.get("Metrics") and has_metric:
        raise InvalidParameterCombinationException(
            "The parameters MetricName and Metrics are mutually exclusive and you have specified both."
        )
    if not params.get("Metrics"):
        for key in ("MetricName", "Namespace", "Period"):
            if key not in params:
                raise MissingRequiredParameterException(f"The parameter {key} is required.")
        has_stat, has_extended = "Statistic" in params, "ExtendedStatistic" in params
        if has_stat == has_extended:
            raise InvalidParameterCombinationException(
                "Exactly one of the parameters Statistic and ExtendedStatistic must be specified."
            )
        if has_extended and not statistics.is_percentile(params["ExtendedStatistic"]):
            raise InvalidParameterValueException(
                f"The value {params['ExtendedStatistic']} for parameter ExtendedStatistic is invalid."
            )
        period = params["Period"]
        if period not in ALARM_PERIODS and (period < 60 or period % 60):
            raise InvalidParameterValueException("Period must be 10, 20, 30 or a multiple of 60.")
    else:
        from services.cloudwatch import querying

        querying.check_queries(params["Metrics"])
        returned = [
            q for q in params["Metrics"] if q.get("ReturnData", True) and q["Id"] != params.get("ThresholdMetricId")
        ]
        if len(returned) != 1:
            raise InvalidParameterValueException("Exactly one element of the metrics list should return data.")
    if params["ComparisonOperator"] in BAND_OPERATORS:
        ids = {q["Id"] for q in params.get("Metrics") or []}
        if params.get("ThresholdMetricId") not in ids:
            raise InvalidParameterCombinationException(
                f"ComparisonOperator {params['ComparisonOperator']} needs ThresholdMetricId naming an "
                "ANOMALY_DETECTION_BAND expression of Metrics."
            )
    elif params["ComparisonOperator"] not in OPERATORS:
        raise InvalidParameterValueException(
            f"The value {params['ComparisonOperator']} for parameter ComparisonOperator is invalid."
        )
    elif "Threshold" not in params:
        raise MissingRequiredParameterException("The parameter Threshold is required.")
    evaluation = params["EvaluationPeriods"]
    if params.get("DatapointsToAlarm", evaluation) > evaluation:
        raise InvalidParameterValueException("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    if params.get("TreatMissingData", "missing") not in TREAT_MISSING:
        raise InvalidParameterValueException(
            f"The value {params['TreatMissingData']} for parameter TreatMissingData is invalid. "
            f"Valid values are: {', '.join(TREAT_MISSING)}."
        )
    _check_actions(params, region=region)


class Configured(Protocol):
    """An alarm row or what the tick reads of one (evaluation.DueAlarm)."""

    config: dict[str, Any]


def evaluation_step(alarm: Configured) -> int:
    return min(int(alarm.config.get("Period") or _query_period(alarm)), 60)


def _query_period(alarm: Configured) -> int:
    for query in alarm.config.get("Metrics") or []:
        if "MetricStat" in query:
            return int(query["MetricStat"]["Period"])
        if query.get("Period"):
            return int(query["Period"])
    return 60


def period_of(alarm: Configured) -> int:
    return int(alarm.config.get("Period") or _query_period(alarm))


def next_evaluation(alarm: Configured, now: dt.datetime) -> dt.datetime:
    step = evaluation_step(alarm)
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp((epoch // step + 1) * step, tz=dt.UTC)


def _history(alarm: Alarm, *, item_type: str, summary: str, data: dict[str, Any] | None, now: dt.datetime) -> None:
    AlarmHistory.objects.create(
        sandbox=alarm.sandbox, region=alarm.region, alarm_name=alarm.name, alarm_type=alarm.alarm_type,
        timestamp=now, item_type=item_type, summary=summary,
        data=json.dumps(data, default=_iso) if data is not None else "",
    )  # fmt: skip


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "+0000")
    raise TypeError(type(value).__name__)


def find(*, sandbox: Sandbox, region: str, name: str, lock: bool = False) -> Alarm | None:
    rows = Alarm.objects.filter(sandbox=sandbox, region=region, name=name)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def _put(
    *, sandbox: Sandbox, region: str, name: str, alarm_type: str, config: dict[str, Any], tags: list[Any],
    now: dt.datetime,
) -> Alarm:  # fmt: skip
    alarm = find(sandbox=sandbox, region=region, name=name, lock=True)
    actions_enabled = config.pop("ActionsEnabled", True)
    created = alarm is None
    if alarm is None:
        alarm = Alarm(sandbox=sandbox, region=region, name=name, alarm_type=alarm_type, state_updated_at=now,
                      state_transitioned_at=now, configuration_updated_at=now)  # fmt: skip
    elif alarm.alarm_type != alarm_type:
        raise InvalidParameterCombinationException(f"An alarm of another type already exists with the name {name}.")
    alarm.config = config
    alarm.actions_enabled = actions_enabled
    alarm.configuration_updated_at = now
    if tags:
        known = {t["Key"]: t for t in alarm.tags}
        known.update({t["Key"]: t for t in tags})
        alarm.tags = list(known.values())
    if alarm_type == METRIC_ALARM:
        alarm.evaluate_at = next_evaluation(alarm, now)
    alarm.save()
    summary = f'Alarm "{name}" {"created" if created else "updated"}'
    _history(alarm, item_type="ConfigurationUpdate", summary=summary,
             data={"version": "1.0", "type": "Create" if created else "Update",
                   "createdAlarm" if created else "updatedAlarm": describe_one(alarm)},
             now=now)  # fmt: skip
    if created:
        events.alarm_created(sandbox, alarm=alarm, now=now)
    else:
        events.alarm_changed(sandbox, alarm=alarm, now=now)
    return alarm


def put_metric_alarm(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> Alarm:
    check_metric_alarm(params, region=region)
    config = {k: v for k, v in params.items() if k not in ("AlarmName", "Tags")}
    return _put(sandbox=sandbox, region=region, name=params["AlarmName"], alarm_type=METRIC_ALARM, config=config,
                tags=params.get("Tags") or [], now=now)  # fmt: skip


def put_composite_alarm(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> Alarm:
    try:
        names = rules.alarm_names(params["AlarmRule"])
    except rules.RuleError as error:
        # The model lists no InvalidFormat for PutCompositeAlarm: the common InvalidParameterValue.
        raise InvalidParameterValueException(str(error)) from None
    _check_actions(params, region=region)
    missing = [n for n in names if not _by_name_or_arn(sandbox=sandbox, region=region, ref=n)]
    if missing:
        raise InvalidParameterValueException(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule do not exist"
        )
    if params["AlarmName"] in names:
        raise InvalidParameterValueException("A composite alarm cannot refer to itself in its alarm rule.")
    config = {k: v for k, v in params.items() if k not in ("AlarmName", "Tags")}
    alarm = _put(sandbox=sandbox, region=region, name=params["AlarmName"], alarm_type=COMPOSITE_ALARM,
                 config=config, tags=params.get("Tags") or [], now=now)  # fmt: skip
    evaluate_composite(alarm, now=now)
    return alarm


def _by_name_or_arn(*, sandbox: Sandbox, region: str, ref: str) -> Alarm | None:
    name = ref.split(":alarm:", 1)[1] if ref.startswith("arn:") and ":alarm:" in ref else ref
    return find(sandbox=sandbox, region=region, name=name)


def evaluate_composite(alarm: Alarm, *, now: dt.datetime) -> None:
    states = {}
    for ref in rules.alarm_names(alarm.config["AlarmRule"]):
        child = _by_name_or_arn(sandbox=alarm.sandbox, region=alarm.region, ref=ref)
        states[ref] = child.state if child else INSUFFICIENT_DATA
    value = rules.evaluate(alarm.config["AlarmRule"], states)
    new_state = ALARM if value else OK
    triggering = [ref for ref, state in states.items() if state == ALARM]
    reason = (
        f"arn:aws:cloudwatch:{alarm.region}:{alarm.sandbox.account_id}:alarm:{triggering[0]} transitioned to ALARM"
        if new_state == ALARM and triggering else "All the alarms in the rule are in the expected states"
    )  # fmt: skip
    data = {"triggeringAlarms": [{"arn": f"arn:aws:cloudwatch:{alarm.region}:{alarm.sandbox.account_id}:alarm:{r}",
                                  "state": {"value": states[r]}} for r in triggering]}  # fmt: skip
    if new_state != alarm.state:
        change_state(alarm, state=new_state, reason=reason, reason_data=json.dumps(data), evaluated=[], now=now)


QUIET_FIELDS = ("state_reason", "state_reason_data", "evaluated", "evaluate_at")


def change_state(
    alarm: Alarm, *, state: str, reason: str, reason_data: str, evaluated: list[dict[str, Any]], now: dt.datetime,
    composites: list[Alarm] | None = None,
) -> bool:  # fmt: skip
    """Set an alarm's state; when it changes: history, the live event, the actions, the parents.
    Returns whether it changed (the tick saves its alarms whose state stayed itself, QUIET_FIELDS).
    `composites`: the sandbox's composite alarms, when known."""
    old_state, old_reason = alarm.state, alarm.state_reason
    # What the Lambda action's event says of the state left behind.
    previous = {"value": old_state, "reason": old_reason, "reason_data": alarm.state_reason_data,
                "at": alarm.state_updated_at}  # fmt: skip
    alarm.state_reason, alarm.state_reason_data, alarm.evaluated = reason, reason_data, evaluated
    if old_state != state:
        alarm.state_updated_at = now
    if old_state == state:
        alarm.save(update_fields=list(QUIET_FIELDS))
        return False
    alarm.state = state
    alarm.state_transitioned_at = now
    alarm.save()
    new = {"stateValue": state, "stateReason": reason}
    if reason_data:
        new["stateReasonData"] = json.loads(reason_data)
    _history(alarm, item_type="StateUpdate", summary=f"Alarm updated from {old_state} to {state}",
             data={"version": "1.0", "oldState": {"stateValue": old_state, "stateReason": old_reason},
                   "newState": new}, now=now)  # fmt: skip
    events.alarm_state_changed(alarm.sandbox, alarm=alarm, old_state=old_state, now=now)
    if alarm.actions_enabled and not _suppressed(alarm):
        key = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT_DATA: "InsufficientDataActions"}[state]
        for arn in alarm.config.get(key) or []:
            outcome = actions.run(alarm, arn=arn, old_state=old_state, previous=previous, now=now)
            _history(alarm, item_type="Action", summary=outcome, data=None, now=now)
    if composites is None:
        composites = list(Alarm.objects.filter(sandbox=alarm.sandbox, alarm_type=COMPOSITE_ALARM))
    for parent in composites:
        if parent.region != alarm.region:
            continue
        named = rules.alarm_names(parent.config["AlarmRule"])
        if alarm.name in named or alarm.arn in named:
            evaluate_composite(parent, now=now)
    return True


def _suppressed(alarm: Alarm) -> bool:
    suppressor = alarm.config.get("ActionsSuppressor")
    if alarm.alarm_type != COMPOSITE_ALARM or not suppressor:
        return False
    found = _by_name_or_arn(sandbox=alarm.sandbox, region=alarm.region, ref=suppressor)
    return found is not None and found.state == ALARM


def set_alarm_state(
    *, sandbox: Sandbox, region: str, name: str, state: str, reason: str, reason_data: str | None, now: dt.datetime
) -> None:
    alarm = find(sandbox=sandbox, region=region, name=name, lock=True)
    if alarm is None:
        raise ResourceNotFound(f"Alarm {name} not found")
    if state not in STATES:
        raise InvalidParameterValueException(f"The value {state} for parameter StateValue is invalid.")
    if reason_data:
        try:
            json.loads(reason_data)
        except ValueError:
            raise InvalidFormatFault("Could not parse the StateReasonData as JSON.") from None
    change_state(alarm, state=state, reason=reason, reason_data=reason_data or "", evaluated=alarm.evaluated, now=now)


def set_actions_enabled(*, sandbox: Sandbox, region: str, names: list[str], enabled: bool, now: dt.datetime) -> None:
    for alarm in Alarm.objects.filter(sandbox=sandbox, region=region, name__in=names):
        alarm.actions_enabled = enabled
        alarm.save(update_fields=["actions_enabled"])
        events.alarm_changed(sandbox, alarm=alarm, now=now)


def delete_alarms(*, sandbox: Sandbox, region: str, names: list[str], now: dt.datetime) -> None:
    found = list(Alarm.objects.filter(sandbox=sandbox, region=region, name__in=names))
    missing = sorted(set(names) - {a.name for a in found})
    if missing:
        raise ResourceNotFound(f"Alarm(s) not found: {', '.join(missing)}" if len(missing) > 1
                               else f"Alarm {missing[0]} not found")  # fmt: skip
    for alarm in found:
        _history(alarm, item_type="ConfigurationUpdate", summary=f'Alarm "{alarm.name}" deleted',
                 data={"version": "1.0", "type": "Delete", "deletedAlarm": describe_one(alarm)}, now=now)  # fmt: skip
        events.alarm_deleted(sandbox, alarm=alarm, now=now)
        alarm.delete()


def describe_one(alarm: Alarm) -> dict[str, Any]:
    config = alarm.config
    common: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.arn,
        "AlarmDescription": config.get("AlarmDescription"),
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_at,
        "ActionsEnabled": alarm.actions_enabled,
        "OKActions": config.get("OKActions") or [],
        "AlarmActions": config.get("AlarmActions") or [],
        "InsufficientDataActions": config.get("InsufficientDataActions") or [],
        "StateValue": alarm.state,
        "StateReason": alarm.state_reason,
        "StateReasonData": alarm.state_reason_data or None,
        "StateUpdatedTimestamp": alarm.state_updated_at,
        "StateTransitionedTimestamp": alarm.state_transitioned_at,
    }
    if alarm.alarm_type == COMPOSITE_ALARM:
        common["AlarmRule"] = config["AlarmRule"]
        for key in ("ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            if key in config:
                common[key] = config[key]
    else:
        for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
                    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
                    "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId"):  # fmt: skip
            if key in config:
                common[key] = config[key]
        common["TreatMissingData"] = config.get("TreatMissingData", "missing")
        common.setdefault("Dimensions", [])
    return {k: v for k, v in common.items() if v is not None}


def describe_alarms(*, sandbox: Sandbox, region: str, params: dict[str, Any]) -> dict[str, Any]:
    rows = Alarm.objects.filter(sandbox=sandbox, region=region)
    if params.get("AlarmNames"):
        if params.get("AlarmNamePrefix"):
            raise InvalidParameterCombinationException(
                "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both."
            )
        rows = rows.filter(name__in=params["AlarmNames"])
    if params.get("AlarmNamePrefix"):
        rows = rows.filter(name__startswith=params["AlarmNamePrefix"])
    if params.get("StateValue"):
        rows = rows.filter(state=params["StateValue"])
    types = params.get("AlarmTypes") or [METRIC_ALARM]
    if params.get("ChildrenOfAlarmName"):
        parent = find(sandbox=sandbox, region=region, name=params["ChildrenOfAlarmName"])
        names = rules.alarm_names(parent.config["AlarmRule"]) if parent and parent.alarm_type == COMPOSITE_ALARM else []
        rows = rows.filter(name__in=[n.split(":alarm:")[-1] for n in names])
        types = [METRIC_ALARM, COMPOSITE_ALARM]
    if params.get("ParentsOfAlarmName"):
        child = params["ParentsOfAlarmName"]
        parents = [a.pk for a in rows.filter(alarm_type=COMPOSITE_ALARM)
                   if child in {n.split(":alarm:")[-1] for n in rules.alarm_names(a.config["AlarmRule"])}]  # fmt: skip
        rows = rows.filter(pk__in=parents)
        types = [COMPOSITE_ALARM]
    listed = [a for a in rows.order_by("name") if a.alarm_type in types]
    if params.get("ActionPrefix"):
        prefix = params["ActionPrefix"]
        listed = [a for a in listed if any(arn.startswith(prefix) for key in ("AlarmActions", "OKActions",
                  "InsufficientDataActions") for arn in a.config.get(key) or [])]  # fmt: skip
    page, token = _page(listed, params)
    result: dict[str, Any] = {
        "MetricAlarms": [describe_one(a) for a in page if a.alarm_type == METRIC_ALARM],
        "CompositeAlarms": [describe_one(a) for a in page if a.alarm_type == COMPOSITE_ALARM],
    }
    if token:
        result["NextToken"] = token
    return result


def _page(items: list[Any], params: dict[str, Any], *, default: int = 50) -> tuple[list[Any], str | None]:
    size = params.get("MaxRecords") or default
    if not 1 <= size <= 100:
        raise InvalidParameterValueException("The parameter MaxRecords must be between 1 and 100.")
    start = 0
    if params.get("NextToken"):
        try:
            start = int(params["NextToken"])
        except ValueError:
            from services.cloudwatch.exceptions import InvalidNextToken

            raise InvalidNextToken("The service returned an error with Error Code InvalidNextToken.") from None
    page = items[start : start + size]
    return page, str(start + size) if start + size < len(items) else None


def describe_alarms_for_metric(*, sandbox: Sandbox, region: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = metrics.dimensions_of(params.get("Dimensions"))
    found = []
    for alarm in Alarm.objects.filter(sandbox=sandbox, region=region, alarm_type=METRIC_ALARM):
        config = alarm.config
        if config.get("MetricName") != params["MetricName"] or config.get("Namespace") != params["Namespace"]:
            continue
        if metrics.dimensions_of(config.get("Dimensions")) != wanted:
            continue
        if any(params.get(k) is not None and config.get(k) != params[k]
               for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")):  # fmt: skip
            continue
        found.append(describe_one(alarm))
    return found


def history(*, sandbox: Sandbox, region: str, params: dict[str, Any]) -> dict[str, Any]:
    rows = AlarmHistory.objects.filter(sandbox=sandbox, region=region)
    if params.get("AlarmName"):
        rows = rows.filter(alarm_name=params["AlarmName"])
    if params.get("HistoryItemType"):
        rows = rows.filter(item_type=params["HistoryItemType"])
    if params.get("StartDate"):
        rows = rows.filter(timestamp__gte=params["StartDate"])
    if params.get("EndDate"):
        rows = rows.filter(timestamp__lte=params["EndDate"])
    if params.get("AlarmTypes"):
        rows = rows.filter(alarm_type__in=params["AlarmTypes"])
    ordered = rows.order_by("timestamp", "id") if params.get("ScanBy") == "TimestampAscending" else rows
    page, token = _page(list(ordered), params, default=100)
    result: dict[str, Any] = {"AlarmHistoryItems": [history_item(item) for item in page]}
    if token:
        result["NextToken"] = token
    return result


def history_item(item: AlarmHistory) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "AlarmName": item.alarm_name, "AlarmType": item.alarm_type, "Timestamp": item.timestamp,
        "HistoryItemType": item.item_type, "HistorySummary": item.summary,
    }  # fmt: skip
    if item.data:
        entry["HistoryData"] = item.data
    return entry
