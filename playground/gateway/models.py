"""The record of every AWS API call: what CloudTrail serves and the activity panel shows."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox, wall_now


class ApiCall(models.Model):
    # The call history outlives a sandbox reset: it is what an instructor grades from (a lab's call
    # checks, the dashboard), and what the student did stays true after their resources are gone.
    survives_reset = True

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="api_calls")
    at = models.DateTimeField()  # sandbox-clock time
    # The real time of the call (null for calls recorded before it was kept): what an instructor's
    # "last activity" shows, whatever the sandbox's clock did since.
    wall_at = models.DateTimeField(null=True, blank=True, default=wall_now)
    request_id = models.CharField(max_length=64)
    service = models.CharField(max_length=64)
    operation = models.CharField(max_length=128)
    region = models.CharField(max_length=32)
    access_key_id = models.CharField(max_length=32, blank=True, default="")
    principal_arn = models.CharField(max_length=512, blank=True, default="")
    source_ip = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    params = models.JSONField(default=dict)  # secrets and payload bodies removed
    # What the call answered, redacted as its parameters are; null for a failed call (and for calls
    # recorded before it was kept).
    response = models.JSONField(null=True, blank=True, default=None)
    error_code = models.CharField(max_length=128, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    http_status = models.PositiveSmallIntegerField(default=200)
    duration_ms = models.FloatField(default=0.0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sandbox", "at"]), models.Index(fields=["sandbox", "service", "operation"])]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation} {self.error_code or 'OK'}"
