"""Amazon CloudWatch: metrics, metric math, metric and composite alarms, alarm history and
dashboards, over the three protocols botocore lists for it (Smithy RPC v2 CBOR, JSON 1.0 and
query; the gateway reads all three). Each method reads its parameters and calls one domain
function:

    metrics.py      PutMetricData, ListMetrics, GetMetricStatistics, the series alarms read
    statistics.py   the statistics and percentiles of a period, retention by age
    querying.py     GetMetricData; expressions.py the metric math (lark)
    alarms.py       alarm definitions, DescribeAlarms, history, states and actions
    evaluation.py   metric alarms evaluated on the sandbox clock (tasks.py)
    rules.py        the composite alarms' AlarmRule language (lark)
    actions.py      alarm actions: SNS (AWS's alarm message), Lambda (AWS's alarm event), EC2
    dashboards.py   dashboards and their body's checks
    public.py       how other services publish their AWS/<Service> metrics

    anomaly.py      anomaly detectors and their band (weekly and daily seasonality)

LIMITATIONS (deliberate differences from AWS): see docs/cloudwatch.md. In short: metric math
anomaly detectors, metric streams, Contributor Insights, alarm mute rules, log alarms, OTel enrichment,
metric widget images and query definitions answer NotImplemented; Auto Scaling and Systems Manager
alarm actions are accepted but only recorded in the history as not run; ListMetrics pages by 500
without tokens.
"""

from __future__ import annotations

from typing import Any

from playground.gateway.registry import Provider, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem
from services.cloudwatch import alarms, anomaly, dashboards, events, graph, metrics, querying
from services.cloudwatch.exceptions import (
    InvalidParameterValueException,
    MissingRequiredParameterException,
    ResourceNotFoundException,
)
from services.cloudwatch.models import Alarm

LIST_PAGE = 500
# The metrics of a call whose datapoints travel on the diagram as a dot: the first only (five live
# events cost a put of 20 values over a quarter of its server time; most puts carry one metric).
FLOW_METRICS = 1


def _parameter_name(path: str) -> str:
    return ".".join(part[:1].upper() + part[1:] for part in path.split(".") if part)


