"""Subscription filters' deliveries: matching events wait (PendingDelivery) until their batch is
due, DELIVERY_DELAY of sandbox time after they arrived; the tick then sends one message per
subscription and log stream, as AWS sends them: gzip of the JSON document

    {"messageType": "DATA_MESSAGE", "owner": account, "logGroup": name, "logStream": name,
     "subscriptionFilters": [filter name], "logEvents": [{"id", "timestamp", "message"
     (, "extractedFields" for space-delimited patterns)}]}

(Kinesis and Firehose carry the gzip bytes as the record's data, which their APIs show
base64-encoded; Lambda gets {"awslogs": {"data": base64 of them}}). A new Kinesis or Firehose
subscription first receives a CONTROL_MESSAGE, AWS's check that the destination is reachable.

The destinations, each through its public door:
    Kinesis   services.kinesis.public.records_put, the partition key being the log stream's name
              for ByLogStream, random for Random
    Firehose  services.firehose.public.records_put
    Lambda    services.awslambda.public.invoke_as_service (asynchronous), allowed by the
              function's policy for logs.amazonaws.com and the group's ARN
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction

from playground.gateway.errors import AwsError, NotEmulated
from playground.sandboxes.models import Sandbox
from services.kinesis.public import records_put

from . import events
from .exceptions import InvalidParameterException
from .models import LogGroup, PendingDelivery, SubscriptionFilter
from .patterns import compile_pattern

if TYPE_CHECKING:
    from .ingest import Stored

DELIVERY_DELAY = dt.timedelta(seconds=1)
MAX_BATCH_BYTES = 900_000  # a batch stays under a Kinesis record's 1 MiB once gzipped


def destination_kind(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 and parts[0] == "arn" else ""


def payload(
    *,
    owner: str,
    group: str,
    stream: str,
    filters: list[str],
    log_events: list[dict[str, Any]],
    message_type: str = "DATA_MESSAGE",
) -> bytes:
    document = {
        "messageType": message_type,
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": filters,
        "logEvents": log_events,
    }
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode())


LOGS_PRINCIPAL = "logs.amazonaws.com"
REFUSED = {
    "kinesis": "Could not deliver test message to specified Kinesis stream. Verify the stream exists and "
    "the role has permissions.",
    "firehose": "Could not deliver test message to specified Firehose stream. Verify the stream exists and "
    "the role has permissions.",
}


def _send(subscription: SubscriptionFilter, *, data: bytes, partition_key: str, now: dt.datetime) -> None:
    """Send one gzip message to the destination; raises AwsError when it is not taken."""
    arn = subscription.destination_arn
    region = arn.split(":")[3]
    kind = destination_kind(arn)
    if kind == "lambda":
        from services.awslambda.public import invoke_as_service

        group = subscription.group
        invoke_as_service(
            sandbox=subscription.sandbox, function_arn=arn, service_principal=LOGS_PRINCIPAL,
            source_arn=f"arn:aws:logs:{group.region}:{subscription.sandbox.account_id}:log-group:{group.name}:*",
            payload={"awslogs": {"data": base64.b64encode(data).decode()}}, now=now, kind="CloudWatch Logs",
        )  # fmt: skip
        return
    if kind == "firehose":
        from services.firehose.public import records_put as firehose_put

        [record_id] = firehose_put(sandbox=subscription.sandbox, region=region, delivery_stream=arn, records=[data],
                                   now=now)  # fmt: skip
        if record_id is None:
            raise AwsError("Slow down.", code="ServiceUnavailableException", status=503)
        return
    output = records_put(
        sandbox=subscription.sandbox, region=region, stream_arn=arn, records_in=[(data, partition_key)], now=now
    )
    if output["FailedRecordCount"]:
        failed = output["Records"][0]
        raise AwsError(failed.get("ErrorMessage", ""), code=failed.get("ErrorCode"))


def check_destination(subscription: SubscriptionFilter, *, now: dt.datetime) -> None:
    """AWS's health check of a new subscription's destination: a CONTROL_MESSAGE it must accept."""
    kind = destination_kind(subscription.destination_arn)
    if kind == "logs":
        raise NotEmulated("Subscription filters delivering to logs destinations are not emulated yet.")
    if kind == "lambda":
        from services.awslambda.public import function_exists

        if not function_exists(sandbox=subscription.sandbox, function_arn=subscription.destination_arn):
            raise InvalidParameterException(
                "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to "
                "execute your function."
            )
        return
    if kind not in REFUSED:
        raise InvalidParameterException("Invalid destination ARN.")
    data = payload(
        owner="CloudwatchLogs",
        group="",
        stream="",
        filters=[],
        message_type="CONTROL_MESSAGE",
        log_events=[
            {
                "id": "",
                "timestamp": int(now.timestamp() * 1000),
                "message": "CWL CONTROL MESSAGE: Checking health of destination "
                + ("Kinesis stream." if kind == "kinesis" else "Firehose stream."),
            }
        ],
    )
    try:
        _send(subscription, data=data, partition_key=str(uuid.uuid4()), now=now)
    except AwsError:
        raise InvalidParameterException(REFUSED[kind]) from None


def enqueue(
    group: LogGroup,
    stored: list[Stored],
    *,
    now: dt.datetime,
    subscriptions: list[SubscriptionFilter] | None = None,
) -> None:
    """Hold each subscription's matching events for its next batch (`subscriptions`: the group's,
    when the caller has read them already)."""
    due = now + DELIVERY_DELAY
    rows: list[PendingDelivery] = []
    chosen = SubscriptionFilter.objects.filter(group=group) if subscriptions is None else subscriptions
    for subscription in chosen:
        pattern = compile_pattern(subscription.pattern)
        for event in stored:
            found = pattern.match(event.message)
            if found is None:
                continue
            message = event.message
            if pattern.kind == "delimited":
                fields = {name.removeprefix("$"): value for name, value in found.fields.items()}
                message = json.dumps({"m": event.message, "x": fields})
            rows.append(
                PendingDelivery(
                    sandbox_id=group.sandbox_id,
                    subscription=subscription,
                    stream_name=event.stream_name,
                    event_id=event.event_id,
                    timestamp=event.timestamp,
                    message=message,
                    due_at=due,
                )
            )
    PendingDelivery.objects.bulk_create(rows, batch_size=500)


def _log_event(row: PendingDelivery) -> dict[str, Any]:
    event: dict[str, Any] = {"id": row.event_id, "timestamp": row.timestamp}
    if row.message.startswith('{"m": ') and '"x": ' in row.message:
        try:
            held = json.loads(row.message)
            event["message"] = held["m"]
            event["extractedFields"] = held["x"]
            return event
        except (ValueError, KeyError):
            pass
    event["message"] = row.message
    return event


def _batches(rows: list[PendingDelivery]) -> list[list[PendingDelivery]]:
    batches: list[list[PendingDelivery]] = [[]]
    size = 0
    for row in rows:
        cost = len(row.message.encode()) + 100
        if batches[-1] and size + cost > MAX_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(row)
        size += cost
    return batches


def deliver_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: send every batch that is due, one per subscription and log stream, in a
    transaction that claims its rows (locked and skipped by another worker on PostgreSQL, deleted
    before anything is sent), so two workers never send the same events."""
    with transaction.atomic():
        due = list(
            PendingDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sandbox=sandbox, due_at__lte=now)
            .select_related("subscription__group")
            .order_by("id")
        )
        if not due:
            return
        PendingDelivery.objects.filter(pk__in=[row.pk for row in due]).delete()
        _send_batches(sandbox, due, now=now)


