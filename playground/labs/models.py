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
    completed_clock = models.DateTimeField(null=True, blank=True)  # the sandbox's time then
    # A timed session: a step first passing after this wall time is recorded as late.
    deadline = models.DateTimeField(null=True, blank=True)
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
    # Every use of solve: [{"step", "by" (user name), "at" (wall time), "clock" (sandbox time)}].
    # Kept through a reset: grades say which steps someone else's solve did.
    solves = models.JSONField(default=list)
    # Hints revealed, per step id: how many of the step's hints (in order) the student has seen.
    # Kept through a reset, as solves are; each costs what the bundle says off its step's points.
    hints = models.JSONField(default=dict)

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

    @property
    def late_steps(self) -> list[str]:
        return sorted(step for step, entry in self.results.items() if entry.get("late"))

    @property
    def hints_used(self) -> int:
        return sum(int(count) for count in self.hints.values())

    @property
    def solved_steps(self) -> list[str]:
        return sorted({str(entry.get("step")) for entry in self.solves})


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


class ClassroomLabSettings(models.Model):
    """A classroom's lab settings, set by its instructors (GET/PATCH /api/classrooms/<id>/lab-settings/).
    A classroom without a row has the defaults."""

    classroom = models.OneToOneField("classroom.Classroom", on_delete=models.CASCADE, related_name="lab_settings")
    # Whether the class's students may use a lab's solve (when the lab's bundle allows it too).
    student_solve = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"lab settings of {self.classroom_id}"
