"""Lambda's AWS/Lambda metrics, into CloudWatch through its public door (docs/services.md,
Metrics), with the dimension FunctionName:

    Invocations, Errors (per invocation, 1 or 0), Duration (ms), ConcurrentExecutions (the
    invocations running in the function's pool when one started: Maximum is the peak),
    Throttles (a refused invocation), DeadLetterErrors (a dead-letter queue that could not take
    the event), IteratorAge (a stream mapping's batch: how old its newest record was, ms).

Aggregated cheaply, as Lambda reports them once a minute: an invocation adds to its minute's
bucket in Redis (one round trip, one script), and marks the function `metrics_due_at` the end of
that minute (sandbox clock); the tick (tasks.py) then puts each finished minute's figures as one
datapoint per metric at the minute (Values/Counts, so Sum, SampleCount, Minimum, Maximum and
Average are those of the single invocations). Without Redis each event is put at once.

LIMITATION: no Resource dimension for versions and aliases (they count under the function), no
per-account series (no dimension); percentiles of Duration are approximate (a minute keeps its
minimum, maximum and the mean of the rest)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from playground import redisconn
from services.awslambda.models import Function

LOG = logging.getLogger(__name__)

NAMESPACE = "AWS/Lambda"
KEEP_SECONDS = 3 * 24 * 3600  # a bucket nobody flushes (its function deleted) goes by itself

# KEYS: bucket, minutes set, and the invocation's concurrency lease set (concurrency.py), whose
# member ARGV[3] it gives back in the same round trip. ARGV: minute, keep seconds, lease member
# ("" for none), then (field, op, value) triples; op is "add", "max" or "min". Returns 1 when the
# minute is new to the function (then its due time is set).
_ADD = """
if ARGV[3] ~= "" then redis.call('ZREM', KEYS[3], ARGV[3]) end
for i = 4, #ARGV, 3 do
  local field, op, value = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if op == "add" then
    redis.call('HINCRBYFLOAT', KEYS[1], field, value)
  else
    local old = tonumber(redis.call('HGET', KEYS[1], field))
    if old == nil or (op == "max" and value > old) or (op == "min" and value < old) then
      redis.call('HSET', KEYS[1], field, value)
    end
  end