def _send_batches(sandbox: Sandbox, due: list[PendingDelivery], *, now: dt.datetime) -> None:
    grouped: dict[tuple[int, str], list[PendingDelivery]] = {}
    for row in due:
        grouped.setdefault((row.subscription_id, row.stream_name), []).append(row)
    for (_, stream_name), rows in grouped.items():
        subscription = rows[0].subscription
        group = subscription.group
        for batch in _batches(rows):
            data = payload(
                owner=sandbox.account_id,
                group=group.name,
                stream=stream_name,
                filters=[subscription.name],
                log_events=[_log_event(row) for row in batch],
            )
            key = stream_name if subscription.distribution == "ByLogStream" else str(uuid.uuid4())
            try:
                _send(subscription, data=data, partition_key=key, now=now)
            except AwsError as problem:
                subscription.last_error = f"{problem.code}: {problem.message}"[:1024]
                subscription.save(update_fields=["last_error"])
                events.delivery_failed(
                    sandbox,
                    group=group,
                    filter_name=subscription.name,
                    destination=subscription.destination_arn,
                    code=problem.code,
                    reason=problem.message,
                    now=now,
                )
                continue
            subscription.delivered += 1
            subscription.last_error = ""
            subscription.save(update_fields=["delivered", "last_error"])
            events.batch_delivered(
                sandbox,
                group=group,
                filter_name=subscription.name,
                destination=subscription.destination_arn,
                count=len(batch),
                now=now,
            )
