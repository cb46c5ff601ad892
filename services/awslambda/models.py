"""Lambda state: functions (their zip kept in the row), invocations with their log lines,
asynchronous invocations waiting on the sandbox clock, and SQS and Kinesis event source mappings."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

PENDING = "Pending"
ACTIVE = "Active"


class Function(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="lambda_functions")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=64)
    runtime = models.CharField(max_length=32)
    handler = models.CharField(max_length=128)
    role = models.CharField(max_length=2048)
    description = models.CharField(max_length=256, blank=True, default="")
    timeout = models.PositiveIntegerField(default=3)
    memory_size = models.PositiveIntegerField(default=128)
    environment = models.JSONField(default=dict)
    code = models.BinaryField()  # the deployment package (zip)
    code_size = models.PositiveIntegerField(default=0)
    code_sha256 = models.CharField(max_length=64)
    revision_id = models.CharField(max_length=64)
    # Pending until `settles_at` (sandbox clock), then Active; the tick settles due rows.
    state = models.CharField(max_length=16, default=PENDING)
    settles_at = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField()
    tags = models.JSONField(default=dict)
    policy = models.JSONField(null=True, blank=True)
    dead_letter_arn = models.CharField(max_length=2048, blank=True, default="")
    reserved_concurrency = models.IntegerField(null=True, blank=True)
    # Asynchronous invocation settings (PutFunctionEventInvokeConfig).
    max_retries = models.PositiveIntegerField(default=2)
    max_event_age = models.PositiveIntegerField(default=21600)
    on_success = models.CharField(max_length=2048, blank=True, default="")
    on_failure = models.CharField(max_length=2048, blank=True, default="")
    # The address the function's AWS calls go to (AWS_ENDPOINT_URL): the one its creator reached.
    endpoint = models.CharField(max_length=512, blank=True, default="")
    # When this function's metrics of a finished minute are due to go to CloudWatch (metrics.py).
    metrics_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="lambda_function_unique")]
        indexes = [
            models.Index(fields=["sandbox", "settles_at"], name="lambda_function_settle_due"),
            models.Index(fields=["sandbox", "metrics_due_at"], name="lambda_function_metrics_due"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.sandbox.account_id}:function:{self.name}"


class Invocation(models.Model):
    """One run of a function, with its log lines (START, the handler's output, END, REPORT): what
    CloudWatch Logs will hold under /aws/lambda/<name> once it exists (logs.py)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="invocations")
    request_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=32)  # RequestResponse, Event, SQS, SNS, ...
    source = models.CharField(max_length=2048, blank=True, default="")
    at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    init_ms = models.FloatField(null=True, blank=True)  # a cold start's Init Duration
    error_type = models.CharField(max_length=128, blank=True, default="")
    event = models.TextField(blank=True, default="")  # the first 4 KB
    result = models.TextField(blank=True, default="")  # the first 4 KB
    log = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["function", "-id"], name="lambda_invocation_recent")]

    def __str__(self) -> str:
        return self.request_id


class AsyncInvocation(models.Model):
    """An Event invocation on Lambda's internal queue: tried when `due_at` passes (sandbox clock),
    retried after 1 and 2 minutes, dropped (to the DLQ or on-failure destination) once the
    retries or the maximum event age are spent."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="queued")
    request_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, default="Event")
    source = models.CharField(max_length=2048, blank=True, default="")
    payload = models.BinaryField()
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.request_id


class EventSourceMapping(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    uuid = models.CharField(max_length=36, unique=True)
    region = models.CharField(max_length=32)
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="mappings")
    source_arn = models.CharField(max_length=2048)
    batch_size = models.PositiveIntegerField(default=10)
    window = models.PositiveIntegerField(default=0)  # MaximumBatchingWindowInSeconds
    report_failures = models.BooleanField(default=False)  # FunctionResponseTypes ReportBatchItemFailures
    enabled = models.BooleanField(default=True)
    state = models.CharField(max_length=16, default="Creating")
    settles_at = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField()
    last_result = models.CharField(max_length=64, default="No records processed")
    # When an enabled mapping next looks at its queue (sandbox clock); a batching window that
    # started waits until `gather_until`.
    poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    gather_until = models.DateTimeField(null=True, blank=True)
    # Kinesis stream mappings (stream_mappings.py): where to start, error handling, and each
    # shard's batchers (one per ParallelizationFactor) {shard id: {"lanes": [{"after": counter,
    # "tries": n, "size": bisected batch size, "since": batching window start}], "done": a closed
    # shard read to its end}}.
    starting_position = models.CharField(max_length=16, blank=True, default="")
    starting_timestamp = models.DateTimeField(null=True, blank=True)
    bisect = models.BooleanField(default=False)
    max_retries = models.IntegerField(default=-1)
    max_record_age = models.IntegerField(default=-1)
    parallelization = models.PositiveIntegerField(default=1)
    on_failure = models.CharField(max_length=2048, blank=True, default="")
    shards = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.uuid

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.sandbox.account_id}:event-source-mapping:{self.uuid}"


class Version(models.Model):
    """A published version: a snapshot of the function's code and configuration (PublishVersion)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    description = models.CharField(max_length=256, blank=True, default="")
    runtime = models.CharField(max_length=32)
    handler = models.CharField(max_length=128)
    timeout = models.PositiveIntegerField()
    memory_size = models.PositiveIntegerField()
    environment = models.JSONField(default=dict)
    code = models.BinaryField()
    code_size = models.PositiveIntegerField()
    code_sha256 = models.CharField(max_length=64)
    revision_id = models.CharField(max_length=64)
    last_modified = models.DateTimeField()

    class Meta:
        ordering = ["function", "number"]
        constraints = [models.UniqueConstraint(fields=["function", "number"], name="lambda_version_unique")]

    def __str__(self) -> str:
        return f"{self.function_id}:{self.number}"


class Alias(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=128)
    version = models.CharField(max_length=16)  # a version number or $LATEST
    description = models.CharField(max_length=256, blank=True, default="")
    revision_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["function", "name"]
        constraints = [models.UniqueConstraint(fields=["function", "name"], name="lambda_alias_unique")]

    def __str__(self) -> str:
        return self.name
