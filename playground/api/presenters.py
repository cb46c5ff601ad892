"""Domain objects as the REST API shows them (the shapes serializers.py documents)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from playground.classroom.access import Role
from playground.classroom.models import Classroom, Enrollment
from playground.gateway.models import ApiCall
from playground.labs.bundles import Lab
from playground.labs.models import LabSession
from playground.labs.sessions import progress_by_sandbox
from playground.sandboxes.models import AccessKey, Clock, Sandbox


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


def credential_dict(key: AccessKey) -> dict[str, Any]:
    """A key as IAM lists it. Never its secret: that is in the answer that creates the key only
    (new_credential_dict), as IAM returns a secret in CreateAccessKey's answer and nowhere else."""
    return {
        "access_key_id": key.access_key_id,
        "status": "Active" if key.active else "Inactive",
        "created_at": key.created_at.isoformat(),
    }


def new_credential_dict(key: AccessKey, secret: str) -> dict[str, Any]:
    """A key just made, with the plaintext secret its maker returned (not read back from the key)."""
    return {**credential_dict(key), "secret_access_key": secret}


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
        "role": "instructor" if instructor else "student",
        "instructors": [user.get_username() for user in classroom.instructors.all()],
        "students": classroom.enrollments.count(),
    }
    if instructor:
        result["join_code"] = classroom.join_code_display
        result["webhook_url"] = classroom.webhook_url
    return result


def students(classroom: Classroom) -> list[dict[str, Any]]:
    """Every student with their sandbox, last call, and progress in each lab they started."""
    enrollments = list(
        Enrollment.objects.filter(classroom=classroom)
        .select_related("student", "sandbox", "sandbox__owner", "sandbox__clock")
        .order_by("student__username")
    )
    sandbox_ids = [enrollment.sandbox_id for enrollment in enrollments]
    latest = dict(
        Sandbox.objects.filter(pk__in=sandbox_ids).annotate(last=Max("api_calls__id")).values_list("pk", "last")
    )
    calls: dict[int, dict[str, Any]] = {
        row["sandbox_id"]: dict(row)
        for row in ApiCall.objects.filter(pk__in=[pk for pk in latest.values() if pk]).values(
            "sandbox_id", "at", "service", "operation", "error_code"
        )
    }
    progress = progress_by_sandbox(sandbox_ids)
    rows = []
    for enrollment in enrollments:
        sandbox = enrollment.sandbox
        clock = sandbox.clock
        call = calls.get(sandbox.pk)
        now = clock.now()
        rows.append(
            {
                "id": enrollment.pk,
                "username": enrollment.student.get_username(),
                "joined_at": enrollment.joined_at.isoformat(),
                "sandbox": {
                    "id": sandbox.pk,
                    "name": sandbox.name,
                    "account_id": sandbox.account_id,
                    "region": sandbox.default_region,
                    "owner": enrollment.student.get_username(),
                    "role": str(Role.INSTRUCTOR),
                    "created_at": sandbox.created_at.isoformat(),
                    "clock": clock.as_dict(),
                    "classroom": {"id": classroom.pk, "name": classroom.name},
                    "active_lab_session": next(
                        (lab["id"] for lab in progress.get(sandbox.pk, []) if lab["status"] == LabSession.ACTIVE), None
                    ),
                },
                "last_call": _last_call(call),
                "idle_seconds": max(0.0, (now - call["at"]).total_seconds()) if call else None,
                "labs": progress.get(sandbox.pk, []),
            }
        )
    return rows


def _last_call(call: dict[str, Any] | None) -> dict[str, Any] | None:
    if call is None:
        return None
    return {
        "at": call["at"].isoformat(),
        "service": call["service"],
        "operation": call["operation"],
        "error_code": call["error_code"],
    }


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
    }


def lab_dict(lab: Lab, *, with_document: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        **lab_summary(lab),
        "steps": [
            {
                "id": step.id,
                "title": step.title,
                "instructions": step.instructions,
                "hints": list(step.hints),
                "max_score": step.max_score,
                "checks": len(step.checks),
            }
            for step in lab.steps
        ],
    }
    if with_document:
        result["document"] = lab.document
    return result
