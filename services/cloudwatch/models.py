"""CloudWatch state: metrics (namespace, name, dimensions), the datapoints put to them, metric and
composite alarms with their history, and dashboards.

A datapoint row is one PutMetricData datum (a value, a StatisticValues set, or Values/Counts) kept
as its sample count, sum, minimum and maximum, plus the values themselves with their counts when
they were sent (for percentiles). `expires_at` is when it passes the longest retention (455 days).
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

METRIC_ALARM = "MetricAlarm"
COMPOSITE_ALARM = "CompositeAlarm"


class Metric(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudwatch_metrics")
    region = models.CharField(max_length=32)
    namespace = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    # [[name, value], ...] sorted by name; `dimensions_key` is its canonical text, for uniqueness.
    dimensions = models.JSONField(default=list)
    dimensions_key = models.TextField(default="")
    created_at = models.DateTimeField()
    last_put_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sandbox", "region", "namespace", "name", "dimensions_key"], name="cloudwatch_metric_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}{self.dimensions_key}"


class Datapoint(models.Model):
    # No index of their own: the two below lead with them (every put pays for each index a row
    # goes into, four before, two now).
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="datapoints", db_index=False)
    timestamp = models.DateTimeField()
    resolution = models.PositiveSmallIntegerField(default=60)  # StorageResolution: 1 or 60
    unit = models.CharField(max_length=32, default="None")
    sample_count = models.FloatField()
    total = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    # [[value, count], ...] when the datum carried values (Value or Values/Counts); empty for
    # StatisticValues, which percentiles cannot use.
    values = models.JSONField(default=list)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [
            models.Index(fields=["metric", "timestamp"], name="cloudwatch_dp_metric_time"),
            models.Index(fields=["sandbox", "expires_at"], name="cloudwatch_dp_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}@{self.timestamp.isoformat()}"


class Alarm(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudwatch_alarms")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    alarm_type = models.CharField(max_length=16, default=METRIC_ALARM)
    # What PutMetricAlarm / PutCompositeAlarm was given (the model's member names), less the tags.
    config = models.JSONField(default=dict)
    tags = models.JSONField(default=list)
    actions_enabled = models.BooleanField(default=True)
    state = models.CharField(max_length=20, default=INSUFFICIENT_DATA)
    state_reason = models.TextField(default="Unchecked: Initial alarm creation")
    state_reason_data = models.TextField(default="", blank=True)
    state_updated_at = models.DateTimeField()
    state_transitioned_at = models.DateTimeField()
    configuration_updated_at = models.DateTimeField()
    # The datapoints the last evaluation read: [{"timestamp", "value" | None, "breaching"}].
    evaluated = models.JSONField(default=list)
    # When the tick evaluates it next (sandbox clock): the end of its current period. Composite
    # alarms are evaluated when a child changes, so they have none.
    evaluate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="cloudwatch_alarm_unique")]
        indexes = [models.Index(fields=["sandbox", "evaluate_at"], name="cloudwatch_alarm_due")]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.sandbox.account_id}:alarm:{self.name}"


class AlarmHistory(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    alarm_name = models.CharField(max_length=255)
    alarm_type = models.CharField(max_length=16, default=METRIC_ALARM)
    timestamp = models.DateTimeField()
    item_type = models.CharField(max_length=20)  # ConfigurationUpdate | StateUpdate | Action
    summary = models.TextField()
    data = models.TextField(default="")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["sandbox", "region", "alarm_name"], name="cloudwatch_history_alarm")]

    def __str__(self) -> str:
        return f"{self.alarm_name}: {self.summary}"


class GaugeRound(models.Model):
    """When a sandbox's services are next asked for their gauges (public.gauges): once a minute of
    sandbox time while any service has published a metric in the last six hours."""

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(db_index=True)
    active_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"gauges of {self.sandbox_id} at {self.due_at.isoformat()}"


class Dashboard(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="cloudwatch_dashboards")
    name = models.CharField(max_length=255)
    body = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "name"], name="cloudwatch_dashboard_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch::{self.sandbox.account_id}:dashboard/{self.name}"


class AnomalyDetector(models.Model):
    """A single-metric anomaly detector: the band (anomaly.py) is computed from the metric's own
    history whenever it is asked for, so nothing is stored but the definition."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    namespace = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    dimensions = models.JSONField(default=list)
    dimensions_key = models.TextField(default="")
    stat = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sandbox", "region", "namespace", "name", "dimensions_key", "stat"],
                name="cloudwatch_detector_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name} {self.stat}"
