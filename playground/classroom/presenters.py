"""A classroom's students as the instructor's dashboard and the REST API show them.

Besides each student's sandbox, last call and lab progress, a row says what the dashboard
highlights, in wall time (the real time, whatever each sandbox's clock does):

    last_call         the student's last AWS call, not counting the reads the GUI makes to draw
                      itself (Get/List/Describe/Head... from the page: not the student's doing)
    last_activity_at  wall time of that call
    progress_at       wall time of their last progress in their active lab (a step passed, or the
                      lab started), while the lab is not completed
    stuck             progress_at is more than the classroom's `stuck_minutes` ago
    failing_calls     how many of their latest calls failed in a row; `failing` when that reaches
                      the classroom's `failing_calls`
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, Q

from playground.classroom.models import Classroom, Enrollment
from playground.gateway.handler import CONSOLE_USER_AGENT
from playground.gateway.models import ApiCall
from playground.labs.models import LabSession
from playground.labs.sessions import progress_by_sandbox
from playground.sandboxes.access import Role
from playground.sandboxes.models import Sandbox, wall_now

READ_VERBS = ("Get", "List", "Describe", "Head")


def students(classroom: Classroom) -> list[dict[str, Any]]:
    """Every student with their sandbox, last call, progress in each lab they started, and what
    the dashboard highlights."""
    enrollments = list(
        Enrollment.objects.filter(classroom=classroom)
        .select_related("student", "sandbox", "sandbox__owner", "sandbox__clock")
        .order_by("student__username")
    )
    sandbox_ids = [enrollment.sandbox_id for enrollment in enrollments]
    latest = dict(
        Sandbox.objects.filter(pk__in=sandbox_ids)
        .annotate(last=Max("api_calls__id", filter=~_page_reads("api_calls__")))
        .values_list("pk", "last")
    )
    calls: dict[int, dict[str, Any]] = {
        row["sandbox_id"]: dict(row)
        for row in ApiCall.objects.filter(pk__in=[pk for pk in latest.values() if pk]).values(
            "sandbox_id", "at", "wall_at", "service", "operation", "error_code"
        )
    }
    progress = progress_by_sandbox(sandbox_ids)
    active = {
        session.sandbox_id: session
        for session in LabSession.objects.filter(sandbox_id__in=sandbox_ids, status=LabSession.ACTIVE)
    }
    wall = wall_now()
    rows = []
    for enrollment in enrollments:
        sandbox = enrollment.sandbox
        clock = sandbox.clock
        call = calls.get(sandbox.pk)
        now = clock.now()
        failures = _failures_in_a_row(sandbox.pk, classroom.failing_calls) if call and call["error_code"] else 0
        progress_at = _progress_at(active.get(sandbox.pk))
        stuck = progress_at is not None and wall - progress_at > dt.timedelta(minutes=classroom.stuck_minutes)
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
                "last_activity_at": call["wall_at"].isoformat() if call and call["wall_at"] else None,
                "labs": progress.get(sandbox.pk, []),
                "clock_held": enrollment.clock_held,
                "progress_at": progress_at.isoformat() if progress_at else None,
                "stuck": stuck,
                "failing_calls": failures,
                "failing": failures >= classroom.failing_calls,
                "hand_raised_at": enrollment.hand_raised_at.isoformat() if enrollment.hand_raised_at else None,
                "hand_note": enrollment.hand_note,
                "frozen": enrollment.frozen,
            }
        )
    return rows


def _page_reads(prefix: str = "") -> Q:
    """The calls the GUI makes to draw itself: reads from the page (the activity panel hides them too)."""
    reads = Q()
    for verb in READ_VERBS:
        reads |= Q(**{f"{prefix}operation__startswith": verb})
    return Q(**{f"{prefix}user_agent": CONSOLE_USER_AGENT}) & reads


def _failures_in_a_row(sandbox_id: int, enough: int) -> int:
    """How many of the sandbox's latest calls failed in a row (the page's reads aside), counting
    up to `enough`."""
    codes = (
        ApiCall.objects.filter(sandbox_id=sandbox_id)
        .exclude(_page_reads())
        .order_by("-id")
        .values_list("error_code", flat=True)
    )
    count = 0
    for code in codes[:enough]:
        if not code:
            break
        count += 1
    return count


def _progress_at(session: LabSession | None) -> dt.datetime | None:
    """Wall time of the last progress in an active lab not completed yet: the latest step passed,
    or the lab's start."""
    if session is None or session.completed:
        return None
    passed = [
        dt.datetime.fromisoformat(entry["passed_at"])
        for entry in session.results.values()
        if isinstance(entry, dict) and entry.get("passed_at")
    ]
    return max([session.started_at, *passed])


def _last_call(call: dict[str, Any] | None) -> dict[str, Any] | None:
    if call is None:
        return None
    return {
        "at": call["at"].isoformat(),
        "wall_at": call["wall_at"].isoformat() if call["wall_at"] else None,
        "service": call["service"],
        "operation": call["operation"],
        "error_code": call["error_code"],
    }
