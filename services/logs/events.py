"""The live events CloudWatch Logs publishes (the platform's types; Logs needs no type of its own).

    resource.created / resource.changed   a log group, with its attributes (group_attributes
                                           below: retentionInDays, logGroupClass, kmsKeyId,
                                           streams, metricFilters, subscriptionFilters)
    resource.deleted                       a log group
    flow, kind:
      put         client -> group    PutLogEvents stored events (detail: stream, events, bytes);
                                     the live tail reads what is new from the app's tail view;
                                     the source is the writer's ARN when another service wrote
                                     them through public.events_write(writer_arn=...)
      metric      group -> metric    a metric filter emitted datapoints (detail: filter,
                                     datapoints); the target is "metric:<namespace>/<name>"
      deliver     group -> stream    a subscription filter delivered a batch (detail: filter,
                                     events); the target is the destination ARN
      failed      group -> target    a subscription filter's batch could not be delivered
                                     (detail: filter, error_code, reason)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.logs.models import LogGroup, LogStream

SERVICE = "logs"
RESOURCE_TYPE = "log-group"
CLIENT = "client"


def group_attributes(group: LogGroup) -> dict[str, Any]:
    return {
        "retentionInDays": group.retention_days,
        "logGroupClass": group.log_group_class,
        "kmsKeyId": group.kms_key_id,
        "streams": group.streams.count(),
        "metricFilters": group.metric_filters.count(),
        "subscriptionFilters": group.subscription_filters.count(),
    }


def group_created(sandbox: Sandbox, *, group: LogGroup, now: dt.datetime) -> None:
    publish_resource(
        sandbox,
        "created",
        service=SERVICE,
        resource_type=RESOURCE_TYPE,
        arn=group.arn,
        name=group.name,
        attributes=group_attributes(group),
        now=now,
    )


def group_changed(sandbox: Sandbox, *, group: LogGroup, now: dt.datetime) -> None:
    publish_resource(
        sandbox,
        "changed",
        service=SERVICE,
        resource_type=RESOURCE_TYPE,
        arn=group.arn,
        name=group.name,
        attributes=group_attributes(group),
        now=now,
    )


def group_deleted(sandbox: Sandbox, *, arn: str, name: str, now: dt.datetime) -> None:
    publish_resource(sandbox, "deleted", service=SERVICE, resource_type=RESOURCE_TYPE, arn=arn, name=name, now=now)


def _flow(
    sandbox: Sandbox, kind: str, *, source: str, target: str, item_id: str, now: dt.datetime, **detail: Any
) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind=kind, source=source, target=target, item_id=item_id, now=now, detail=detail
    )


def events_put(
    sandbox: Sandbox,
    *,
    group: LogGroup,
    stream: LogStream,
    count: int,
    size: int,
    now: dt.datetime,
    writer: str | None = None,
) -> None:
    _flow(
        sandbox,
        "put",
        source=writer or CLIENT,
        target=group.arn,
        item_id=f"{stream.name}@{now.isoformat()}",
        now=now,
        stream=stream.name,
        events=count,
        bytes=size,
    )


def datapoints_emitted(sandbox: Sandbox, *, group: LogGroup, filter_name: str, count: int, now: dt.datetime) -> None:
    _flow(
        sandbox,
        "metric",
        source=group.arn,
        target=f"{group.arn}:metric-filter:{filter_name}",
        item_id=f"{filter_name}@{now.isoformat()}",
        now=now,
        filter=filter_name,
        datapoints=count,
    )


def batch_delivered(
    sandbox: Sandbox, *, group: LogGroup, filter_name: str, destination: str, count: int, now: dt.datetime
) -> None:
    _flow(
        sandbox,
        "deliver",
        source=group.arn,
        target=destination,
        item_id=f"{filter_name}@{now.isoformat()}",
        now=now,
        filter=filter_name,
        events=count,
    )


def delivery_failed(
    sandbox: Sandbox, *, group: LogGroup, filter_name: str, destination: str, code: str, reason: str, now: dt.datetime
) -> None:
    _flow(
        sandbox,
        "failed",
        source=group.arn,
        target=destination,
        item_id=f"{filter_name}@{now.isoformat()}",
        now=now,
        filter=filter_name,
        error_code=code,
        reason=reason,
    )
