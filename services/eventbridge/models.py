"""EventBridge state: event buses (each region's `default` made on first use), rules on a bus
(pattern or schedule), and each rule's targets."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

DEFAULT_BUS = "default"
ENABLED = "ENABLED"
DISABLED = "DISABLED"


class EventBus(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="eventbridge_buses")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)
    description = models.CharField(max_length=512, blank=True, default="")
    policy = models.TextField(blank=True, default="")
    tags = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "region", "name"], name="eventbridge_bus_unique_name")
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.sandbox.account_id}:event-bus/{self.name}"


class Rule(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="eventbridge_rules")
    bus = models.ForeignKey(EventBus, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=64)
    event_pattern = models.TextField(blank=True, default="")
    schedule = models.CharField(max_length=256, blank=True, default="")
    state = models.CharField(max_length=64, default=ENABLED)
    description = models.CharField(max_length=512, blank=True, default="")
    role_arn = models.CharField(max_length=1600, blank=True, default="")
    managed_by = models.CharField(max_length=128, blank=True, default="")
    tags = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    # The next scheduled fire (sandbox clock) of an enabled schedule rule; the tick fires it.
    next_fire_at = models.DateTimeField(null=True, blank=True)
    matched_events = models.PositiveIntegerField(default=0)
    invocations = models.PositiveIntegerField(default=0)
    failed_invocations = models.PositiveIntegerField(default=0)
    last_failure = models.JSONField(default=dict)
    # The counters already sent to CloudWatch (AWS/Events), and when the next send is due: the end
    # of the minute in which a counter moved (EventBridge sends its metrics every minute).
    reported = models.JSONField(default=dict)
    metrics_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["bus", "name"], name="eventbridge_rule_unique_name")]
        indexes = [
            models.Index(fields=["next_fire_at"], name="eventbridge_rule_fire_due"),
            models.Index(fields=["metrics_due_at"], name="eventbridge_rule_metrics_due"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        path = self.name if self.bus.name == DEFAULT_BUS else f"{self.bus.name}/{self.name}"
        return f"arn:aws:events:{self.bus.region}:{self.sandbox.account_id}:rule/{path}"


class Target(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="targets")
    target_id = models.CharField(max_length=64)
    arn = models.CharField(max_length=1600)
    # The Target structure as PutTargets gave it (Id, Arn, Input, InputPath, InputTransformer,
    # SqsParameters, RetryPolicy, DeadLetterConfig, ...); ListTargetsByRule answers it back.
    config = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["rule", "target_id"], name="eventbridge_target_unique_id")]

    def __str__(self) -> str:
        return f"{self.rule.name}/{self.target_id}"


ARCHIVE_RULE_PREFIX = "Events-Archive-"
ARCHIVE_MANAGER = "prod.vhs.events.aws.internal"


class Archive(models.Model):
    """An archive of a bus's events. Its events arrive through a managed rule on the bus (named
    Events-Archive-NAME, as AWS makes it) whose pattern is the archive's plus "no replay-name"."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="eventbridge_archives")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=48)
    bus = models.ForeignKey(EventBus, on_delete=models.CASCADE, related_name="archives")
    rule = models.OneToOneField(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="archive")
    description = models.CharField(max_length=512, blank=True, default="")
    event_pattern = models.TextField(blank=True, default="")
    retention_days = models.PositiveIntegerField(default=0)  # 0: kept indefinitely
    state = models.CharField(max_length=32, default=ENABLED)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "region", "name"], name="eventbridge_archive_unique_name")
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.sandbox.account_id}:archive/{self.name}"


class ArchivedEvent(models.Model):
    # The sandbox too (not only through the archive): the classroom's stored-bytes quota sums its
    # sizes by sandbox, and a reset deletes by it.
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="eventbridge_archived_events")
    archive = models.ForeignKey(Archive, on_delete=models.CASCADE, related_name="events")
    event = models.JSONField()
    event_time = models.DateTimeField()  # the event's own "time": what a replay's window selects on
    archived_at = models.DateTimeField()  # when it arrived (sandbox clock): what retention counts from
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["event_time", "id"]
        indexes = [
            models.Index(fields=["archive", "event_time"], name="eventbridge_archived_time"),
            models.Index(fields=["archive", "archived_at"], name="eventbridge_archived_at"),
        ]

    def __str__(self) -> str:
        return f"{self.archive_id}/{self.event.get('id')}"


STARTING = "STARTING"
RUNNING = "RUNNING"
CANCELLING = "CANCELLING"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"


class Replay(models.Model):
    """A replay of an archive's events in [event_start, event_end) to its bus, one minute of event
    time per second of sandbox time (the step timer), as AWS replays minute by minute."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="eventbridge_replays")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=512, blank=True, default="")
    archive_arn = models.CharField(max_length=1600)
    archive = models.ForeignKey(Archive, on_delete=models.SET_NULL, null=True, blank=True, related_name="replays")
    destination = models.JSONField(default=dict)  # {"Arn": bus ARN, "FilterArns": [rule ARNs]}
    event_start = models.DateTimeField()
    event_end = models.DateTimeField()
    state = models.CharField(max_length=32, default=STARTING)
    state_reason = models.CharField(max_length=512, blank=True, default="")
    cursor = models.DateTimeField()  # event time up to which events were replayed
    last_replayed = models.DateTimeField(null=True, blank=True)
    replayed_events = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "region", "name"], name="eventbridge_replay_unique_name")
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.sandbox.account_id}:replay/{self.name}"
