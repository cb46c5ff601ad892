"""A classroom: instructors, a join code, and one enrollment (student + own sandbox) per student."""

from __future__ import annotations

import secrets

from django.conf import settings
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
    # Lab events of every student (session.started, step.checked, lab.completed) are POSTed here.
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

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

    class Meta:
        ordering = ["classroom", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="classroom_enrollment_unique_student")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"
