"""Lambda's time-based work on each sandbox's clock: functions leaving Pending (and updates
finishing), Event invocations due (first tries and retries), each finished minute's metrics put
into CloudWatch, and event source mappings polling their queues and streams."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.awslambda import functions, invoking, mappings, metrics
from services.awslambda.models import AsyncInvocation, EventSourceMapping, Function


@due_work("awslambda.function-state", rows=Function.objects.all, at="settles_at")
def settle_functions(sandbox: Sandbox, now: dt.datetime) -> None:
    functions.settle_due(sandbox, now)


@due_work("awslambda.async", rows=AsyncInvocation.objects.all, at="due_at")
def run_queued(sandbox: Sandbox, now: dt.datetime) -> None:
    invoking.run_due(sandbox, now)


@due_work("awslambda.metrics", rows=Function.objects.all, at="metrics_due_at")
def flush_metrics(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.flush_due(sandbox.pk, now)


@due_work("awslambda.sqs-poll", rows=EventSourceMapping.objects.all, at="poll_at")
def poll_queues(sandbox: Sandbox, now: dt.datetime) -> None:
    mappings.poll_due(sandbox, now)


from services.awslambda import subscriptions  # noqa: E402,F401 - registers SNS's `lambda` deliverer on import
