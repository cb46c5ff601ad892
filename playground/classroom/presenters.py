"""A classroom's students as the instructor's dashboard and the REST API show them."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from playground.classroom.models import Classroom, Enrollment
from playground.gateway.models import ApiCall
from playground.labs.models import LabSession
from playground.labs.sessions import progress_by_sandbox
from playground.sandboxes.access import Role
from playground.sandboxes.models import Sandbox


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
