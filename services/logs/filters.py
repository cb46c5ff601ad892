"""Metric filters and subscription filters on a log group: put (create or replace), describe,
delete, and TestMetricFilter, all on the one pattern engine (patterns.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction

from playground.sandboxes.models import Sandbox

from . import delivery, events
from .exceptions import InvalidParameterException, LimitExceededException, ResourceNotFoundException
from .groups import epoch_ms, find_group
from .ingest import compile_or_refuse
from .models import LogGroup, MetricFilter, SubscriptionFilter
from .patterns import Pattern

MAX_METRIC_FILTERS = 100
MAX_SUBSCRIPTION_FILTERS = 2
MAX_TEST_MESSAGES = 50
FILTER_NAME = re.compile(r"[^:*]*")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _check_name(name: str) -> None:
    if not FILTER_NAME.fullmatch(name):
        raise InvalidParameterException(
            f"1 validation error detected: Value '{name}' at 'filterName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [^:*]*"
        )


def _check_value_reference(text: str, pattern: Pattern, *, what: str) -> None:
    """A `$...` in a metric value or dimension must be something the pattern's form can supply."""
    if not text.startswith("$"):
        return
    if pattern.kind == "json" and text.startswith("$."):
        return
    if pattern.kind == "delimited" and text in pattern.names:
        return
    raise InvalidParameterException(f"Invalid {what}: {text}")


def _check_transformations(transformations: list[dict[str, Any]], pattern: Pattern) -> None:
    for item in transformations:
        value = str(item["metricValue"])
        if not value.startswith("$") and not NUMBER.fullmatch(value):
            raise InvalidParameterException(f"Invalid metric value: {value}")
        _check_value_reference(value, pattern, what="metric value")
        dimensions = item.get("dimensions") or {}
        if dimensions:
            if pattern.kind not in ("json", "delimited"):
                raise InvalidParameterException("The specified filter pattern does not support dimensions")
            if item.get("defaultValue") is not None:
                raise InvalidParameterException("A metric transformation with dimensions cannot have a default value.")
            if len(dimensions) > 3:
                raise InvalidParameterException("A metric transformation can have at most 3 dimensions.")
            for source in dimensions.values():
                _check_value_reference(str(source), pattern, what="dimension value")


def metric_filter_put(
    group: LogGroup, *, name: str, pattern_text: str, transformations: list[dict[str, Any]], now: dt.datetime
) -> MetricFilter:
    _check_name(name)
    pattern = compile_or_refuse(pattern_text, what="metric filter")
    _check_transformations(transformations, pattern)
    existing = MetricFilter.objects.filter(group=group, name=name).first()
    if existing is None and MetricFilter.objects.filter(group=group).count() >= MAX_METRIC_FILTERS:
        raise LimitExceededException("Resource limit exceeded.")
    kept = [{key: value for key, value in item.items() if value is not None} for item in transformations]
    if existing is not None:
        existing.pattern, existing.transformations = pattern_text, kept
        existing.save(update_fields=["pattern", "transformations"])
        metric_filter = existing
    else:
        metric_filter = MetricFilter.objects.create(
            sandbox=group.sandbox,
            group=group,
            name=name,
            pattern=pattern_text,
            transformations=kept,
            created=epoch_ms(now),
        )
    events.group_changed(group.sandbox, group=group, now=now)
    return metric_filter


def metric_filter_output(metric_filter: MetricFilter, group_name: str) -> dict[str, Any]:
    return {
        "filterName": metric_filter.name,
        "filterPattern": metric_filter.pattern,
        "metricTransformations": metric_filter.transformations,
        "creationTime": metric_filter.created,
        "logGroupName": group_name,
        "applyOnTransformedLogs": False,
    }


