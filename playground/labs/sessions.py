"""Lab sessions: start (runs the steps' setup, idempotent), check (reads, changes nothing in the
sandbox), solve, reset, and the progress the instructor's dashboard shows.

Each of these publishes its live event (labs/events.py) and queues the session's webhooks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from playground.errors import PlaygroundError
from playground.gateway.calllog import call_log
from playground.labs import webhooks
from playground.labs.actions import fill_text, render, run_actions, setup_principal
from playground.labs.bundles import Check, Lab, Step, get_lab
from playground.labs.checks import CheckResult, SandboxView, evaluate
from playground.labs.events import LAB_CHECKED, LAB_COMPLETED, LAB_HINT, LAB_SOLVED, LAB_STARTED, WEBHOOK_NAMES
from playground.labs.models import LabSession
from playground.live.bus import publish
from playground.live.models import EventSequence
from playground.live.store import event_writer
from playground.sandboxes.models import Clock, Sandbox
from playground.sandboxes.services import sandbox_reset

LOG = logging.getLogger(__name__)


class LabUnavailable(PlaygroundError):
    code = "LabUnavailable"
    status = 409


class NoMoreHints(PlaygroundError):
    code = "NoMoreHints"
    status = 409


class SolveNotAllowed(PlaygroundError):
    code = "SolveNotAllowed"
    status = 403


def _clock_now(sandbox: Sandbox) -> dt.datetime:
    return Clock.current(sandbox.pk).now()


def _last_seq(sandbox: Sandbox) -> int:
    row = EventSequence.objects.filter(sandbox_id=sandbox.pk).values_list("last", flat=True).first()
    return int(row or 0)


def _initial_variables(lab: Lab, sandbox: Sandbox) -> dict[str, Any]:
    return {
        **lab.variables,
        "account_id": sandbox.account_id,
        "region": sandbox.default_region,
        "sandbox_name": sandbox.name,
        "endpoint": settings.PLAYGROUND_PUBLIC_URL.rstrip("/"),
    }


def _run_setup(session: LabSession, lab: Lab) -> None:
    variables = dict(session.variables)
    for step in lab.steps:
        if step.setup:
            run_actions(
                step.setup, sandbox=session.sandbox, variables=variables, as_lab=True, label=f"step {step.id} setup"
            )
    session.variables = variables
    session.save(update_fields=["variables"])


def _webhook_targets(session: LabSession) -> list[tuple[str, str]]:
    targets = [(session.webhook_url, session.webhook_secret)]
    enrollment = getattr(session.sandbox, "enrollment", None)
    if enrollment is not None:
        classroom = enrollment.classroom
        targets.append((classroom.webhook_url, classroom.webhook_secret))
    return [target for target in targets if target[0]]


def _announce(session: LabSession, kind: str, *, at: dt.datetime, **fields: Any) -> None:
    """Publish the live event and queue the webhooks for it."""
    publish(session.sandbox, kind, at=at.isoformat(), **fields)
    targets = _webhook_targets(session)
    if targets:
        enrollment = getattr(session.sandbox, "enrollment", None)
        payload = {
            "event": WEBHOOK_NAMES[kind],
            "at": timezone.now().isoformat(),
            "sandbox_clock": at.isoformat(),
            "session": session_summary(session),
            "sandbox": {"id": session.sandbox_id, "account_id": session.sandbox.account_id},
            "user": session.user.get_username() if session.user else None,
            "classroom": enrollment.classroom_id if enrollment is not None else None,
            "details": fields,
        }
        webhooks.send_on_commit(targets, event=WEBHOOK_NAMES[kind], payload=payload)


def _announce_start(session: LabSession, lab: Lab) -> None:
    _announce(
        session,
        LAB_STARTED.name,
        at=_clock_now(session.sandbox),
        session_id=session.pk,
        lab=lab.id,
        title=lab.title,
        steps=[step.id for step in lab.steps],
    )


def session_start(
    *,
    sandbox: Sandbox,
    lab_id: str,
    user: Any,
    webhook_url: str = "",
    webhook_secret: str = "",
    deadline: dt.datetime | None = None,
    lab: Lab | None = None,
) -> tuple[LabSession, bool]:
    """Start the lab in the sandbox, or return its session when it is already the active one
    (setup is not run again; a deadline given replaces its own). Another active lab is stopped.
    Returns (session, created). `lab` runs a bundle not stored on the server (a dry run)."""
    lab = lab or get_lab(lab_id)
    if not lab.available:
        raise LabUnavailable(f"Lab {lab.id} needs {', '.join(lab.services)}, which this server does not emulate yet.")
    try:
        with transaction.atomic():
            active = LabSession.objects.select_for_update().filter(sandbox=sandbox, status=LabSession.ACTIVE).first()
            if active is not None and active.lab_id == lab.id:
                if deadline is not None:
                    session_set_deadline(session=active, deadline=deadline)
                return active, False
            if active is not None:
                active.status = LabSession.STOPPED
                active.save(update_fields=["status"])
            # The same lab started again (after another one): it goes on where it was. What the
            # grades read comes along (steps passed, completion, solves, hints, the deadline: a
            # student does not shed a deadline or a solve by switching labs); setup runs again.
            earlier = LabSession.objects.filter(sandbox=sandbox, lab_id=lab.id).order_by("-id").first()
            session = LabSession.objects.create(
                sandbox=sandbox,
                user=user if getattr(user, "is_authenticated", False) else None,
                lab_id=lab.id,
                lab_title=lab.title,
                started_clock=_clock_now(sandbox),
                started_seq=_last_seq(sandbox),
                variables=_initial_variables(lab, sandbox),
                max_score=lab.max_score,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
                solves=list(earlier.solves) if earlier is not None else [],
                hints=dict(earlier.hints) if earlier is not None else {},
                results=dict(earlier.results) if earlier is not None else {},
                completed_at=earlier.completed_at if earlier is not None else None,
                completed_clock=earlier.completed_clock if earlier is not None else None,
                deadline=deadline if deadline is not None or earlier is None else earlier.deadline,
            )
            if earlier is not None:
                session.score = session_score(session, lab)
                session.save(update_fields=["score"])
    except IntegrityError:  # started by a concurrent request just now
        active = LabSession.objects.filter(sandbox=sandbox, status=LabSession.ACTIVE).first()
        if active is not None and active.lab_id == lab.id:
            return active, False
        raise
    try:
        _run_setup(session, lab)
    except PlaygroundError:
        session.status = LabSession.STOPPED
        session.save(update_fields=["status"])
        raise
    _announce_start(session, lab)
    return session, True


def session_reset(*, session: LabSession) -> LabSession:
    """Empty the sandbox, forget the session's progress, and run the setup again."""
    lab = get_lab(session.lab_id)
    sandbox = session.sandbox
    sandbox_reset(sandbox=sandbox)
    with transaction.atomic():
        LabSession.objects.filter(sandbox=sandbox, status=LabSession.ACTIVE).exclude(pk=session.pk).update(
            status=LabSession.STOPPED
        )
        session.status = LabSession.ACTIVE
        session.results = {}
        session.score = 0
        session.max_score = lab.max_score
        session.completed_at = None
        session.completed_clock = None
        session.started_clock = _clock_now(sandbox)
        session.started_seq = _last_seq(sandbox)
        session.variables = _initial_variables(lab, sandbox)
        session.save()
    _run_setup(session, lab)
    _announce_start(session, lab)
    return session


