"""Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer,
ListStreamConsumers, DeregisterStreamConsumer. A consumer is CREATING for SETTLE_SECONDS of
sandbox time, then ACTIVE; deregistered, it is DELETING as long, then gone. At most 20 a stream,
and 5 CREATING at once in an account.
(SubscribeToShard, which reads through a consumer: subscriptions.py.)"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playground.sandboxes.models import Sandbox
from services.kinesis import streams
from services.kinesis.exceptions import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from services.kinesis.models import Consumer, Stream

SETTLE_SECONDS = 5
MAX_PER_STREAM = 20
MAX_CREATING = 5  # consumers CREATING at once in an account (RegisterStreamConsumer's API reference)
CONSUMER_ARN = re.compile(r"(arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream/[^/]+)/consumer/([a-zA-Z0-9_.-]+):(\d+)")


def status_of(consumer: Consumer, *, now: dt.datetime) -> str:
    if consumer.deleting:
        return "DELETING"
    return "ACTIVE" if consumer.settles_at is None or consumer.settles_at <= now else "CREATING"


def _gone(consumer: Consumer, *, now: dt.datetime) -> bool:
    return consumer.deleting and consumer.settles_at is not None and consumer.settles_at <= now


def live(stream: Stream, *, now: dt.datetime) -> list[Consumer]:
    return [consumer for consumer in stream.consumers.all() if not _gone(consumer, now=now)]


def _stream(sandbox: Sandbox, region: str, arn: str, now: dt.datetime) -> Stream:
    return streams.find(sandbox=sandbox, region=region, name=None, arn=arn, now=now)


def register(*, sandbox: Sandbox, region: str, stream_arn: str, name: str, now: dt.datetime) -> Consumer:
    stream = _stream(sandbox, region, stream_arn, now)
    present = live(stream, now=now)
    if any(consumer.name == name for consumer in present):
        raise ResourceInUseException(
            f"Consumer {name} under stream {stream.name} under account {sandbox.account_id} already exists."
        )
    if len(present) >= MAX_PER_STREAM:
        raise LimitExceededException(
            f"Stream {stream.name} under account {sandbox.account_id} already has {MAX_PER_STREAM} consumers, "
            "the most a stream can have."
        )
    creating = Consumer.objects.filter(sandbox=sandbox, deleting=False, settles_at__gt=now).count()
    if creating >= MAX_CREATING:
        raise LimitExceededException(
            f"Account {sandbox.account_id} already has {MAX_CREATING} consumers in CREATING status; register "
            "another once one of them is ACTIVE."
        )
    stream.consumers.filter(name=name).delete()  # one whose DELETING time has passed
    return Consumer.objects.create(
        sandbox=sandbox, stream=stream, name=name, created_at=now, settles_at=now + dt.timedelta(seconds=SETTLE_SECONDS)
    )


def find(
    *, sandbox: Sandbox, region: str, stream_arn: str | None, name: str | None, consumer_arn: str | None,
    now: dt.datetime,
) -> Consumer:  # fmt: skip
    if consumer_arn:
        match = CONSUMER_ARN.fullmatch(consumer_arn)
        if match is None:
            raise InvalidArgumentException(f"Invalid ConsumerARN {consumer_arn}.")
        stream_arn, name, created = match[1], match[2], int(match[3])
    elif not (stream_arn and name):
        raise InvalidArgumentException("Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
    else:
        created = None
    stream = _stream(sandbox, region, stream_arn, now)
    consumer = stream.consumers.filter(name=name).first()
    if (
        consumer is None
        or _gone(consumer, now=now)
        or (created is not None and int(consumer.created_at.timestamp()) != created)
    ):
        raise ResourceNotFoundException(
            f"Consumer {name} under stream {stream.name} under account {sandbox.account_id} not found."
        )
    return consumer


def description(consumer: Consumer, *, now: dt.datetime, with_stream: bool) -> dict[str, Any]:
    output: dict[str, Any] = {
        "ConsumerName": consumer.name,
        "ConsumerARN": consumer.arn,
        "ConsumerStatus": status_of(consumer, now=now),
        "ConsumerCreationTimestamp": consumer.created_at,
    }
    if with_stream:
        output["StreamARN"] = consumer.stream.arn
    return output


def deregister(consumer: Consumer, *, now: dt.datetime) -> None:
    if consumer.deleting:
        return
    consumer.deleting = True
    consumer.settles_at = now + dt.timedelta(seconds=SETTLE_SECONDS)
    consumer.save(update_fields=["deleting", "settles_at"])


def listing(
    *, sandbox: Sandbox, region: str, stream_arn: str, max_results: int | None, next_token: str | None,
    now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    stream = _stream(sandbox, region, stream_arn, now)
    present = live(stream, now=now)
    start = 0
    if next_token is not None:
        if not next_token.isdigit():
            raise InvalidArgumentException(f"Invalid NextToken {next_token}.")
        start = int(next_token)
    page = present[start : start + (max_results or 100)]
    output: dict[str, Any] = {"Consumers": [description(c, now=now, with_stream=False) for c in page]}
    if start + len(page) < len(present):
        output["NextToken"] = str(start + len(page))
    return output


def settle_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: DELETING consumers whose time came are removed; CREATING ones become ACTIVE."""
    Consumer.objects.filter(sandbox=sandbox, deleting=True, settles_at__lte=now).delete()
    Consumer.objects.filter(sandbox=sandbox, deleting=False, settles_at__lte=now).update(settles_at=None)
