"""The Lambda part of a sandbox's diagram: one node per function (state, runtime, memory,
timeout, invocations and errors in the last minute of sandbox time, whether the last one was a
cold start), edges from the SQS queues and Kinesis streams mapped to it and to its destinations
and dead-letter queue. (SNS draws its topics' `lambda` subscriptions.) describe(arn) adds the configuration, the code
(the package's Python files), the resource policy, the mappings and the recent invocations with
their log lines."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from playground.sandboxes.models import Sandbox
from services.awslambda import functions, logs, mappings
from services.awslambda.models import EventSourceMapping, Function, Invocation

RATE_WINDOW = dt.timedelta(seconds=60)
SHOWN_FILE_BYTES = 20_000


def _node(function: Function, *, now: dt.datetime) -> dict[str, Any]:
    state, update_status = functions.state_of(function, now=now)
    recent = Invocation.objects.filter(function=function, at__gt=now - RATE_WINDOW)
    last = Invocation.objects.filter(function=function).order_by("-id").first()
    return {
        "id": function.arn,
        "service": "awslambda",
        "type": "function",
        "name": function.name,
        "region": function.region,
        "state": state,
        "last_update_status": update_status,
        "runtime": function.runtime,
        "handler": function.handler,
        "memory_size": function.memory_size,
        "timeout": function.timeout,
        "invocations_last_minute": recent.count(),
        "errors_last_minute": recent.exclude(error_type="").count(),
        "last_start": ("cold" if last.init_ms is not None else "warm") if last else "",
    }


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = Function.objects.filter(sandbox=sandbox).select_related("sandbox").order_by("region", "name")
    listed = list(rows.filter(region=region) if region else rows)
    edges: list[dict[str, Any]] = []
    for mapping in EventSourceMapping.objects.filter(function__in=listed).select_related("function", "sandbox"):
        edges.append({
            "source": mapping.source_arn, "target": mapping.function.arn, "type": "event-source",
            "label": f"batch {mapping.batch_size}", "uuid": mapping.uuid, "batch_size": mapping.batch_size,
            "state": mappings.state_of(mapping, now=now),
        })  # fmt: skip
    for function in listed:
        for target, kind in ((function.on_success, "on-success"), (function.on_failure, "on-failure"),
                             (function.dead_letter_arn, "dead-letter")):  # fmt: skip
            if target:
                edges.append({"source": function.arn, "target": target, "type": kind, "label": kind})
    return {"nodes": [_node(function, now=now) for function in listed], "edges": edges}


def code_files(code: bytes) -> list[dict[str, Any]]:
    """The package's files; the text of its .py files (the first 20 KB of each)."""
    files: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            for member in archive.infolist()[:200]:
                if member.is_dir():
                    continue
                entry: dict[str, Any] = {"name": member.filename, "size": member.file_size}
                if member.filename.endswith((".py", ".txt", ".json")) and len(files) < 20:
                    with archive.open(member) as source:
                        entry["text"] = source.read(SHOWN_FILE_BYTES).decode("utf-8", "replace")
                files.append(entry)
    except zipfile.BadZipFile:
        pass
    return files


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    function = functions.by_arn(sandbox=sandbox, arn=arn)
    if function is None:
        return None
    configuration = functions.configuration(function, now=now)
    invocations = [
        {
            "request_id": row.request_id,
            "type": row.kind,
            "source": row.source,
            "at": row.at.isoformat(),
            "duration_ms": round(row.duration_ms, 2),
            "cold": row.init_ms is not None,
            "init_ms": round(row.init_ms, 2) if row.init_ms is not None else None,
            "error_type": row.error_type,
            "event": row.event,
            "result": row.result,
            "log": row.log,
        }
        for row in logs.recent(function)
    ]
    return {
        "attributes": configuration,
        "tags": dict(function.tags),
        "policy": function.policy,
        "code": code_files(bytes(function.code)),
        "mappings": [
            {
                **mappings.description(mapping, now=now),
                "LastModified": mapping.last_modified.isoformat(),
                "LastProcessingResult": mapping.last_result,
                **(
                    {"StartingPositionTimestamp": mapping.starting_timestamp.isoformat()}
                    if mapping.starting_timestamp is not None
                    else {}
                ),
            }
            for mapping in EventSourceMapping.objects.filter(function=function).select_related("function", "sandbox")
        ],
        "invocations": invocations,
        "node": _node(function, now=now),
    }