end
local new = redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return new
"""


def _minute(now: dt.datetime) -> int:
    return int(now.timestamp()) // 60 * 60


def _keys(function: Function, minute: int) -> tuple[str, str]:
    base = ("lambda", "metrics", function.sandbox_id, function.pk)
    return redisconn.key(*base, minute), redisconn.key(*base, "minutes")


def _add(
    function: Function, now: dt.datetime, ops: list[tuple[str, str, float]], release: tuple[str, str] | None = None
) -> None:
    minute = _minute(now)
    bucket, minutes = _keys(function, minute)
    lease_key, member = release or (bucket, "")
    args: list[Any] = [minute, KEEP_SECONDS, member]
    for op in ops:
        args += list(op)
    try:
        new: Any = redisconn.client().eval(_ADD, 3, bucket, minutes, lease_key, *args)
    except Exception:
        LOG.warning("Lambda metrics put at once: Redis unreachable", exc_info=True)
        _put_bucket(function, {field: value for field, _, value in ops}, at=now, now=now)
        return
    if int(new):  # the minute's first figures: the tick puts them once the minute is over
        due = dt.datetime.fromtimestamp(minute + 60, tz=dt.UTC)
        Function.objects.filter(pk=function.pk, metrics_due_at__isnull=True).update(metrics_due_at=due)


def invoked(
    function: Function, *, duration_ms: float, failed: bool, running: int | None, now: dt.datetime,
    release: tuple[str, str] | None = None,
) -> None:  # fmt: skip
    """One invocation's figures; `release` (a concurrency lease's key and member) is given back
    in the same round trip to Redis."""
    duration = round(duration_ms, 3)
    ops = [("inv", "add", 1.0), ("err", "add", 1.0 if failed else 0.0), ("dsum", "add", duration),
           ("dn", "add", 1.0), ("dmin", "min", duration), ("dmax", "max", duration)]  # fmt: skip
    if running is not None:
        ops.append(("cmax", "max", float(running)))
    _add(function, now, ops, release)


def throttled(function: Function, *, now: dt.datetime) -> None:
    _add(function, now, [("thr", "add", 1.0)])


def dead_letter_error(function: Function, *, now: dt.datetime) -> None:
    _add(function, now, [("dle", "add", 1.0)])


def iterator_age(function: Function, *, age_ms: float, now: dt.datetime) -> None:
    age = float(max(round(age_ms), 0))
    _add(function, now, [("asum", "add", age), ("an", "add", 1.0), ("amin", "min", age), ("amax", "max", age)])


# --- the flush (the tick) --------------------------------------------------------------------------


def _spread(total: float, count: float, low: float, high: float) -> tuple[list[float], list[float]]:
    """Values and Counts with this sum, count, minimum and maximum."""
    if count <= 1:
        return [total], [1.0]
    if count == 2:
        return [low, high], [1.0, 1.0]
    return [low, high, (total - low - high) / (count - 2)], [1.0, 1.0, count - 2]


def _put_bucket(function: Function, figures: dict[str, float], *, at: dt.datetime, now: dt.datetime) -> None:
    from services.cloudwatch.public import metric_put

    def put(name: str, unit: str, **datum: Any) -> None:
        metric_put(sandbox=function.sandbox, region=function.region, namespace=NAMESPACE, name=name, unit=unit,
                   dimensions={"FunctionName": function.name}, timestamp=at, now=now, **datum)  # fmt: skip

    invocations = figures.get("inv", 0.0)
    if invocations:
        errors = figures.get("err", 0.0)
        put("Invocations", "Count", values=[1.0], counts=[invocations])
        pairs = [(value, count) for value, count in ((1.0, errors), (0.0, invocations - errors)) if count > 0]
        put("Errors", "Count", values=[v for v, _ in pairs], counts=[c for _, c in pairs])
    if figures.get("dn"):
        values, counts = _spread(figures["dsum"], figures["dn"], figures["dmin"], figures["dmax"])
        put("Duration", "Milliseconds", values=values, counts=counts)
    if "cmax" in figures:
        put("ConcurrentExecutions", "Count", value=figures["cmax"])
    if figures.get("thr"):
        put("Throttles", "Count", values=[1.0], counts=[figures["thr"]])
    if figures.get("dle"):
        put("DeadLetterErrors", "Count", values=[1.0], counts=[figures["dle"]])
    if figures.get("an"):
        values, counts = _spread(figures["asum"], figures["an"], figures["amin"], figures["amax"])
        put("IteratorAge", "Milliseconds", values=values, counts=counts)


def flush_due(sandbox_id: int, now: dt.datetime) -> None:
    """Put the finished minutes of every function whose metrics are due."""
    current = _minute(now)
    for function in Function.objects.filter(sandbox_id=sandbox_id, metrics_due_at__lte=now).select_related("sandbox"):
        if not Function.objects.filter(pk=function.pk, metrics_due_at=function.metrics_due_at).update(
            metrics_due_at=None
        ):
            continue  # another worker flushes it
        _flush(function, current=current, now=now)


def _flush(function: Function, *, current: int, now: dt.datetime) -> None:
    client = redisconn.client()
    _, minutes_key = _keys(function, 0)
    try:
        minutes = sorted(int(m) for m in client.smembers(minutes_key))  # type: ignore[union-attr]
    except Exception:
        LOG.warning("Lambda metrics not flushed: Redis unreachable", exc_info=True)
        return
    later = [minute for minute in minutes if minute >= current]
    for minute in (minute for minute in minutes if minute < current):
        bucket, _ = _keys(function, minute)
        pipe = client.pipeline(transaction=True)
        pipe.hgetall(bucket)
        pipe.delete(bucket)
        pipe.srem(minutes_key, minute)
        raw = pipe.execute()[0]
        figures = {key.decode(): float(value) for key, value in raw.items()}
        if figures:
            _put_bucket(function, figures, at=dt.datetime.fromtimestamp(minute, tz=dt.UTC), now=now)
    if later:
        due = dt.datetime.fromtimestamp(min(later) + 60, tz=dt.UTC)
        Function.objects.filter(pk=function.pk, metrics_due_at__isnull=True).update(metrics_due_at=due)
