"""GetMetricData: MetricStat queries read through metrics.series, Expression queries through
expressions.py, each returned with its timestamps newest first (or oldest first with
TimestampAscending). Also what metric alarms with `Metrics` evaluate (alarms read the one query
with ReturnData)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from playground.sandboxes.models import Sandbox
from services.cloudwatch import anomaly, expressions, metrics, statistics
from services.cloudwatch.exceptions import (
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    MissingRequiredParameterException,
)

MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


def check_queries(queries: list[dict[str, Any]]) -> None:
    if len(queries) > MAX_QUERIES:
        raise InvalidParameterValueException(
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )
    seen: set[str] = set()
    for index, query in enumerate(queries, 1):
        where = f"MetricDataQueries.member.{index}"
        if not ID.match(query["Id"]):
            raise InvalidParameterValueException(
                f"The value {query['Id']} for parameter {where}.Id is invalid. It must start with a lowercase "
                "letter and contain only letters, numbers and underscores."
            )
        if query["Id"] in seen:
            raise InvalidParameterValueException(f"The value {query['Id']} for parameter {where}.Id is not unique.")
        seen.add(query["Id"])
        has_stat, has_expression = "MetricStat" in query, "Expression" in query
        if has_stat == has_expression:
            raise InvalidParameterCombinationException(
                f"Exactly one element of the parameters {where}.MetricStat and {where}.Expression must be specified."
            )
        if has_stat:
            metrics.check_period(query["MetricStat"]["Period"], parameter=f"{where}.MetricStat.Period")
            stat = query["MetricStat"]["Stat"]
            if stat not in statistics.STATISTICS and not statistics.is_percentile(stat):
                raise InvalidParameterValueException(
                    f"The value {stat} for parameter {where}.MetricStat.Stat is invalid."
                )
        else:
            try:
                expressions.parse(query["Expression"])
            except expressions.ExpressionError as error:
                raise InvalidParameterValueException(f"{error} ({where}.Expression)") from None
    if not any(query.get("ReturnData", True) for query in queries):
        raise InvalidParameterValueException("At least one query must have ReturnData set to true.")


def run(
    *, sandbox: Sandbox, region: str, queries: list[dict[str, Any]], start: dt.datetime, end: dt.datetime,
    now: dt.datetime,
) -> dict[str, dict[dt.datetime, float] | Any]:  # fmt: skip
    """Every query's result by id: a series, or for an expression whatever it evaluates to."""
    results: dict[str, Any] = {}
    metric_ids = [q["Id"] for q in queries if "MetricStat" in q]
    periods = [q["MetricStat"]["Period"] for q in queries if "MetricStat" in q] + [
        q["Period"] for q in queries if q.get("Period")
    ]
    period = min(periods) if periods else 60
    for query in queries:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            results[query["Id"]] = metrics.series(
                sandbox=sandbox, region=region, namespace=metric.get("Namespace", ""),
                name=metric.get("MetricName", ""), dimensions=metric.get("Dimensions"), statistic=stat["Stat"],
                period=stat["Period"], start=start, end=end, unit=stat.get("Unit"), now=now,
            )  # fmt: skip
    grid = [start + dt.timedelta(seconds=step) for step in range(0, int((end - start).total_seconds()), period)]
    pending = [q for q in queries if "Expression" in q]
    trees = {q["Id"]: expressions.parse(q["Expression"]) for q in pending}
    stats = {q["Id"]: q["MetricStat"] for q in queries if "MetricStat" in q}

    def band(query_id: str, width: float) -> list[dict[dt.datetime, float]]:
        stat = stats.get(query_id)
        if stat is None:
            raise expressions.ExpressionError(f"ANOMALY_DETECTION_BAND needs a metric query, not {query_id}")
        step = int(stat["Period"])
        stamps = [start + dt.timedelta(seconds=s) for s in range(0, int((end - start).total_seconds()), step)]
        return anomaly.band(sandbox=sandbox, region=region, metric=stat["Metric"], stat=stat["Stat"], period=step,
                            stamps=stamps, width=width, now=now)  # fmt: skip

    ctx = expressions.Context(results=results, metric_ids=metric_ids, grid=grid, period=period, band=band)
    while pending:
        ready = [q for q in pending if _ready(trees[q["Id"]], results, pending)]
        if not ready:
            raise InvalidParameterValueException("Circular dependency between the MetricDataQueries expressions.")
        for query in ready:
            try:
                results[query["Id"]] = expressions.evaluate(trees[query["Id"]], ctx)
            except (expressions.ExpressionError, TypeError, ValueError) as error:
                raise InvalidParameterValueException(f"Error in expression {query['Id']}: {error}") from None
            pending.remove(query)
    return results


def _ready(tree: Any, results: dict[str, Any], pending: list[dict[str, Any]]) -> bool:
    waiting = {q["Id"] for q in pending}
    names = expressions.references(tree)
    if "*" in names:
        names.discard("*")
    return not (names & waiting)


def get_metric_data(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    queries = params.get("MetricDataQueries") or []
    if not queries:
        raise MissingRequiredParameterException("The parameter MetricDataQueries is required.")
    check_queries(queries)
    start, end = params["StartTime"], params["EndTime"]
    if start >= end:
        raise InvalidParameterValueException("The parameter StartTime must be less than the parameter EndTime.")
    results = run(sandbox=sandbox, region=region, queries=queries, start=start, end=end, now=now)
    ascending = params.get("ScanBy") == "TimestampAscending"
    answers = []
    messages: list[dict[str, str]] = []
    for query in queries:
        if not query.get("ReturnData", True):
            continue
        value = results[query["Id"]]
        label = query.get("Label") or (
            query["MetricStat"]["Metric"].get("MetricName", query["Id"]) if "MetricStat" in query else query["Id"]
        )
        if isinstance(value, list):  # an array: one result per series, as AWS labels them
            for index, item in enumerate(value, 1):
                answers.append(_result(f"{query['Id']}_{index}", label, item, ascending=ascending))
            continue
        if not isinstance(value, dict):
            value = {start: float(value)} if isinstance(value, (int, float)) else {}
        answers.append(_result(query["Id"], label, value, ascending=ascending))
    if sum(len(a["Timestamps"]) for a in answers) > MAX_DATAPOINTS:
        raise InvalidParameterValueException(f"The request would return more than {MAX_DATAPOINTS:,} datapoints.")
    return {"MetricDataResults": answers, "Messages": messages}


def _result(query_id: str, label: str, series: dict[dt.datetime, float], *, ascending: bool) -> dict[str, Any]:
    points = sorted(((at, v) for at, v in series.items() if not math.isnan(v)), reverse=not ascending)
    return {
        "Id": query_id,
        "Label": label,
        "Timestamps": [at for at, _ in points],
        "Values": [v for _, v in points],
        "StatusCode": "Complete",
    }
