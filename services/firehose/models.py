"""Firehose state: delivery streams with their destination's configuration, the records waiting
in a stream's buffer, and the HTTP endpoint batches waiting for a (re)try.

A stream's buffer is its BufferedBatch rows in arrival order; `buffer_bytes` and
`buffer_records` count them, and `flush_at` (sandbox clock) is when the buffer interval ends
(None while the buffer is empty). The tick flushes streams whose `flush_at` has come.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

CREATING = "CREATING"
ACTIVE = "ACTIVE"
DELETING = "DELETING"

DIRECT_PUT = "DirectPut"
KINESIS_SOURCE = "KinesisStreamAsSource"

EXTENDED_S3 = "ExtendedS3"
HTTP_ENDPOINT = "HttpEndpoint"


class DeliveryStream(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="firehose_streams")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=64)
    stream_type = models.CharField(max_length=32, default=DIRECT_PUT)
    # The status as last set; `settles_at` (sandbox clock) is when CREATING ends or a DELETING
    # stream is gone. Requests read it through streams.status_of(stream, now).
    status = models.CharField(max_length=16, default=CREATING)
    settles_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version_id = models.PositiveIntegerField(default=1)
    destination_kind = models.CharField(max_length=32)
    # The destination as DescribeDeliveryStream shows it (defaults filled in); an HTTP endpoint's
    # access key is kept apart, since Describe never shows it.
    destination = models.JSONField(default=dict)
    access_key = models.CharField(max_length=4096, blank=True, default="")
    source = models.JSONField(default=dict)
    encryption = models.JSONField(null=True, blank=True)  # {"KeyType", "KeyARN"?, "Status"}
    tags = models.JSONField(default=dict)
    buffer_bytes = models.BigIntegerField(default=0)
    buffer_records = models.PositiveIntegerField(default=0)
    flush_at = models.DateTimeField(null=True, blank=True)
    # Totals for the diagram: records put and delivered, objects written, the last delivery.
    records_in = models.BigIntegerField(default=0)
    records_out = models.BigIntegerField(default=0)
    objects_out = models.PositiveIntegerField(default=0)
    last_delivery = models.JSONField(null=True, blank=True)
    failure = models.CharField(max_length=512, blank=True, default="")
    # A Kinesis-sourced stream reads its stream when `poll_at` comes (sandbox clock); where it has
    # read up to is in source["checkpoints"] ({shard id: counter}).
    poll_at = models.DateTimeField(null=True, blank=True)
    # AWS/Firehose counts (IncomingRecords, IncomingBytes, ...) summed over the minute starting at
    # `metrics_minute`, published through CloudWatch when that minute is over (`metrics_due_at`).
    metrics_minute = models.DateTimeField(null=True, blank=True)
    metrics_pending = models.JSONField(default=dict)
    metrics_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "region", "name"], name="firehose_stream_unique_name")
        ]
        indexes = [
            models.Index(fields=["sandbox", "settles_at"], name="firehose_stream_settle_due"),
            models.Index(fields=["flush_at"], name="firehose_stream_flush_due"),
            models.Index(fields=["poll_at"], name="firehose_stream_poll_due"),
            models.Index(fields=["metrics_due_at"], name="firehose_stream_metrics_due"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:firehose:{self.region}:{self.sandbox.account_id}:deliverystream/{self.name}"

    @property
    def source_stream_arn(self) -> str:
        """The Kinesis stream a KinesisStreamAsSource delivery stream reads."""
        return str(self.source["KinesisStreamSourceDescription"]["KinesisStreamARN"])


class BufferedBatch(models.Model):
    """The records of one put waiting in a stream's buffer: their bytes one after another, and each
    record's size (one row per call rather than per record: a PutRecordBatch of 500 is one insert)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey(DeliveryStream, on_delete=models.CASCADE, related_name="buffered")
    data = models.BinaryField()
    sizes = models.JSONField(default=list)
    count = models.PositiveIntegerField()
    size = models.BigIntegerField()
    arrived_at = models.DateTimeField()
    # Dynamic partitioning: the records' partition keys as canonical JSON ({namespace: {key:
    # value}}) of the keys its Prefix uses, or `error` ("<code>\n<message>") why it has none (the
    # query failed, or the active partition quota was reached). A partition's buffer is its rows;
    # "" and "" for a stream without partitioning (or before a Lambda gives the keys).
    partition = models.TextField(blank=True, default="")
    error = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.count} record(s) of {self.stream_id}"

    def records(self) -> list[bytes]:
        data = bytes(self.data)
        out, offset = [], 0
        for size in self.sizes:
            out.append(data[offset : offset + size])
            offset += size
        return out


class HttpBatch(models.Model):
    """Records flushed to an HTTP endpoint, waiting for their next attempt (RetryOptions on the
    sandbox clock): `next_attempt_at` None while an attempt is in progress."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey(DeliveryStream, on_delete=models.CASCADE, related_name="http_batches")
    records = models.JSONField(default=list)  # [{"data": base64, "arrived": ISO time}]
    size = models.BigIntegerField(default=0)
    first_attempt_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"batch {self.pk} of {self.stream_id}"