def metric_filters_describe(
    *,
    sandbox: Sandbox,
    region: str,
    group_name: str | None,
    prefix: str | None,
    metric_name: str | None,
    namespace: str | None,
    limit: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    if prefix and not group_name:
        raise InvalidParameterException("If you specify filterNamePrefix, you must also specify logGroupName.")
    if bool(metric_name) != bool(namespace):
        raise InvalidParameterException("metricName and metricNamespace must be specified together.")
    rows = MetricFilter.objects.filter(sandbox=sandbox, group__region=region).select_related("group")
    if group_name:
        rows = rows.filter(group=find_group(sandbox=sandbox, region=region, name=group_name))
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    listed = [
        row
        for row in rows.order_by("group__name", "name")
        if not metric_name
        or any(
            item["metricName"] == metric_name and item["metricNamespace"] == namespace for item in row.transformations
        )
    ]
    start = int(next_token) if next_token and next_token.isdigit() else 0
    size = limit or 50
    page = listed[start : start + size]
    output: dict[str, Any] = {"metricFilters": [metric_filter_output(row, row.group.name) for row in page]}
    if start + size < len(listed):
        output["nextToken"] = str(start + size)
    return output


def metric_filter_delete(group: LogGroup, *, name: str, now: dt.datetime) -> None:
    if MetricFilter.objects.filter(group=group, name=name).delete()[0] == 0:
        raise ResourceNotFoundException("The specified resource does not exist.")
    events.group_changed(group.sandbox, group=group, now=now)


def metric_filter_test(*, pattern_text: str, messages: list[str]) -> dict[str, Any]:
    pattern = compile_or_refuse(pattern_text, what="metric filter")
    matches = []
    for number, message in enumerate(messages, start=1):
        found = pattern.match(message)
        if found is not None:
            extracted = {name: "" if value is None else _text(value) for name, value in found.fields.items()}
            matches.append({"eventNumber": number, "eventMessage": message, "extractedValues": extracted})
    return {"matches": matches}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- subscription filters -------------------------------------------------------------------------


def subscription_filter_put(
    group: LogGroup,
    *,
    name: str,
    pattern_text: str,
    destination_arn: str,
    role_arn: str | None,
    distribution: str | None,
    now: dt.datetime,
) -> SubscriptionFilter:
    _check_name(name)
    compile_or_refuse(pattern_text, what="subscription filter")
    existing = SubscriptionFilter.objects.filter(group=group, name=name).first()
    if existing is None and SubscriptionFilter.objects.filter(group=group).count() >= MAX_SUBSCRIPTION_FILTERS:
        raise LimitExceededException("Resource limit exceeded.")
    subscription = existing or SubscriptionFilter(sandbox=group.sandbox, group=group, name=name, created=epoch_ms(now))
    subscription.pattern = pattern_text
    subscription.destination_arn = destination_arn
    subscription.role_arn = role_arn or ""
    subscription.distribution = distribution or "ByLogStream"
    with transaction.atomic():
        delivery.check_destination(subscription, now=now)
    subscription.save()
    events.group_changed(group.sandbox, group=group, now=now)
    return subscription


def subscription_filter_output(subscription: SubscriptionFilter, group_name: str) -> dict[str, Any]:
    output: dict[str, Any] = {
        "filterName": subscription.name,
        "logGroupName": group_name,
        "filterPattern": subscription.pattern,
        "destinationArn": subscription.destination_arn,
        "distribution": subscription.distribution,
        "creationTime": subscription.created,
        "applyOnTransformedLogs": False,
    }
    if subscription.role_arn:
        output["roleArn"] = subscription.role_arn
    return output


def subscription_filters_describe(
    group: LogGroup, *, prefix: str | None, limit: int | None, next_token: str | None
) -> dict[str, Any]:
    rows = SubscriptionFilter.objects.filter(group=group).order_by("name")
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    listed = list(rows)
    start = int(next_token) if next_token and next_token.isdigit() else 0
    size = limit or 50
    output: dict[str, Any] = {
        "subscriptionFilters": [subscription_filter_output(row, group.name) for row in listed[start : start + size]]
    }
    if start + size < len(listed):
        output["nextToken"] = str(start + size)
    return output


def subscription_filter_delete(group: LogGroup, *, name: str, now: dt.datetime) -> None:
    if SubscriptionFilter.objects.filter(group=group, name=name).delete()[0] == 0:
        raise ResourceNotFoundException("The specified resource does not exist.")
    events.group_changed(group.sandbox, group=group, now=now)
