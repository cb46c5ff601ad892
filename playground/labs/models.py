"""Lab sessions (a student working through a lab in a sandbox) and lab bundles uploaded through the API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from playground.sandboxes.models import Sandbox


class LabSession(models.Model):
    """One run of a lab in a sandbox. At most one session per sandbox is active: the lab the GUI's
    side panel shows. A session stays active once completed, until another lab starts or it is reset.

    `results` holds, per step id, the best check result so far: a step once passed stays passed
    (a later step may well undo what an earlier one checked, as deleting a received message does).
    """

    ACTIVE = "active"
    STOPPED = "stopped"

    survives_reset = True

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="lab_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    lab_id = models.CharField(max_length=100)
    lab_title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, default=ACTIVE)
    started_at = models.DateTimeField(auto_now_add=True)  # wall time, for the instructor's dashboard
    completed_at = models.DateTimeField(null=True, blank=True)  # wall time
    # Where the session's history starts: sandbox-clock time (for call checks) and the last live
    # event's number (for event checks) when it started or was reset.
    started_clock = models.DateTimeField()
    started_seq = models.BigIntegerField(default=0)
    variables = models.JSONField(default=dict)  # values saved by setup and solve actions
    results = models.JSONField(default=dict)
    score = models.IntegerField(default=0)
    max_score = models.IntegerField(default=0)
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox"], condition=Q(status="active"), name="labs_one_active_session")
        ]

    def __str__(self) -> str:
        return f"{self.lab_id} in sandbox {self.sandbox_id} ({self.status})"

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


class LabBundle(models.Model):
    """A lab bundle a lab author uploaded (PUT /api/labs/<id>/); bundles in folders need no row."""

    lab_id = models.CharField(max_length=100, unique=True)
    document = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lab_id"]

    def __str__(self) -> str:
        return self.lab_id