def session_set_deadline(*, session: LabSession, deadline: dt.datetime | None) -> LabSession:
    """Time the session: a step that first passes after `deadline` (wall time) is recorded as
    late; None untimes it. Steps already passed keep what they were recorded as."""
    if deadline is not None and timezone.is_naive(deadline):
        raise PlaygroundError("A deadline needs a time zone (2026-12-06T10:00:00Z).")
    session.deadline = deadline
    session.save(update_fields=["deadline"])
    return session


def session_stop(*, session: LabSession) -> None:
    session.status = LabSession.STOPPED
    session.save(update_fields=["status"])


def student_solve_allowed(session: LabSession, lab: Lab) -> bool:
    """Whether a student (a user who is not staff) may use solve in this session: the lab's bundle
    must allow it (`student_solve`, default true) and, in a classroom, so must the classroom's lab
    settings (default: not allowed)."""
    from playground.labs.models import ClassroomLabSettings

    if not lab.student_solve:
        return False
    enrollment = getattr(session.sandbox, "enrollment", None)
    if enrollment is None:
        return True
    return ClassroomLabSettings.objects.filter(classroom_id=enrollment.classroom_id, student_solve=True).exists()


def solve_permitted(session: LabSession, user: Any) -> None:
    """Raise SolveNotAllowed unless the user may use solve here: staff (lab authors, instructors)
    always may; a student when student_solve_allowed says so."""
    if getattr(user, "is_staff", False):
        return
    lab = get_lab(session.lab_id)
    if student_solve_allowed(session, lab):
        return
    if not lab.student_solve:
        raise SolveNotAllowed(f"Lab {lab.id} does not let students use solve: do the steps yourself.")
    raise SolveNotAllowed("Your classroom does not let students use solve: do the steps yourself.")


