"""The classroom's part of a student's sandbox page: the Raise hand button and the instructor's
messages (templates/classroom/_student_bar.html, driven by static/js/classmate.js)."""

from __future__ import annotations

from typing import Any

from django import template

from playground.classroom.models import Enrollment
from playground.classroom.services import clock_hold, latest_broadcast
from playground.sandboxes.models import Sandbox

register = template.Library()


@register.inclusion_tag("classroom/_student_bar.html")
def student_bar(sandbox: Sandbox, read_only: bool) -> dict[str, Any]:
    """Nothing for a sandbox in no classroom. For a student: their hand and the latest message."""
    enrollment = Enrollment.objects.filter(sandbox=sandbox).select_related("classroom").first()
    if enrollment is None:
        return {"enrollment": None}
    latest = latest_broadcast(enrollment.classroom)
    return {
        "enrollment": enrollment,
        "read_only": read_only,
        "state": {
            "sandbox": sandbox.pk,
            "classroom": enrollment.classroom.name,
            "read_only": read_only,
            "hand": {
                "raised": enrollment.hand_raised_at is not None,
                "raised_at": enrollment.hand_raised_at.isoformat() if enrollment.hand_raised_at else None,
                "note": enrollment.hand_note,
            },
            "broadcast": latest.as_dict() if latest else None,
            "clock_hold": clock_hold(sandbox),
        },
    }
