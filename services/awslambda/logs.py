"""Where a function's log lines go: START, the handler's output, END and REPORT, one invocation at a
time. They go to CloudWatch Logs through its public door (group /aws/lambda/<name>, one event a
line, in a stream named as AWS names it), and the last ones are also kept on the Invocation row
(the GUI shows them, LogType Tail returns their end)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from django.db.models import Subquery

from services.awslambda.models import Function, Invocation

KEPT_PER_FUNCTION = 50
PREVIEW = 4096
LINE_CHARS = 64 * 1024  # a longer output line is cut, so an event stays under Logs' 1 MiB in UTF-8


def group_name(function: Function) -> str:
    return f"/aws/lambda/{function.name}"


def stream_name(function: Function, at: dt.datetime) -> str:
    """YYYY/MM/DD/[$LATEST]<32 hex>, as AWS names an execution environment's stream: here one
    stream a day for each code of the function (AWS: one per environment)."""
    digest = hashlib.md5(f"{function.pk}:{function.code_sha256}:{at:%Y%m%d}".encode(), usedforsecurity=False)
    return f"{at:%Y/%m/%d}/[$LATEST]{digest.hexdigest()}"


def lines(*, request_id: str, output: str, duration_ms: float, memory_mb: int, max_memory_mb: int,
          init_ms: float | None) -> str:  # fmt: skip
    """The invocation's log as the Lambda runtime writes it."""
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, math.ceil(duration_ms + (init_ms or 0)))} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {max(1, min(max_memory_mb, memory_mb))} MB\t"
    )
    if init_ms is not None:
        report += f"Init Duration: {init_ms:.2f} ms\t"
    if output and not output.endswith("\n"):
        output += "\n"
    return f"START RequestId: {request_id} Version: $LATEST\n{output}END RequestId: {request_id}\n{report}\n"


def write(
    *,
    function: Function,
    request_id: str,
    kind: str,
    source: str,
    at: dt.datetime,
    log: str,
    event: bytes,
    result: bytes,
    duration_ms: float,
    init_ms: float | None,
    error_type: str,
) -> Invocation:
    invocation = Invocation.objects.create(
        sandbox=function.sandbox, function=function, request_id=request_id, kind=kind, source=source, at=at,
        duration_ms=duration_ms, init_ms=init_ms, error_type=error_type,
        event=event[:PREVIEW].decode("utf-8", "replace"), result=result[:PREVIEW].decode("utf-8", "replace"),
        log=log[-256 * 1024 :],
    )  # fmt: skip
    _to_cloudwatch(function=function, at=at, log=log)
    # The rows older than the newest KEPT_PER_FUNCTION go, in one statement (nothing while fewer).
    oldest_kept = (
        Invocation.objects.filter(function=function)
        .order_by("-id")
        .values("id")[KEPT_PER_FUNCTION - 1 : KEPT_PER_FUNCTION]
    )
    Invocation.objects.filter(function=function, id__lt=Subquery(oldest_kept)).delete()
    return invocation


def _to_cloudwatch(*, function: Function, at: dt.datetime, log: str) -> None:
    from services.logs.public import LogsError, events_write  # here: Logs' door reaches back to Lambda's

    stamp = int(at.timestamp() * 1000)
    events = [(stamp, line[:LINE_CHARS]) for line in log.splitlines() if line.strip()]
    if not events:
        return
    try:
        events_write(
            sandbox=function.sandbox, region=function.region, group_name=group_name(function),
            stream_name=stream_name(function, at), events=events, now=at, writer_arn=function.arn,
        )  # fmt: skip
    except LogsError:
        return  # the invocation stands even when Logs refuses its lines (the row keeps them)


def recent(function: Function, *, limit: int = 20) -> list[Invocation]:
    return list(Invocation.objects.filter(function=function).order_by("-id")[:limit])
