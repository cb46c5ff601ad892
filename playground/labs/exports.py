"""A classroom's grades as CSV: one row per student and lab they started (the latest session of
that lab in their sandbox), and one row with empty lab columns for a student who started none.

    GET /api/classrooms/<id>/grades.csv      (its instructors; the dashboard links here)

Columns (GRADE_COLUMNS): times are ISO 8601 in UTC; `completed_at` is wall time and
`completed_at_sandbox` the student's sandbox clock then (it may have been sped up or moved on);
`late` is "yes" when a step passed after the session's deadline; `solved_by_solve` is "yes" when
solve did a step (which ones, and who asked, follow); `hints_used` counts the hints revealed and
`hint_points` what they cost.

A cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from playground.errors import PlaygroundError
from playground.labs.bundles import Lab, get_lab
from playground.labs.models import LabSession

GRADE_COLUMNS = (
    "student",
    "account_id",
    "lab_id",
    "lab_title",
    "status",
    "points",
    "max_points",
    "steps_passed",
    "steps_total",
    "started_at",
    "completed_at",
    "completed_at_sandbox",
    "deadline",
    "late",
    "late_steps",
    "solved_by_solve",
    "solved_steps",
    "solved_by",
    "hints_used",
    "hint_points",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def session_row(session: LabSession, lab: Lab | None) -> dict[str, Any]:
    """One session's grade, as the CSV's columns name them."""
    steps_total = len(lab.steps) if lab is not None else 0
    hint_points = 0
    if lab is not None:
        hint_points = sum(step.hint_penalty(int(session.hints.get(step.id, 0))) for step in lab.steps)
    late_steps = session.late_steps
    return {
        "lab_id": session.lab_id,
        "lab_title": session.lab_title,
        "status": "completed" if session.completed else session.status,
        "points": session.score,
        "max_points": session.max_score,
        "steps_passed": sum(1 for entry in session.results.values() if entry.get("passed")),
        "steps_total": steps_total,
        "started_at": _iso(session.started_at),
        "completed_at": _iso(session.completed_at),
        "completed_at_sandbox": _iso(session.completed_clock),
        "deadline": _iso(session.deadline),
        "late": _yes(bool(late_steps)),
        "late_steps": " ".join(late_steps),
        "solved_by_solve": _yes(bool(session.solves)),
        "solved_steps": " ".join(session.solved_steps),
        "solved_by": " ".join(sorted({str(entry.get("by") or "") for entry in session.solves} - {""})),
        "hints_used": session.hints_used,
        "hint_points": hint_points,
    }


def grade_rows(classroom: Any) -> Iterator[dict[str, Any]]:
    """Every enrolled student's grades, by user name then lab id."""
    enrollments = list(classroom.enrollments.select_related("student", "sandbox").order_by("student__username"))
    latest: dict[tuple[int, str], LabSession] = {}
    sessions = LabSession.objects.filter(sandbox_id__in=[e.sandbox_id for e in enrollments]).order_by("-id")
    for session in sessions:
        latest.setdefault((session.sandbox_id, session.lab_id), session)
    labs: dict[str, Lab | None] = {}
    for enrollment in enrollments:
        student = {"student": enrollment.student.get_username(), "account_id": enrollment.sandbox.account_id}
        mine = sorted((s for (box, _), s in latest.items() if box == enrollment.sandbox_id), key=lambda s: s.lab_id)
        if not mine:
            yield {**dict.fromkeys(GRADE_COLUMNS, ""), **student}
        for session in mine:
            if session.lab_id not in labs:
                try:
                    labs[session.lab_id] = get_lab(session.lab_id)
                except PlaygroundError:  # a lab deleted since: its session still counts
                    labs[session.lab_id] = None
            yield {**student, **session_row(session, labs[session.lab_id])}


def grades_csv(classroom: Any) -> str:
    """The classroom's grades as CSV text (a header line, then grade_rows)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=GRADE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in grade_rows(classroom):
        writer.writerow({column: _cell(row.get(column, "")) for column in GRADE_COLUMNS})
    return out.getvalue()


def grades_filename(classroom: Any) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(classroom.name)).strip("-") or "classroom"
    return f"grades-{safe[:60]}.csv"
