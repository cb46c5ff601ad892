"""The CloudWatch Logs part of a sandbox's diagram: one node per log group (streams, events held,
stored bytes, retention, KMS key, events in the last minute of sandbox time), one node per metric
filter with an edge from its group, and an edge from a group to each subscription filter's
destination (a Kinesis stream's node). A group with a KMS key gets an encryption edge from the
key. Each resource that wrote to the group through public.events_write(writer_arn=...) (today a
Lambda function, or what a VPC flow log watches; CloudTrail's trails still draw delivery edges of
their own)
gets a "log-writer" edge to it: the link is drawn from the group's
side, so no writer's graph needs to know Logs (the page leaves out an edge whose writer is gone).
An export task that is PENDING or RUNNING is an edge from its group to the bucket. describe(arn)
gives a group's attributes, tags, streams, newest events, metric filters with their newest
datapoints, subscription filters with their deliveries, export tasks and writers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import metric_node
from services.kms.public import resolve_key_arn

from . import exports, groups, ingest
from .models import (
    GroupWriter,
    LogChunk,
    LogGroup,
    LogStream,
    MetricDatapoint,
    MetricFilter,
    SubscriptionFilter,
)

RECENT = 60_000
PEEK = 20


def filter_arn(group: LogGroup, name: str) -> str:
    return f"{group.arn}:metric-filter:{name}"


def _group_node(group: LogGroup, *, now: dt.datetime) -> dict[str, Any]:
    now_ms = groups.epoch_ms(now)
    held = LogChunk.objects.filter(group=group).aggregate(count=Sum("count"), size=Sum("size"))
    return {
        "id": group.arn,
        "service": "logs",
        "type": "log-group",
        "name": group.name,
        "region": group.region,
        "retention_days": group.retention_days,
        "log_group_class": group.log_group_class,
        "kms_key_id": group.kms_key_id,
        "streams": LogStream.objects.filter(group=group).count(),
        "events": held["count"] or 0,
        "bytes": held["size"] or 0,
        "events_last_minute": LogChunk.objects.filter(group=group, ingested__gt=now_ms - RECENT).aggregate(
            count=Sum("count")
        )["count"]
        or 0,
        "metric_filters": MetricFilter.objects.filter(group=group).count(),
        "subscription_filters": SubscriptionFilter.objects.filter(group=group).count(),
    }


def _filter_node(group: LogGroup, metric_filter: MetricFilter) -> dict[str, Any]:
    first = metric_filter.transformations[0] if metric_filter.transformations else {}
    return {
        "id": filter_arn(group, metric_filter.name),
        "service": "logs",
        "type": "metric-filter",
        "name": metric_filter.name,
        "label": metric_filter.name,
        "region": group.region,
        "pattern": metric_filter.pattern,
        "metric": f"{first.get('metricNamespace', '')}/{first.get('metricName', '')}",
        "datapoints": MetricDatapoint.objects.filter(
            sandbox=group.sandbox, group_name=group.name, filter_name=metric_filter.name
        ).count(),
    }


def _metric_edges(group: LogGroup, metric_filter: MetricFilter, *, source: str) -> list[dict[str, Any]]:
    """An edge from the filter to each metric it emits without dimensions: CloudWatch draws that
    metric's node when an alarm watches it, so the chain reads group -> filter -> metric -> alarm
    (the page leaves the edge out while no alarm watches the metric)."""
    edges = []
    for item in metric_filter.transformations:
        if item.get("dimensions"):
            continue  # the alarm names the dimensions' values, which the filter takes from each event
        target = metric_node(region=group.region, account_id=group.sandbox.account_id,
                             namespace=item.get("metricNamespace", ""), name=item.get("metricName", ""),
                             dimensions={})  # fmt: skip
        edges.append({"source": source, "target": target, "type": "metric-filter-metric", "label": "emits"})
    return edges


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = LogGroup.objects.filter(sandbox=sandbox).select_related("sandbox")
    if region:
        rows = rows.filter(region=region)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for group in rows:
        nodes.append(_group_node(group, now=now))
        for metric_filter in MetricFilter.objects.filter(group=group):
            node = _filter_node(group, metric_filter)
            nodes.append(node)
            edges.append({"source": group.arn, "target": node["id"], "type": "metric-filter", "label": "metric filter"})
            edges.extend(_metric_edges(group, metric_filter, source=node["id"]))
        for subscription in SubscriptionFilter.objects.filter(group=group):
            edge: dict[str, Any] = {
                "source": group.arn,
                "target": subscription.destination_arn,
                "type": "log-subscription",
                "label": subscription.name,
                "filter": subscription.name,
                "pattern": subscription.pattern,
            }
            if subscription.last_error:
                code, _, reason = subscription.last_error.partition(": ")
                edge["problem"] = {"code": code, "reason": reason}
            edges.append(edge)
        for task in exports.active_for(group):
            edges.append({"source": group.arn, "target": f"arn:aws:s3:::{task.destination}", "type": "log-export",
                          "label": f"export {task.status.lower()}", "task": task.task_id})  # fmt: skip
        for writer in GroupWriter.objects.filter(group=group).values_list("arn", flat=True):
            edges.append({"source": writer, "target": group.arn, "type": "log-writer", "label": "writes logs"})
        if group.kms_key_id:
            key_arn = resolve_key_arn(sandbox=sandbox, region=group.region, key_id=group.kms_key_id)
            if key_arn:
                edges.append({"source": key_arn, "target": group.arn, "type": "encryption", "label": "encrypts"})
    return {"nodes": nodes, "edges": edges}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    base, marker, filter_name = arn.partition(":metric-filter:")
    group = groups.group_by_arn(sandbox=sandbox, arn=base)
    if group is None:
        return None
    if marker:
        metric_filter = MetricFilter.objects.filter(group=group, name=filter_name).first()
        if metric_filter is None:
            return None
        return {
            "attributes": {
                "filterPattern": metric_filter.pattern,
                "metricTransformations": metric_filter.transformations,
            },
            "datapoints": _datapoints(group, filter_name=filter_name),
        }
    stored = groups.stored_bytes(group)
    streams = [
        groups.stream_description(stream, group)
        for stream in LogStream.objects.filter(group=group).order_by("-last_event", "name")[:50]
    ]
    newest = ingest.newest(group, PEEK)
    return {
        "attributes": groups.group_description(group, stored=stored, filters=groups.count_filters(group)),
        "tags": dict(group.tags),
        "streams": streams,
        "events": [
            {"id": event.pk, "stream": event.stream_name, "timestamp": event.timestamp, "message": event.message}
            for event in newest
        ],
        "newest": newest[-1].pk if newest else 0,
        "metric_filters": [
            {
                "name": row.name,
                "pattern": row.pattern,
                "transformations": row.transformations,
                "datapoints": _datapoints(group, filter_name=row.name),
            }
            for row in MetricFilter.objects.filter(group=group)
        ],
        "subscription_filters": [
            {
                "name": row.name,
                "pattern": row.pattern,
                "destination": row.destination_arn,
                "delivered": row.delivered,
                "last_error": row.last_error,
            }
            for row in SubscriptionFilter.objects.filter(group=group)
        ],
        "export_tasks": [exports.task_description(task) for task in exports.recent_for(group)],
        "writers": list(GroupWriter.objects.filter(group=group).values_list("arn", flat=True)),
        "node": _group_node(group, now=now),
    }


def _datapoints(group: LogGroup, *, filter_name: str) -> list[dict[str, Any]]:
    rows = MetricDatapoint.objects.filter(sandbox=group.sandbox, group_name=group.name, filter_name=filter_name)
    return [
        {
            "namespace": row.namespace,
            "metric": row.metric_name,
            "dimensions": row.dimensions,
            "value": row.value,
            "unit": row.unit,
            "timestamp": row.timestamp,
        }
        for row in rows.order_by("-timestamp", "-id")[:10]
    ]