def session_solve(
    *, session: LabSession, step_id: str | None = None, user: Any = None, lab: Lab | None = None
) -> list[str]:
    """Do what the student would: one step's solve, or that of every step not passed yet, in order.
    Returns the ids of the steps solved. Nothing is checked: call check afterwards.

    Every step solved is recorded in the session (who, at what wall and sandbox time), so that the
    grades show which steps a solve did; it is announced as a lab.solved event."""
    lab = lab or get_lab(session.lab_id)
    steps = (
        [lab.step(step_id)] if step_id else [s for s in lab.steps if not session.results.get(s.id, {}).get("passed")]
    )
    variables = dict(session.variables)
    solved = []
    by = user.get_username() if getattr(user, "is_authenticated", False) else ""
    try:
        for step in steps:
            # Recorded before it runs: a solve that fails half-way has still done part of the step.
            session.solves = [
                *session.solves,
                {
                    "step": step.id,
                    "by": by,
                    "at": timezone.now().isoformat(),
                    "clock": _clock_now(session.sandbox).isoformat(),
                },
            ]
            run_actions(
                step.solve, sandbox=session.sandbox, variables=variables, as_lab=False, label=f"step {step.id} solve"
            )
            solved.append(step.id)
    finally:
        session.variables = variables
        session.save(update_fields=["variables", "solves"])
        if steps:
            _announce(
                session, LAB_SOLVED.name, at=_clock_now(session.sandbox), session_id=session.pk, lab=lab.id,
                steps=[step.id for step in steps][: len(solved) + 1], by=by,
            )  # fmt: skip
    return solved


# --- checking -------------------------------------------------------------------------------------


@dataclass
class StepReport:
    id: str
    title: str
    passed: bool  # now or at an earlier check
    score: int
    max_score: int
    messages: list[str]
    checks: list[dict[str, Any]]
    late: bool = False  # passed after the session's deadline

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class CheckReport:
    passed: bool  # every step checked has passed
    score: int  # the session's total
    max_score: int
    completed: bool
    messages: list[str]
    steps: list[StepReport]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "completed": self.completed,
            "messages": self.messages,
            "steps": [step.as_dict() for step in self.steps],
        }


def step_score(session: LabSession, step: Step, results: dict[str, Any] | None = None) -> int:
    """The step's points: its checks' best, less what the hints revealed for it cost (not below 0)."""
    entry = (session.results if results is None else results).get(step.id, {})
    revealed = int(session.hints.get(step.id, 0))
    return max(0, int(entry.get("score", 0)) - step.hint_penalty(revealed))


def session_score(session: LabSession, lab: Lab) -> int:
    return sum(step_score(session, step) for step in lab.steps)


def _rendered(check: Check, variables: dict[str, Any]) -> Check:
    return dataclasses.replace(check, spec=render(check.spec, variables), message=fill_text(check.message, variables))


