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

from django.db import IntegrityError, transaction
from django.utils import timezone

from playground.errors import PlaygroundError
from playground.gateway.calllog import call_log
from playground.labs import webhooks
from playground.labs.actions import render, run_actions, setup_principal
from playground.labs.bundles import Check, Lab, get_lab
from playground.labs.checks import CheckResult, SandboxView, evaluate
from playground.labs.events import LAB_CHECKED, LAB_COMPLETED, LAB_STARTED, WEBHOOK_NAMES
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
    *, sandbox: Sandbox, lab_id: str, user: Any, webhook_url: str = "", webhook_secret: str = ""
) -> tuple[LabSession, bool]:
    """Start the lab in the sandbox, or return its session when it is already the active one
    (setup is not run again). Another active lab is stopped. Returns (session, created)."""
    lab = get_lab(lab_id)
    if not lab.available:
        raise LabUnavailable(f"Lab {lab.id} needs {', '.join(lab.services)}, which this server does not emulate yet.")
    try:
        with transaction.atomic():
            active = LabSession.objects.select_for_update().filter(sandbox=sandbox, status=LabSession.ACTIVE).first()
            if active is not None and active.lab_id == lab.id:
                return active, False
            if active is not None:
                active.status = LabSession.STOPPED
                active.save(update_fields=["status"])
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
            )
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
        session.started_clock = _clock_now(sandbox)
        session.started_seq = _last_seq(sandbox)
        session.variables = _initial_variables(lab, sandbox)
        session.save()
    _run_setup(session, lab)
    _announce_start(session, lab)
    return session


def session_stop(*, session: LabSession) -> None:
    session.status = LabSession.STOPPED
    session.save(update_fields=["status"])


def session_solve(*, session: LabSession, step_id: str | None = None) -> list[str]:
    """Do what the student would: one step's solve, or that of every step not passed yet, in order.
    Returns the ids of the steps solved. Nothing is checked: call check afterwards."""
    lab = get_lab(session.lab_id)
    steps = (
        [lab.step(step_id)] if step_id else [s for s in lab.steps if not session.results.get(s.id, {}).get("passed")]
    )
    variables = dict(session.variables)
    solved = []
    try:
        for step in steps:
            run_actions(
                step.solve, sandbox=session.sandbox, variables=variables, as_lab=False, label=f"step {step.id} solve"
            )
            solved.append(step.id)
    finally:
        session.variables = variables
        session.save(update_fields=["variables"])
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


def _rendered(check: Check, variables: dict[str, Any]) -> Check:
    return dataclasses.replace(check, spec=render(check.spec, variables))


def session_check(*, session: LabSession, step_id: str | None = None) -> CheckReport:
    """Evaluate the checks of one step, or of every step. Reads the sandbox and records the results
    in the session; a step that passed once stays passed."""
    lab = get_lab(session.lab_id)
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
    wall = timezone.now().isoformat()
    results = dict(session.results)
    for step in steps:
        outcomes: list[CheckResult] = [evaluate(_rendered(check, session.variables), view) for check in step.checks]
        passed_now = all(outcome.passed for outcome in outcomes)
        score_now = sum(outcome.score for outcome in outcomes)
        before = results.get(step.id, {})
        passed = passed_now or bool(before.get("passed"))
        score = max(score_now, int(before.get("score", 0)))
        checks = [outcome.as_dict() for outcome in outcomes]
        results[step.id] = {
            "passed": passed,
            "score": score,
            "max_score": step.max_score,
            "checks": checks,
            "checked_at": wall,
            "passed_at": before.get("passed_at") or (wall if passed_now else None),
        }
        messages = [outcome.message for outcome in outcomes if not outcome.passed and not passed]
        reports.append(StepReport(step.id, step.title, passed, score, step.max_score, messages, checks))
    known = {step.id for step in lab.steps}
    session.results = results
    session.score = sum(int(entry.get("score", 0)) for key, entry in results.items() if key in known)
    session.max_score = lab.max_score
    newly_completed = not session.completed and all(results.get(s.id, {}).get("passed") for s in lab.steps)
    if newly_completed:
        session.completed_at = timezone.now()
    with transaction.atomic():
        session.save(update_fields=["results", "score", "max_score", "completed_at"])
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
    }


def session_detail(session: LabSession) -> dict[str, Any]:
    """The session with its lab's steps as the student's side panel shows them."""
    summary = session_summary(session)
    try:
        lab = get_lab(session.lab_id)
    except PlaygroundError:
        return {**summary, "steps": [], "steps_total": 0}
    steps = []
    for step in lab.steps:
        entry = session.results.get(step.id, {})
        steps.append(
            {
                "id": step.id,
                "title": step.title,
                "instructions": step.instructions,
                "hints": list(step.hints),
                "max_score": step.max_score,
                "passed": bool(entry.get("passed")),
                "score": int(entry.get("score", 0)),
                "checks": entry.get("checks", []),
                "checked_at": entry.get("checked_at"),
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
