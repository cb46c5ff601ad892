"""SubscribeToShard: enhanced fan-out's push reads, sent as AWS's event stream.

The call checks everything first (the consumer is ACTIVE, the shard exists, the starting position
is valid, no subscription of this consumer to this shard began in the last 5 s of sandbox time:
ResourceInUseException as AWS documents) and returns an iterator of SubscribeToShardEvents that
the gateway streams (playground/gateway/protocols/eventstream.py). The iterator sends one event at
once (the records already there, possibly none), then one each time records arrive: it waits on
the stream's wake-up channel, which PutRecord and PutRecords notify once they commit, as SQS long
polling does (playground/live/wakeup.py), re-reading the sandbox clock at least every
CLOCK_SLICE seconds so an advanced clock is seen. The subscription ends when SUBSCRIPTION_SECONDS
(5 minutes) of sandbox time have passed since it began, or at the end of a closed shard (an event
with ChildShards and no ContinuationSequenceNumber). A later call for the same consumer and shard
(5 s or more after) takes the subscription over: the earlier stream ends with a
ResourceInUseException event; a consumer, shard or stream deleted ends it with
ResourceNotFoundException.

A consumer reads at most READ_BYTES_PER_SECOND (2 MiB) a sandbox second from each shard, apart
from the shared GetRecords limits; records past that wait for the next sandbox second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from playground.live import wakeup
from playground.sandboxes.models import Clock, Sandbox
from services.kinesis import consumers, encryption, events, reading, sequences, shards, streams
from services.kinesis.exceptions import ResourceInUseException, ResourceNotFoundException
from services.kinesis.models import Consumer, ConsumerPosition, Record, Shard

SUBSCRIPTION_SECONDS = 300
RESUBSCRIBE_SECONDS = 5
READ_BYTES_PER_SECOND = 2 * 1024 * 1024
MAX_RECORDS = 10_000
CLOCK_SLICE = 0.5  # wall seconds between re-reads of the sandbox clock while waiting


def wake_channel(stream_pk: int) -> str:
    return f"kinesis:stream:{stream_pk}"


def subscribe(
    *, sandbox: Sandbox, region: str, consumer_arn: str, shard_id: str, starting: dict[str, Any], now: dt.datetime
) -> Iterator[dict[str, Any]]:
    with transaction.atomic():
        consumer = consumers.find(
            sandbox=sandbox, region=region, stream_arn=None, name=None, consumer_arn=consumer_arn, now=now
        )
        consumer = Consumer.objects.select_for_update().select_related("stream").get(pk=consumer.pk)
        stream = consumer.stream
        stream.sandbox = sandbox
        if consumers.status_of(consumer, now=now) != "ACTIVE":
            raise ResourceInUseException(
                f"Consumer {consumer.arn} is not in ACTIVE state. Current state is "
                f"{consumers.status_of(consumer, now=now)}."
            )
        shard = shards.find_shard(stream, shard_id, now=now)
        encryption.check_stream_key(stream, now=now)
        position = reading.start_position(
            stream, shard, kind=starting["Type"], sequence_number=starting.get("SequenceNumber"),
            timestamp=starting.get("Timestamp"), operation="SubscribeToShard",
        )  # fmt: skip
        now_ms = int(now.timestamp() * 1000)
        last = consumer.subscribed.get(shard.shard_id)
        if last is not None and 0 <= now_ms - last < RESUBSCRIBE_SECONDS * 1000:
            raise ResourceInUseException(
                f"Another active subscription exists for consumer {consumer.arn} and shard {shard.shard_id}. "
                f"Subscribe again {RESUBSCRIBE_SECONDS} seconds after the previous call."
            )
        consumer.subscribed = {**consumer.subscribed, shard.shard_id: now_ms}
        consumer.save(update_fields=["subscribed"])
        wakeup.notify(wake_channel(stream.pk))  # a subscription this one takes over ends
    return _events(
        sandbox=sandbox, consumer_pk=consumer.pk, shard_pk=shard.pk, position=position, began_ms=now_ms,
        ends=now + dt.timedelta(seconds=SUBSCRIPTION_SECONDS),
    )  # fmt: skip


def _events(
    *, sandbox: Sandbox, consumer_pk: int, shard_pk: int, position: int, began_ms: int, ends: dt.datetime
) -> Iterator[dict[str, Any]]:
    second, spent = -1, 0
    sent = False
    shard = Shard.objects.select_related("stream").get(pk=shard_pk)
    with wakeup.listen(wake_channel(shard.stream_id)) as waiter:
        while True:
            clock = Clock.current(sandbox.pk)
            now = clock.now()
            if now >= ends:
                return
            found = Shard.objects.select_related("stream").filter(pk=shard_pk).first()
            consumer = Consumer.objects.filter(pk=consumer_pk).first()
            if (
                found is None
                or streams.is_gone(found.stream, now=now)
                or consumer is None
                or consumers.status_of(consumer, now=now) != "ACTIVE"
            ):
                raise ResourceNotFoundException(
                    f"Shard {shard.shard_id} or its consumer under account {sandbox.account_id} no longer exists."
                )
            if consumer.subscribed.get(shard.shard_id) != began_ms:
                # AWS: a call 5 seconds or more after this one took the subscription over.
                raise ResourceInUseException(
                    f"Another subscription of consumer {consumer.arn} to shard {shard.shard_id} took over this one."
                )
            shard = found
            shard.stream.sandbox = sandbox
            encryption.check_stream_key(shard.stream, now=now)
            if int(now.timestamp()) != second:
                second, spent = int(now.timestamp()), 0
            taken, following, size = _read(shard, position=position, allowance=READ_BYTES_PER_SECOND - spent, now=now)
            spent += size
            position = taken[-1][0] if taken else max(position, reading.trimmed_before(shard, now=now))
            at_end = shard.ending_counter is not None and position >= shard.ending_counter
            if taken or not sent or at_end:
                sent = True
                _record_position(sandbox, consumer=consumer, shard=shard, position=position, now=now)
                if taken:
                    events.records_read(
                        sandbox, stream=shard.stream, shard=shard, count=len(taken), size=size, now=now,
                        consumer=consumer.name,
                    )  # fmt: skip
                yield {"SubscribeToShardEvent": _event(shard, taken, following, position, at_end, now=now)}
            if at_end:
                return
            if following is not None and len(taken) == MAX_RECORDS:
                continue  # a full event: the next one at once
            if following is not None:
                # The next record passes this second's 2 MiB: wait for the next sandbox second.
                wait = _wall_seconds(clock, dt.datetime.fromtimestamp(second + 1, tz=dt.UTC) - now)
            else:
                wait = _wall_seconds(clock, ends - now)
            waiter.wait(min(wait, CLOCK_SLICE))


def _record_position(sandbox: Sandbox, *, consumer: Consumer, shard: Shard, position: int, now: dt.datetime) -> None:
    """Keep how far the consumer has read the shard (the lanes' marker), once per event sent."""
    ConsumerPosition.objects.update_or_create(
        consumer=consumer, shard=shard, defaults={"sandbox": sandbox, "counter": position, "updated_at": now}
    )


def _wall_seconds(clock: Clock, span: dt.timedelta) -> float:
    if clock.paused:
        return float("inf")
    return max(0.0, span.total_seconds() / clock.speed)


def _read(
    shard: Shard, *, position: int, allowance: int, now: dt.datetime
) -> tuple[list[reading.Row], reading.Row | None, int]:
    """The records after `position` that fit in `allowance` bytes, the first one that did not, and their size."""
    rows = (
        Record.objects.filter(shard=shard, counter__gt=position, expires_at__gt=now)
        .order_by("counter")
        .values_list("counter", "partition_key", "data", "size", "arrived_at")
    )
    taken: list[reading.Row] = []
    size = 0
    for row in rows[: MAX_RECORDS + 1]:
        if len(taken) == MAX_RECORDS or size + row[3] > allowance:
            return taken, row, size
        taken.append(row)
        size += row[3]
    return taken, None, size


def _event(
    shard: Shard,
    taken: list[reading.Row],
    following: reading.Row | None,
    position: int,
    at_end: bool,
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    stream = shard.stream
    event: dict[str, Any] = {
        "Records": reading.records_output(stream, shard, taken),
        "MillisBehindLatest": 0 if following is None else max(int((now - following[4]).total_seconds() * 1000), 0),
    }
    if at_end:
        event["ChildShards"] = reading.child_shards(shard)
    else:
        event["ContinuationSequenceNumber"] = sequences.sequence_number(shard.number, position)
    return event
