"""Kinesis Data Streams state: streams, their shards (open and closed, with their lineage) and the
records each shard holds for the retention period.

A record's sequence number is not stored: it is the shard's number and the record's counter in the
shard (sequences.py), so that sequence numbers increase per shard and name their shard.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

CREATING = "CREATING"
ACTIVE = "ACTIVE"
UPDATING = "UPDATING"
DELETING = "DELETING"

PROVISIONED = "PROVISIONED"
ON_DEMAND = "ON_DEMAND"


class Stream(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="kinesis_streams")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=128)
    mode = models.CharField(max_length=16, default=PROVISIONED)
    # The status as last set; `settles_at` (sandbox clock) is when CREATING or UPDATING ends, or a
    # DELETING stream is gone. Requests read the status through streams.status_of(stream, now);
    # the tick settles rows that are due and publishes the change.
    status = models.CharField(max_length=16, default=CREATING)
    settles_at = models.DateTimeField(null=True, blank=True)
    retention_hours = models.PositiveIntegerField(default=24)
    created_at = models.DateTimeField()
    next_shard_number = models.PositiveIntegerField(default=0)
    encryption_type = models.CharField(max_length=8, default="NONE")
    key_id = models.CharField(max_length=2048, blank=True, default="")
    shard_level_metrics = models.JSONField(default=list)
    tags = models.JSONField(default=dict)
    # UpdateShardCount calls in the last 24 hours (sandbox clock), as ISO timestamps.
    scaling_calls = models.JSONField(default=list)
    mode_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="kinesis_stream_unique_name")]
        indexes = [models.Index(fields=["sandbox", "settles_at"], name="kinesis_stream_settle_due")]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.sandbox.account_id}:stream/{self.name}"


class Shard(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="shards")
    number = models.PositiveIntegerField()  # shardId-000000000007 is number 7
    # Hash keys are 128-bit integers: stored as decimal strings, compared as Python ints.
    starting_hash_key = models.CharField(max_length=40)
    ending_hash_key = models.CharField(max_length=40)
    parents = models.JSONField(default=list)  # the shard ids it was split or merged from
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # A closed shard is removed once its records are past retention (sandbox clock), by the tick.
    expires_at = models.DateTimeField(null=True, blank=True)
    last_counter = models.BigIntegerField(default=0)  # the counter of the newest record put
    ending_counter = models.BigIntegerField(null=True, blank=True)  # set when the shard closes
    # Write and read throughput in the current second of the sandbox clock (throughput.py).
    write_second = models.BigIntegerField(default=0)
    write_bytes = models.BigIntegerField(default=0)
    write_records = models.PositiveIntegerField(default=0)
    read_second = models.BigIntegerField(default=0)
    read_calls = models.PositiveIntegerField(default=0)
    read_bytes = models.BigIntegerField(default=0)  # carried over seconds until 2 MiB/s repays it
    iterator_second = models.BigIntegerField(default=0)  # GetShardIterator calls in that second
    iterator_calls = models.PositiveIntegerField(default=0)
    # The position (counter) the last GetRecords on this shard read up to, and when (sandbox
    # clock): the diagram's "readers" marker. Saved with the read counters, no extra query.
    read_position = models.BigIntegerField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stream", "number"]
        constraints = [models.UniqueConstraint(fields=["stream", "number"], name="kinesis_shard_unique_number")]
        indexes = [models.Index(fields=["sandbox", "expires_at"], name="kinesis_shard_expiry_due")]

    def __str__(self) -> str:
        return self.shard_id

    @property
    def shard_id(self) -> str:
        return f"shardId-{self.number:012d}"

    @property
    def start(self) -> int:
        return int(self.starting_hash_key)

    @property
    def end(self) -> int:
        return int(self.ending_hash_key)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Record(models.Model):
    # No index of their own on the two keys: PutRecords inserts 500 rows a call, and every index is
    # written per row. Lookups by sandbox use the expiry index (its first column), by shard the
    # unique (shard, counter) one.
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+", db_index=False)
    shard = models.ForeignKey(Shard, on_delete=models.CASCADE, related_name="records", db_index=False)
    counter = models.BigIntegerField()
    partition_key = models.CharField(max_length=256)
    data = models.BinaryField()
    size = models.PositiveIntegerField()  # data + partition key, what the limits count
    arrived_at = models.DateTimeField()
    expires_at = models.DateTimeField()  # arrival + the stream's retention when it arrived

    class Meta:
        ordering = ["shard", "counter"]
        constraints = [models.UniqueConstraint(fields=["shard", "counter"], name="kinesis_record_unique_counter")]
        indexes = [models.Index(fields=["sandbox", "expires_at"], name="kinesis_record_expiry_due")]

    def __str__(self) -> str:
        return f"{self.shard}/{self.counter}"


class RateWindow(models.Model):
    """Control-plane calls of one kind (an operation, per account) in the current second of the
    sandbox clock, for AWS's per-operation rate limits (throughput.call_allowed)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)  # the operation, and region/stream name for a per-stream rate
    second = models.BigIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "key"], name="kinesis_rate_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}@{self.second}: {self.calls}"


class Consumer(models.Model):
    """An enhanced fan-out consumer registered on a stream. CREATING until `settles_at`, then
    ACTIVE; DELETING until `settles_at`, then removed by the tick (consumers.py)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="consumers")
    name = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    deleting = models.BooleanField(default=False)
    settles_at = models.DateTimeField(null=True, blank=True)
    # SubscribeToShard: shard id -> when (epoch ms of sandbox time) the last subscription began
    subscribed = models.JSONField(default=dict)

    class Meta:
        ordering = ["stream", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["stream", "name"], name="kinesis_consumer_unique_name")]
        indexes = [models.Index(fields=["sandbox", "settles_at"], name="kinesis_consumer_settle_due")]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"{self.stream.arn}/consumer/{self.name}:{int(self.created_at.timestamp())}"


class ConsumerPosition(models.Model):
    """How far an enhanced fan-out consumer has read a shard through SubscribeToShard: the counter
    of the last record sent to it (or the position it started at), for the diagram's lanes."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="positions")
    shard = models.ForeignKey(Shard, on_delete=models.CASCADE, related_name="consumer_positions")
    counter = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer", "shard"], name="kinesis_position_unique")]

    def __str__(self) -> str:
        return f"{self.consumer_id}@{self.shard_id}: {self.counter}"


class MetricSample(models.Model):
    """One call's AWS/Kinesis metric samples (stream-level under "", shard-level under the shard
    id), kept until the minute of sandbox time they fall in is over and published to CloudWatch,
    summed per metric (metrics.py). An insert per call, with nothing to read or lock first. The
    stream is named, not referenced, so a deleted stream's last minute is still published."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    stream_name = models.CharField(max_length=128)
    minute = models.DateTimeField()
    due_at = models.DateTimeField()
    samples = models.JSONField(default=dict)  # {"" or shard id: {metric: value}}

    class Meta:
        indexes = [models.Index(fields=["sandbox", "due_at"], name="kinesis_metric_due")]

    def __str__(self) -> str:
        return f"{self.stream_name}@{self.minute:%Y-%m-%dT%H:%M}"
