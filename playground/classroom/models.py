"""A classroom: instructors, a join code, and one enrollment (student + own sandbox) per student."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from playground.sandboxes.models import Sandbox

# No 0/O, 1/I/L: a code read aloud or from a projector is typed right the first time.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(text: str) -> str:
    """What a student typed -> the stored form: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="classrooms_taught")
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    join_open = models.BooleanField(default=True)
    # While the instructor holds the class clock (they paused it, or set a speed other than 1x), a
    # student may not pause, resume, speed up or advance their own (the instructor's hold wins).
    lock_student_clocks = models.BooleanField(default=True)
    # The dashboard highlights a student working on a lab who has passed no step for this many
    # minutes of wall time, and one whose last this-many AWS calls all failed.
    stuck_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    failing_calls = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # A timed class session: at `ends_at` (wall time) every student's sandbox is frozen (clock
    # stopped and held, AWS calls and key changes refused: kept as it is for grading) or reset
    # (emptied), as `at_end` says; `ended_at` is when that was done.
    NOTHING, FREEZE, RESET = "", "freeze", "reset"
    AT_END_CHOICES = [(NOTHING, "nothing happens"), (FREEZE, "freeze the sandboxes"), (RESET, "reset the sandboxes")]
    ends_at = models.DateTimeField(null=True, blank=True)
    at_end = models.CharField(max_length=8, blank=True, default=NOTHING, choices=AT_END_CHOICES)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Lab events of every student (session.started, step.checked, lab.completed) are POSTed here.
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def group_name(self) -> str:
        """The Channels group of the classroom's dashboards."""
        return f"classroom-{self.pk}"

    @property
    def join_code_display(self) -> str:
        """ABCD-EFGH: easier to read off a projector."""
        half = len(self.join_code) // 2
        return f"{self.join_code[:half]}-{self.join_code[half:]}"


class Enrollment(models.Model):
    """A student in a classroom, with the sandbox (own account, own keys) made for them there."""

    survives_reset = True

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="enrollment")
    joined_at = models.DateTimeField(auto_now_add=True)
    # The instructor's last clock action on this student's clock (the whole class's or theirs
    # alone) left it paused or at a speed other than 1x: the class clock is held.
    clock_held = models.BooleanField(default=False)
    # The help queue: when the student raised their hand (wall time; null: not raised), and why.
    hand_raised_at = models.DateTimeField(null=True, blank=True)
    hand_note = models.CharField(max_length=200, blank=True, default="")
    # Frozen at the end of a timed session: the access keys that were active then (made inactive,
    # made active again when the instructor reopens the class).
    frozen = models.BooleanField(default=False)
    frozen_keys = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["classroom", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="classroom_enrollment_unique_student")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class Broadcast(models.Model):
    """A message an instructor sent to every student's GUI."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="broadcasts")
    message = models.CharField(max_length=500)
    sender = models.CharField(max_length=150)
    sent_at = models.DateTimeField(auto_now_add=True)  # wall time

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.message[:40]}"

    def as_dict(self) -> dict[str, object]:
        return {"id": self.pk, "message": self.message, "sender": self.sender, "sent_at": self.sent_at.isoformat()}
