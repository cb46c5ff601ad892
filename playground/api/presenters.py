"""Domain objects as the REST API shows them (the shapes serializers.py documents). A classroom's
students (classroom/presenters.py) and access keys (sandboxes/keys.py) are shown the same way by
the GUI pages, so those presenters live with their domain."""

from __future__ import annotations

from typing import Any

from playground.classroom.models import Classroom, Enrollment
from playground.labs.bundles import Lab
from playground.labs.models import LabSession
from playground.sandboxes.access import Role
from playground.sandboxes.models import Clock, Sandbox


def sandbox_dict(sandbox: Sandbox, role: Role, *, clock: Clock | None = None) -> dict[str, Any]:
    enrollment = Enrollment.objects.filter(sandbox=sandbox).select_related("classroom").first()
    active = LabSession.objects.filter(sandbox=sandbox, status=LabSession.ACTIVE).values_list("pk", flat=True).first()
    return {
        "id": sandbox.pk,
        "name": sandbox.name,
        "account_id": sandbox.account_id,
        "region": sandbox.default_region,
        "owner": sandbox.owner.get_username() if sandbox.owner else None,
        "role": str(role),
        "created_at": sandbox.created_at.isoformat(),
        "clock": (clock or Clock.current(sandbox.pk)).as_dict(),
        "classroom": {"id": enrollment.classroom.pk, "name": enrollment.classroom.name} if enrollment else None,
        "active_lab_session": active,
    }


CALL_FIELDS = (
    "id", "at", "request_id", "service", "operation", "region", "access_key_id", "principal_arn", "source_ip",
    "user_agent", "params", "error_code", "error_message", "http_status", "duration_ms",
)  # fmt: skip


def call_dict(row: dict[str, Any]) -> dict[str, Any]:
    result = {name: row[name] for name in CALL_FIELDS}
    result["at"] = row["at"].isoformat()
    return result


def classroom_dict(classroom: Classroom, *, instructor: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": classroom.pk,
        "name": classroom.name,
        "join_open": classroom.join_open,
        "lock_student_clocks": classroom.lock_student_clocks,
        "stuck_minutes": classroom.stuck_minutes,
        "failing_calls": classroom.failing_calls,
        "ends_at": classroom.ends_at.isoformat() if classroom.ends_at else None,
        "at_end": classroom.at_end,
        "ended_at": classroom.ended_at.isoformat() if classroom.ended_at else None,
        "role": "instructor" if instructor else "student",
        "instructors": [user.get_username() for user in classroom.instructors.all()],
        "students": classroom.enrollments.count(),
    }
    if instructor:
        result["join_code"] = classroom.join_code_display
        result["webhook_url"] = classroom.webhook_url
    return result


def lab_summary(lab: Lab) -> dict[str, Any]:
    return {
        "id": lab.id,
        "title": lab.title,
        "summary": lab.summary,
        "services": list(lab.services),
        "available": lab.available,
        "steps": len(lab.steps),
        "max_score": lab.max_score,
        "source": lab.source,
        "student_solve": lab.student_solve,
    }


def lab_dict(lab: Lab, *, with_document: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        **lab_summary(lab),
        "steps": [
            {
                "id": step.id,
                "title": step.title,
                "instructions": step.instructions,
                # Hints are revealed one at a time in a session (they may cost points): staff only here.
                "hints": list(step.hints) if with_document else [],
                "hints_total": len(step.hints),
                "max_score": step.max_score,
                "checks": len(step.checks),
            }
            for step in lab.steps
        ],
    }
    if with_document:
        result["document"] = lab.document
    return result