@register
class CloudWatchProvider(Provider):
    service = "cloudwatch"

    def validation_error(self, protocol: str, problems: list[Problem]) -> Any:
        """CloudWatch words model violations as MissingParameter or InvalidParameterValue."""
        problem = problems[0]
        name = _parameter_name(problem.path)
        if problem.kind == "required":
            return MissingRequiredParameterException(f"The parameter {name} is required.")
        reason = problem.message.split("failed to satisfy constraint: ", 1)[-1]
        return InvalidParameterValueException(f"The value for parameter {name} is invalid. Reason: {reason}.")

    # --- metrics ---------------------------------------------------------------------------------

    def put_metric_data(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        metrics.check_namespace(params["Namespace"])
        data = params.get("MetricData") or []
        stored = metrics.put_metric_data(sandbox=ctx.sandbox, region=ctx.region, namespace=params["Namespace"],
                                         data=data, now=ctx.now)  # fmt: skip
        for metric in stored[:FLOW_METRICS]:
            target = graph.metric_node_id(
                region=ctx.region, account_id=ctx.account_id, namespace=metric.namespace, name=metric.name,
                dimensions=metrics.as_dimensions(metric.dimensions),
            )  # fmt: skip
            count = sum(1 for d in data if d["MetricName"] == metric.name)
            events.datapoints_put(
                ctx.sandbox, target=target, namespace=metric.namespace, metric=metric.name, count=count, now=ctx.now
            )
        return {}

    def list_metrics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = metrics.list_metrics(
            sandbox=ctx.sandbox, region=ctx.region, namespace=params.get("Namespace"),
            name=params.get("MetricName"), dimensions=params.get("Dimensions"),
            recently_active=params.get("RecentlyActive"), now=ctx.now,
        )  # fmt: skip
        start = int(params["NextToken"]) if str(params.get("NextToken", "")).isdigit() else 0
        page = found[start : start + LIST_PAGE]
        result: dict[str, Any] = {
            "Metrics": [
                {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": metrics.as_dimensions(m.dimensions)}
                for m in page
            ]
        }
        if start + LIST_PAGE < len(found):
            result["NextToken"] = str(start + LIST_PAGE)
        return result

    def get_metric_statistics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return metrics.get_metric_statistics(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)

    def get_metric_data(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return querying.get_metric_data(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)

    # --- alarms ----------------------------------------------------------------------------------

    def put_metric_alarm(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.put_metric_alarm(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return {}

    def put_composite_alarm(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.put_composite_alarm(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return {}

    def describe_alarms(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return alarms.describe_alarms(sandbox=ctx.sandbox, region=ctx.region, params=params)

    def describe_alarms_for_metric(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"MetricAlarms": alarms.describe_alarms_for_metric(sandbox=ctx.sandbox, region=ctx.region,
                                                                  params=params)}  # fmt: skip

    def describe_alarm_history(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return alarms.history(sandbox=ctx.sandbox, region=ctx.region, params=params)

    def delete_alarms(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.delete_alarms(sandbox=ctx.sandbox, region=ctx.region, names=params["AlarmNames"], now=ctx.now)
        return {}

    def set_alarm_state(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.set_alarm_state(
            sandbox=ctx.sandbox, region=ctx.region, name=params["AlarmName"], state=params["StateValue"],
            reason=params["StateReason"], reason_data=params.get("StateReasonData"), now=ctx.now,
        )  # fmt: skip
        return {}

    def enable_alarm_actions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.set_actions_enabled(sandbox=ctx.sandbox, region=ctx.region, names=params["AlarmNames"], enabled=True,
                                   now=ctx.now)  # fmt: skip
        return {}

    def disable_alarm_actions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarms.set_actions_enabled(sandbox=ctx.sandbox, region=ctx.region, names=params["AlarmNames"], enabled=False,
                                   now=ctx.now)  # fmt: skip
        return {}

    # --- anomaly detection -----------------------------------------------------------------------

    def put_anomaly_detector(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        anomaly.put(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return {}

    def describe_anomaly_detectors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"AnomalyDetectors": anomaly.describe(sandbox=ctx.sandbox, region=ctx.region, params=params,
                                                     now=ctx.now)}  # fmt: skip

    def delete_anomaly_detector(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        anomaly.delete(sandbox=ctx.sandbox, region=ctx.region, params=params)
        return {}

    # --- tags ------------------------------------------------------------------------------------

    def _alarm_by_arn(self, ctx: RequestContext, arn: str) -> Alarm:
        name = arn.split(":alarm:", 1)[1] if ":alarm:" in arn else ""
        alarm = alarms.find(sandbox=ctx.sandbox, region=ctx.region, name=name) if name else None
        if alarm is None:
            raise ResourceNotFoundException(f"The resource {arn} does not exist.")
        return alarm

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarm = self._alarm_by_arn(ctx, params["ResourceARN"])
        known = {t["Key"]: t for t in alarm.tags}
        known.update({t["Key"]: t for t in params["Tags"]})
        alarm.tags = list(known.values())
        alarm.save(update_fields=["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alarm = self._alarm_by_arn(ctx, params["ResourceARN"])
        alarm.tags = [t for t in alarm.tags if t["Key"] not in params["TagKeys"]]
        alarm.save(update_fields=["tags"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self._alarm_by_arn(ctx, params["ResourceARN"]).tags}

    # --- dashboards ------------------------------------------------------------------------------

    def put_dashboard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        messages = dashboards.put_dashboard(sandbox=ctx.sandbox, name=params["DashboardName"],
                                            body=params["DashboardBody"], now=ctx.now)  # fmt: skip
        return {"DashboardValidationMessages": messages}

    def get_dashboard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        board = dashboards.get_dashboard(sandbox=ctx.sandbox, name=params["DashboardName"])
        return {"DashboardArn": board.arn, "DashboardBody": board.body, "DashboardName": board.name}

    def list_dashboards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        boards = dashboards.list_dashboards(sandbox=ctx.sandbox, prefix=params.get("DashboardNamePrefix"))
        return {"DashboardEntries": [
            {"DashboardName": b.name, "DashboardArn": b.arn, "LastModified": b.updated_at, "Size": len(b.body.encode())}
            for b in boards
        ]}  # fmt: skip

    def delete_dashboards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("DashboardNames") or []
        if not names:
            raise MissingRequiredParameterException("The parameter DashboardNames is required.")
        dashboards.delete_dashboards(sandbox=ctx.sandbox, names=names)
        return {}