def session_check(*, session: LabSession, step_id: str | None = None, lab: Lab | None = None) -> CheckReport:
    """Evaluate the checks of one step, or of every step. Reads the sandbox and records the results
    in the session; a step that passed once stays passed."""
    lab = lab or get_lab(session.lab_id)
    steps = [lab.step(step_id)] if step_id else list(lab.steps)
    # Calls and events this process made are written off the request path: let them land first.
    call_log().flush(timeout=2.0)
    event_writer().flush(timeout=2.0)
    sandbox = session.sandbox
    now = _clock_now(sandbox)
    view = SandboxView(
        sandbox=sandbox,
        now=now,
        since_clock=session.started_clock,
        since_seq=session.started_seq,
        setup_principal=setup_principal(sandbox),
    )
    reports = []
    wall_now = timezone.now()
    wall = wall_now.isoformat()
    results = dict(session.results)
    for step in steps:
        outcomes: list[CheckResult] = [evaluate(_rendered(check, session.variables), view) for check in step.checks]
        passed_now = all(outcome.passed for outcome in outcomes)
        score_now = sum(outcome.score for outcome in outcomes)
        before = results.get(step.id, {})
        passed = passed_now or bool(before.get("passed"))
        score = max(score_now, int(before.get("score", 0)))
        checks = [outcome.as_dict() for outcome in outcomes]
        first_pass = passed_now and not before.get("passed_at")
        late = bool(before.get("late")) or bool(first_pass and session.deadline and wall_now > session.deadline)
        results[step.id] = {
            "passed": passed,
            "score": score,  # the checks' points; revealed hints' costs come off in step_score
            "max_score": step.max_score,
            "checks": checks,
            "checked_at": wall,
            "passed_at": wall if first_pass else before.get("passed_at"),
            "passed_clock": now.isoformat() if first_pass else before.get("passed_clock"),
            "late": late,
        }
        messages = [outcome.message for outcome in outcomes if not outcome.passed and not passed]
        points = step_score(session, step, results)
        reports.append(StepReport(step.id, step.title, passed, points, step.max_score, messages, checks, late))
    session.results = results
    session.score = session_score(session, lab)
    session.max_score = lab.max_score
    newly_completed = not session.completed and all(results.get(s.id, {}).get("passed") for s in lab.steps)
    if newly_completed:
        session.completed_at = timezone.now()
        session.completed_clock = now
    with transaction.atomic():
        session.save(update_fields=["results", "score", "max_score", "completed_at", "completed_clock"])
        for report in reports:
            _announce(
                session,
                LAB_CHECKED.name,
                at=now,
                session_id=session.pk,
                lab=lab.id,
                step=report.id,
                passed=report.passed,
                score=report.score,
                max_score=report.max_score,
                messages=report.messages,
                late=report.late,
                session_score=session.score,
                session_max_score=session.max_score,
            )
        if newly_completed:
            _announce(
                session, LAB_COMPLETED.name, at=now, session_id=session.pk, lab=lab.id,
                score=session.score, max_score=session.max_score,
            )  # fmt: skip
    return CheckReport(
        passed=all(report.passed for report in reports),
        score=session.score,
        max_score=session.max_score,
        completed=session.completed,
        messages=[message for report in reports for message in report.messages],
        steps=reports,
    )


# --- what the API and the dashboard show ----------------------------------------------------------


def session_hint(*, session: LabSession, step_id: str, endpoint: str = "") -> dict[str, Any]:
    """Reveal the step's next hint: recorded in the session (its cost comes off the step's points
    from now on) and announced as lab.hint. NoMoreHints once all are shown."""
    lab = get_lab(session.lab_id)
    step = lab.step(step_id)
    with transaction.atomic():
        locked = LabSession.objects.select_for_update().get(pk=session.pk)
        shown = int(locked.hints.get(step.id, 0))
        if shown >= len(step.hints):
            raise NoMoreHints(
                f"Step {step.id} has no more hints ({len(step.hints)} shown)."
                if step.hints
                else f"Step {step.id} has no hints."
            )
        locked.hints = {**locked.hints, step.id: shown + 1}
        locked.score = session_score(locked, lab)
        locked.save(update_fields=["hints", "score"])
        session.hints, session.score = locked.hints, locked.score
        _announce(
            session, LAB_HINT.name, at=_clock_now(session.sandbox), session_id=session.pk, lab=lab.id,
            step=step.id, hints_shown=shown + 1, cost=step.hint_costs[shown], session_score=session.score,
        )  # fmt: skip
    return {
        "step": step.id,
        "number": shown + 1,
        "text": fill_text(step.hints[shown], _display_variables(session, endpoint)),
        "cost": step.hint_costs[shown],
        "remaining": len(step.hints) - shown - 1,
    }


