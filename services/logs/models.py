"""CloudWatch Logs state: log groups, their streams and events, metric filters (and the datapoints
they emitted, until CloudWatch metrics takes them: metrics.py), subscription filters with the
events waiting for their next delivery, and Logs Insights queries.

Times that AWS gives in epoch milliseconds (event timestamps, ingestion times, creation times)
are stored as such; `expires` (epoch ms, sandbox clock) is when an event passes its group's
retention, for the tick (tasks.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from playground.sandboxes.models import Sandbox

STANDARD = "STANDARD"
INFREQUENT_ACCESS = "INFREQUENT_ACCESS"


class LogGroup(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="logs_groups")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=512)
    created = models.BigIntegerField()  # epoch ms
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    kms_key_id = models.CharField(max_length=2048, blank=True, default="")
    log_group_class = models.CharField(max_length=32, default=STANDARD)
    deletion_protection = models.BooleanField(default=False)
    tags = models.JSONField(default=dict)

    class Meta:
        ordering = ["region", "name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="logs_group_unique_name")]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        """The logGroupArn (DescribeLogGroups' `arn` adds ":*")."""
        return f"arn:aws:logs:{self.region}:{self.sandbox.account_id}:log-group:{self.name}"


class LogStream(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(LogGroup, on_delete=models.CASCADE, related_name="streams")
    name = models.CharField(max_length=512)
    created = models.BigIntegerField()
    first_event = models.BigIntegerField(null=True, blank=True)
    last_event = models.BigIntegerField(null=True, blank=True)
    last_ingestion = models.BigIntegerField(null=True, blank=True)
    uploads = models.PositiveIntegerField(default=0)  # PutLogEvents calls: the sequence token

    class Meta:
        ordering = ["group", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="logs_stream_unique_name")]

    def __str__(self) -> str:
        return f"{self.group.name}/{self.name}"


# Event ids are a chunk's id times EVENTS_PER_CHUNK plus the event's place in it: a PutLogEvents
# carries at most 10,000 events, so a chunk never holds more.
EVENTS_PER_CHUNK = 10_000


class LogChunk(models.Model):
    """The events one PutLogEvents stored into one stream, in time order: one row for the batch,
    not one per event (a 10,000-event put is one insert). The readers unpack chunks and merge
    them by (timestamp, event id); retention trims a chunk from its oldest event on, as its events
    expire one by one.

    Event i of the chunk (counting from `first_index`, which trimming moves on) has the event id
    pk * EVENTS_PER_CHUNK + first_index + i: ids grow in arrival order and never change."""

    # No index of their own on the foreign keys: the indexes below start with each of them.
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+", db_index=False)
    group = models.ForeignKey(LogGroup, on_delete=models.CASCADE, related_name="+", db_index=False)
    stream = models.ForeignKey(LogStream, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    first_timestamp = models.BigIntegerField()
    last_timestamp = models.BigIntegerField()
    ingested = models.BigIntegerField()
    first_index = models.PositiveIntegerField(default=0)
    count = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()  # the events' sizes: UTF-8 bytes of each message + 26, what AWS counts
    # JSON arrays, one item per event: the timestamps, and the messages (kept apart so that the
    # database's LIKE can pick the chunks a filter's words may be in).
    timestamps = models.TextField()
    messages = models.TextField()
    # When the oldest event of the chunk passes its group's retention (null: kept for ever).
    expires = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["group", "first_timestamp"], name="logs_chunk_group_time"),
            models.Index(fields=["stream", "first_timestamp"], name="logs_chunk_stream_time"),
            # Only chunks with a retention are ever due: the others cost their insert no entry here.
            models.Index(
                fields=["sandbox", "expires"], name="logs_chunk_expiry_due", condition=Q(expires__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id}@{self.first_timestamp}+{self.count}"


class MetricFilter(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(LogGroup, on_delete=models.CASCADE, related_name="metric_filters")
    name = models.CharField(max_length=512)
    pattern = models.CharField(max_length=1024, blank=True, default="")
    transformations = models.JSONField(default=list)  # the API's metricTransformations, as given
    created = models.BigIntegerField()

    class Meta:
        ordering = ["group", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="logs_metric_filter_unique_name")]

    def __str__(self) -> str:
        return f"{self.group.name}:{self.name}"


class MetricDatapoint(models.Model):
    """A datapoint a metric filter emitted (metrics.emit). Kept here until CloudWatch metrics has
    its public door; the group's inspector shows the newest."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    group_name = models.CharField(max_length=512)
    filter_name = models.CharField(max_length=512)
    namespace = models.CharField(max_length=255)
    metric_name = models.CharField(max_length=255)
    dimensions = models.JSONField(default=dict)
    value = models.FloatField()
    unit = models.CharField(max_length=32, blank=True, default="")
    timestamp = models.BigIntegerField()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["sandbox", "namespace", "metric_name"], name="logs_datapoint_metric")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.metric_name}={self.value}"


class SubscriptionFilter(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(LogGroup, on_delete=models.CASCADE, related_name="subscription_filters")
    name = models.CharField(max_length=512)
    pattern = models.CharField(max_length=1024, blank=True, default="")
    destination_arn = models.CharField(max_length=2048)
    role_arn = models.CharField(max_length=2048, blank=True, default="")
    distribution = models.CharField(max_length=32, default="ByLogStream")
    created = models.BigIntegerField()
    delivered = models.PositiveIntegerField(default=0)  # batches delivered
    last_error = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ["group", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="logs_subscription_unique_name")]

    def __str__(self) -> str:
        return f"{self.group.name}:{self.name}"


class PendingDelivery(models.Model):
    """A matching event waiting for its subscription's next batch (delivery.py)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(SubscriptionFilter, on_delete=models.CASCADE, related_name="pending")
    stream_name = models.CharField(max_length=512)
    event_id = models.CharField(max_length=64)
    timestamp = models.BigIntegerField()
    message = models.TextField()
    due_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sandbox", "due_at"], name="logs_delivery_due")]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id}"


class Query(models.Model):
    """A Logs Insights query: run when started (insights.py), its results kept for GetQueryResults."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    query_id = models.CharField(max_length=64, unique=True)
    query_string = models.TextField()
    group_names = models.JSONField(default=list)
    start_time = models.BigIntegerField()
    end_time = models.BigIntegerField()
    created = models.BigIntegerField()
    status = models.CharField(max_length=16, default="Complete")
    results = models.JSONField(default=list)
    statistics = models.JSONField(default=dict)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return self.query_id


class ExportTask(models.Model):
    """A CreateExportTask to S3 (exports.py): PENDING, RUNNING, then COMPLETED on the sandbox clock
    (or CANCELLED, FAILED); `due_at` is when it takes its next step, None once it is finished."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=512, blank=True, default="")
    group_name = models.CharField(max_length=512)
    stream_prefix = models.CharField(max_length=512, blank=True, default="")
    from_time = models.BigIntegerField()
    to_time = models.BigIntegerField()
    destination = models.CharField(max_length=512)
    destination_prefix = models.CharField(max_length=512, default="exportedlogs")
    status = models.CharField(max_length=16, default="PENDING")
    message = models.CharField(max_length=1024, blank=True, default="")
    created = models.BigIntegerField()  # epoch ms
    completed = models.BigIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    objects_written = models.JSONField(default=list)  # the keys it wrote

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["due_at"], name="logs_export_due")]

    def __str__(self) -> str:
        return self.task_id


class GroupWriter(models.Model):
    """A resource of another service that writes to the group through the public door
    (public.events_write(writer_arn=...)): the diagram draws its edge to the group."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(LogGroup, on_delete=models.CASCADE, related_name="writers")
    arn = models.CharField(max_length=2048)

    class Meta:
        ordering = ["group", "arn"]
        constraints = [models.UniqueConstraint(fields=["group", "arn"], name="logs_writer_unique")]

    def __str__(self) -> str:
        return f"{self.arn} -> {self.group_id}"
