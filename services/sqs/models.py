"""SQS state: queues, their messages, FIFO deduplication records, receive attempts, message move
tasks, and the tombstones of recently deleted queues.

Times are sandbox-clock times. A message's state is read from two columns:

    visible_at <= now                       available (ApproximateNumberOfMessages)
    visible_at >  now and receive_count > 0 in flight (ApproximateNumberOfMessagesNotVisible)
    visible_at >  now and receive_count = 0 delayed (ApproximateNumberOfMessagesDelayed)

`wake_at` is set while a message is invisible and cleared by the tick once it has become visible
again (that is when the "visible-again" event is sent and long polls are woken); `expires_at` is
when retention removes it. Both are indexed so the tick finds due rows without scanning.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from playground.sandboxes.models import Sandbox


class Queue(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="sqs_queues")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=80)
    arn = models.CharField(max_length=256, db_index=True)
    fifo = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    # Settable attributes (attributes.py validates them and maps them to AWS's names).
    visibility_timeout = models.IntegerField(default=30)
    maximum_message_size = models.IntegerField(default=1_048_576)
    message_retention_period = models.IntegerField(default=345_600)
    delay_seconds = models.IntegerField(default=0)
    receive_wait_time_seconds = models.IntegerField(default=0)
    policy = models.TextField(blank=True, default="")
    redrive_policy = models.TextField(blank=True, default="")  # as AWS returns it (compact JSON)
    dead_letter_target_arn = models.CharField(max_length=256, blank=True, default="", db_index=True)
    max_receive_count = models.IntegerField(null=True, blank=True)
    redrive_allow_policy = models.TextField(blank=True, default="")
    kms_master_key_id = models.CharField(max_length=2048, blank=True, default="")
    kms_data_key_reuse_period_seconds = models.IntegerField(default=300)
    sqs_managed_sse_enabled = models.BooleanField(default=True)
    # The data key the queue seals message bodies with (KmsMasterKeyId): its ciphertext under the
    # KMS key, never its plaintext, and when it was fetched (reused KmsDataKeyReusePeriodSeconds).
    data_key_ciphertext = models.BinaryField(null=True, blank=True)
    data_key_fetched_at = models.DateTimeField(null=True, blank=True)
    content_based_deduplication = models.BooleanField(default=False)
    deduplication_scope = models.CharField(max_length=16, blank=True, default="")
    fifo_throughput_limit = models.CharField(max_length=24, blank=True, default="")

    tags = models.JSONField(default=dict, blank=True)
    last_sequence = models.BigIntegerField(default=0)  # FIFO sequence numbers handed out so far
    last_purge_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="sqs_queue_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def wake_channel(self) -> str:
        return f"sqs:{self.pk}"


class Message(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=36)
    body = models.TextField()  # empty when the body is sealed
    # Encryption at rest (the queue's KmsMasterKeyId when it was sent): the body sealed with a data
    # key (AES-256-GCM), that data key's ciphertext, and the queue ARN of its encryption context.
    sealed_body = models.BinaryField(null=True, blank=True)
    data_key = models.BinaryField(null=True, blank=True)
    sealed_for = models.CharField(max_length=256, blank=True, default="")
    md5_of_body = models.CharField(max_length=32)
    # {name: {"DataType": ..., "StringValue": ... | "BinaryValue": base64}} as sent
    attributes = models.JSONField(default=dict, blank=True)
    md5_of_attributes = models.CharField(max_length=32, blank=True, default="")
    system_attributes = models.JSONField(default=dict, blank=True)  # AWSTraceHeader
    md5_of_system_attributes = models.CharField(max_length=32, blank=True, default="")
    size = models.IntegerField(default=0)  # body plus attributes, as counted against the size limit
    sender_id = models.CharField(max_length=128, blank=True, default="")
    sent_at = models.DateTimeField()
    # When it counts from for retention: the send, or (FIFO) the move into a dead-letter queue.
    enqueued_at = models.DateTimeField()
    visible_at = models.DateTimeField()
    wake_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    receive_count = models.IntegerField(default=0)
    first_received_at = models.DateTimeField(null=True, blank=True)
    receipt_token = models.CharField(max_length=32, blank=True, default="")
    received_at = models.DateTimeField(null=True, blank=True)  # the latest receive (12-hour visibility cap)
    group_id = models.CharField(max_length=128, blank=True, default="")
    deduplication_id = models.CharField(max_length=128, blank=True, default="")
    sequence_number = models.CharField(max_length=20, blank=True, default="")
    dead_letter_source_arn = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["queue", "visible_at", "id"], name="sqs_msg_available"),
            models.Index(fields=["queue", "group_id", "sequence_number"], name="sqs_msg_group"),
            models.Index(fields=["queue", "sequence_number"], name="sqs_msg_sequence"),
            models.Index(fields=["sandbox", "wake_at"], name="sqs_msg_wake", condition=Q(wake_at__isnull=False)),
            models.Index(fields=["sandbox", "expires_at"], name="sqs_msg_expiry"),
        ]

    def __str__(self) -> str:
        return self.message_id


class DeduplicationRecord(models.Model):
    """A FIFO send within the 5-minute deduplication interval: a repeat is accepted, not enqueued."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)  # the id, prefixed by its group when scoped per group
    message_id = models.CharField(max_length=36)
    sequence_number = models.CharField(max_length=20)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "key"], name="sqs_dedup_unique")]
        indexes = [models.Index(fields=["sandbox", "expires_at"], name="sqs_dedup_expiry")]

    def __str__(self) -> str:
        return self.key


class ReceiveAttempt(models.Model):
    """A FIFO ReceiveMessage's ReceiveRequestAttemptId, so a retried call gets the same messages."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    attempt_id = models.CharField(max_length=128)
    # [[message pk, receipt token], ...] in the order they were returned
    deliveries = models.JSONField(default=list)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "attempt_id"], name="sqs_attempt_unique")]
        indexes = [models.Index(fields=["sandbox", "expires_at"], name="sqs_attempt_expiry")]

    def __str__(self) -> str:
        return self.attempt_id


class DeletedQueue(models.Model):
    """A queue name that cannot be reused until 60 seconds after its deletion."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=80)
    reusable_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["sandbox", "region", "name"], name="sqs_deleted_name"),
            models.Index(fields=["sandbox", "reusable_at"], name="sqs_deleted_expiry"),
        ]

    def __str__(self) -> str:
        return self.name


class MessageMoveTask(models.Model):
    """StartMessageMoveTask: messages moved out of a dead-letter queue at a rate, on the sandbox clock."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    task_id = models.CharField(max_length=36, unique=True)
    source_arn = models.CharField(max_length=256, db_index=True)
    destination_arn = models.CharField(max_length=256, blank=True, default="")
    max_per_second = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, default=RUNNING)
    moved = models.BigIntegerField(default=0)
    to_move = models.BigIntegerField(default=0)
    failure_reason = models.CharField(max_length=512, blank=True, default="")
    started_at = models.DateTimeField()
    # Sandbox time up to which messages have been moved; the next batch is due one second later.
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["sandbox", "due_at"], name="sqs_move_due", condition=Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.source_arn} ({self.status})"