def _display_variables(session: LabSession, endpoint: str) -> dict[str, Any]:
    variables = dict(session.variables)
    if endpoint:
        variables["endpoint"] = endpoint
    return variables


def session_summary(session: LabSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "sandbox": session.sandbox_id,
        "lab": session.lab_id,
        "title": session.lab_title,
        "status": session.status,
        "score": session.score,
        "max_score": session.max_score,
        "completed": session.completed,
        "steps_passed": sum(1 for entry in session.results.values() if entry.get("passed")),
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "completed_at": session.completed_at.isoformat() if session.completed_at else None,
        "completed_clock": session.completed_clock.isoformat() if session.completed_clock else None,
        "deadline": session.deadline.isoformat() if session.deadline else None,
        "late": bool(session.late_steps),
        "late_steps": session.late_steps,
        "hints_used": session.hints_used,
        "solved_by_solve": bool(session.solves),
        "solved_steps": session.solved_steps,
        "solves": list(session.solves),
    }


def session_detail(session: LabSession, *, endpoint: str = "") -> dict[str, Any]:
    """The session with its lab's steps as the student's side panel shows them: instructions and
    the hints revealed so far with {{variables}} filled in (the sandbox's account, region, the
    lab's values and what its setup saved; `endpoint`, the address the student reached us on),
    and how many hints are left with the next one's cost."""
    summary = session_summary(session)
    try:
        lab = get_lab(session.lab_id)
    except PlaygroundError:
        return {**summary, "steps": [], "steps_total": 0}
    variables = _display_variables(session, endpoint)
    steps = []
    for step in lab.steps:
        entry = session.results.get(step.id, {})
        shown = min(int(session.hints.get(step.id, 0)), len(step.hints))
        steps.append(
            {
                "id": step.id,
                "title": step.title,
                "instructions": fill_text(step.instructions, variables),
                "hints": [fill_text(hint, variables) for hint in step.hints[:shown]],
                "hints_total": len(step.hints),
                "next_hint_cost": step.hint_costs[shown] if shown < len(step.hints) else None,
                "hint_penalty": step.hint_penalty(shown),
                "max_score": step.max_score,
                "passed": bool(entry.get("passed")),
                "score": step_score(session, step),
                "checks": entry.get("checks", []),
                "checked_at": entry.get("checked_at"),
                "passed_at": entry.get("passed_at"),
                "late": bool(entry.get("late")),
                "solved_by_solve": step.id in session.solved_steps,
            }
        )
    return {**summary, "steps_total": len(lab.steps), "summary": lab.summary, "steps": steps}


def progress_by_sandbox(sandbox_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """For each sandbox, the latest session of every lab it has started."""
    progress: dict[int, dict[str, dict[str, Any]]] = {}
    totals: dict[str, int] = {}
    for session in LabSession.objects.filter(sandbox_id__in=list(sandbox_ids)).order_by("-id"):
        labs = progress.setdefault(session.sandbox_id, {})
        if session.lab_id in labs:
            continue
        if session.lab_id not in totals:
            try:
                totals[session.lab_id] = len(get_lab(session.lab_id).steps)
            except PlaygroundError:
                totals[session.lab_id] = 0
        labs[session.lab_id] = {**session_summary(session), "steps_total": totals[session.lab_id]}
    return {sandbox_id: sorted(labs.values(), key=lambda item: item["lab"]) for sandbox_id, labs in progress.items()}
