"""CloudWatch Logs: log groups, log streams, log events, metric and subscription filters and Logs
Insights queries, over JSON 1.1 (botocore's `logs` model). Each method reads its parameters and
calls one domain function:

    groups.py      log groups and streams, tags, class, retention, KMS key association
    ingest.py      PutLogEvents, GetLogEvents, FilterLogEvents
    patterns.py    the filter-pattern language (pyparsing grammars), one engine for all of them
    filters.py     metric filters, subscription filters, TestMetricFilter
    metrics.py     the datapoints metric filters emit (emit(): the one door to CloudWatch metrics)
    delivery.py    subscription filters' batches to Kinesis, on the sandbox clock
    insights.py    Logs Insights queries (pyparsing), run when started
    exports.py     export tasks to S3, on the sandbox clock
    events.py      the live events; graph.py the diagram; public.py what other services call

LIMITATIONS (deliberate differences from AWS): see docs/logs.md.
"""

from __future__ import annotations

from typing import Any

from playground.gateway.errors import AwsError
from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem

from . import exports, filters, groups, ingest, insights
from .exceptions import InvalidParameterException, ResourceNotFoundException
from .models import LogGroup


def _group(ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> LogGroup:
    return groups.find_group(sandbox=ctx.sandbox, region=ctx.region, name=params["logGroupName"], lock=lock)


def _group_by_identifier(ctx: RequestContext, params: dict[str, Any]) -> LogGroup:
    return groups.find_group_by_identifier(
        sandbox=ctx.sandbox,
        region=ctx.region,
        name=params.get("logGroupName"),
        identifier=params.get("logGroupIdentifier"),
    )


def _by_resource_arn(ctx: RequestContext, arn: str) -> LogGroup:
    group = groups.group_by_arn(sandbox=ctx.sandbox, arn=arn)
    if group is None:
        raise ResourceNotFoundException("The specified resource does not exist.")
    return group


@register
class LogsProvider(Provider):
    service = "logs"

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        """CloudWatch Logs words model violations as InvalidParameterException."""
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        return InvalidParameterException(
            f"{count} validation {noun} detected: " + "; ".join(problem.message for problem in problems)
        )

    # --- log groups ----------------------------------------------------------------------------

    def create_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.check_class(params.get("logGroupClass"))
        groups.group_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["logGroupName"],
            kms_key_id=params.get("kmsKeyId"),
            tags=params.get("tags"),
            log_group_class=params.get("logGroupClass"),
            deletion_protection=bool(params.get("deletionProtectionEnabled")),
            now=ctx.now,
        )
        return {}

    def delete_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.group_delete(_group(ctx, params, lock=True), now=ctx.now)
        return {}

    @own_transactions
    def describe_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.check_class(params.get("logGroupClass"))
        return groups.groups_describe(
            sandbox=ctx.sandbox,
            region=ctx.region,
            prefix=params.get("logGroupNamePrefix"),
            pattern=params.get("logGroupNamePattern"),
            log_group_class=params.get("logGroupClass"),
            identifiers=params.get("logGroupIdentifiers"),
            limit=params.get("limit"),
            next_token=params.get("nextToken"),
        )

    def put_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.retention_put(_group(ctx, params, lock=True), days=params["retentionInDays"], now=ctx.now)
        return {}

    def delete_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.retention_delete(_group(ctx, params, lock=True), now=ctx.now)
        return {}

    def associate_kms_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("logGroupName"):
            raise InvalidParameterException("Only log group association is supported: specify logGroupName.")
        groups.kms_associate(_group(ctx, params, lock=True), key_id=params["kmsKeyId"], now=ctx.now)
        return {}

    def disassociate_kms_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("logGroupName"):
            raise InvalidParameterException("Only log group association is supported: specify logGroupName.")
        groups.kms_disassociate(_group(ctx, params, lock=True), now=ctx.now)
        return {}

    # --- tags ----------------------------------------------------------------------------------

    def tag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.tags_add(_group(ctx, params, lock=True), tags=params["tags"])
        return {}

    def untag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.tags_remove(_group(ctx, params, lock=True), keys=params["tags"])
        return {}

    @own_transactions
    def list_tags_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(_group(ctx, params).tags)}

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.tags_add(_by_resource_arn(ctx, params["resourceArn"]), tags=params["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.tags_remove(_by_resource_arn(ctx, params["resourceArn"]), keys=params["tagKeys"])
        return {}

    @own_transactions
    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(_by_resource_arn(ctx, params["resourceArn"]).tags)}

    # --- log streams ---------------------------------------------------------------------------

    def create_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.stream_create(_group(ctx, params), name=params["logStreamName"], now=ctx.now)
        return {}

    def delete_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = _group(ctx, params)
        groups.stream_delete(groups.find_stream(group, name=params["logStreamName"], lock=True), now=ctx.now)
        return {}

    @own_transactions
    def describe_log_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return groups.streams_describe(
            _group_by_identifier(ctx, params),
            prefix=params.get("logStreamNamePrefix"),
            order_by=params.get("orderBy"),
            descending=bool(params.get("descending")),
            limit=params.get("limit"),
            next_token=params.get("nextToken"),
        )

    # --- log events ----------------------------------------------------------------------------

    def put_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = groups.find_stream_in(
            sandbox=ctx.sandbox,
            region=ctx.region,
            group_name=params["logGroupName"],
            name=params["logStreamName"],
            lock=True,
        )
        return ingest.put_events(stream, log_events=params["logEvents"], now=ctx.now)

    @own_transactions
    def get_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = _group_by_identifier(ctx, params)
        stream = groups.find_stream(group, name=params["logStreamName"])
        return ingest.get_events(
            stream,
            start=params.get("startTime"),
            end=params.get("endTime"),
            token=params.get("nextToken"),
            limit=params.get("limit"),
            start_from_head=bool(params.get("startFromHead")),
            now=ctx.now,
        )

    @own_transactions
    def filter_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return ingest.filter_events(
            _group_by_identifier(ctx, params),
            stream_names=params.get("logStreamNames"),
            stream_prefix=params.get("logStreamNamePrefix"),
            start=params.get("startTime"),
            end=params.get("endTime"),
            pattern_text=params.get("filterPattern"),
            token=params.get("nextToken"),
            limit=params.get("limit"),
            now=ctx.now,
        )

    # --- metric filters ------------------------------------------------------------------------

    def put_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        filters.metric_filter_put(
            _group(ctx, params),
            name=params["filterName"],
            pattern_text=params["filterPattern"],
            transformations=params["metricTransformations"],
            now=ctx.now,
        )
        return {}

    @own_transactions
    def describe_metric_filters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return filters.metric_filters_describe(
            sandbox=ctx.sandbox,
            region=ctx.region,
            group_name=params.get("logGroupName"),
            prefix=params.get("filterNamePrefix"),
            metric_name=params.get("metricName"),
            namespace=params.get("metricNamespace"),
            limit=params.get("limit"),
            next_token=params.get("nextToken"),
        )

    def delete_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        filters.metric_filter_delete(_group(ctx, params), name=params["filterName"], now=ctx.now)
        return {}

    @own_transactions
    def test_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return filters.metric_filter_test(pattern_text=params["filterPattern"], messages=params["logEventMessages"])

    # --- subscription filters ------------------------------------------------------------------

    def put_subscription_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        filters.subscription_filter_put(
            _group(ctx, params),
            name=params["filterName"],
            pattern_text=params["filterPattern"],
            destination_arn=params["destinationArn"],
            role_arn=params.get("roleArn"),
            distribution=params.get("distribution"),
            now=ctx.now,
        )
        return {}

    @own_transactions
    def describe_subscription_filters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return filters.subscription_filters_describe(
            _group(ctx, params),
            prefix=params.get("filterNamePrefix"),
            limit=params.get("limit"),
            next_token=params.get("nextToken"),
        )

    def delete_subscription_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        filters.subscription_filter_delete(_group(ctx, params), name=params["filterName"], now=ctx.now)
        return {}

    # --- Logs Insights -------------------------------------------------------------------------

    def start_query(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        names = list(params.get("logGroupNames") or [])
        if params.get("logGroupName"):
            names.append(params["logGroupName"])
        for identifier in params.get("logGroupIdentifiers") or []:
            names.append(
                identifier.removesuffix(":*").rpartition(":log-group:")[2]
                if identifier.startswith("arn:")
                else identifier
            )
        query = insights.query_start(
            sandbox=ctx.sandbox,
            region=ctx.region,
            group_names=names,
            start=params["startTime"],
            end=params["endTime"],
            query_string=params["queryString"],
            limit=params.get("limit"),
            now=ctx.now,
        )
        return {"queryId": query.query_id}

    @own_transactions
    def get_query_results(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return insights.query_results(sandbox=ctx.sandbox, query_id=params["queryId"])

    def stop_query(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"success": insights.query_stop(sandbox=ctx.sandbox, query_id=params["queryId"])}

    @own_transactions
    def describe_queries(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return insights.queries_describe(
            sandbox=ctx.sandbox, region=ctx.region, group_name=params.get("logGroupName"), status=params.get("status")
        )

    # --- export tasks --------------------------------------------------------------------------

    def create_export_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        task = exports.export_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            task_name=params.get("taskName"),
            group_name=params["logGroupName"],
            stream_prefix=params.get("logStreamNamePrefix"),
            from_time=params["from"],
            to_time=params["to"],
            destination=params["destination"],
            destination_prefix=params.get("destinationPrefix"),
            now=ctx.now,
        )
        return {"taskId": task.task_id}

    @own_transactions
    def describe_export_tasks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return exports.exports_describe(
            sandbox=ctx.sandbox,
            task_id=params.get("taskId"),
            status=params.get("statusCode"),
            limit=params.get("limit"),
            next_token=params.get("nextToken"),
        )

    def cancel_export_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        exports.export_cancel(sandbox=ctx.sandbox, task_id=params["taskId"], now=ctx.now)
        return {}
