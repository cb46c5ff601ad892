"""A lab author's dry run: a bundle's setup, checks and solve, run in a scratch sandbox made for it
and deleted afterwards (POST /api/lab-dry-runs/).

The run starts a session (every step's setup), checks every step once before anything is solved,
then for each step in order runs its solve and checks it. The report says, per step, whether it
passed before its solve (a student would get those points for nothing: a warning, unless the step
has no solve, which is how a bundle gives points for what its setup made), whether its solve ran,
and whether it passed after; `ok` is true when the setup ran and every step passed after its solve.
"""

from __future__ import annotations

import logging
from typing import Any

from playground.errors import PlaygroundError
from playground.gateway.calllog import call_log
from playground.labs.bundles import Lab
from playground.labs.sessions import LabUnavailable, session_check, session_solve, session_start
from playground.live.store import event_writer
from playground.sandboxes.services import sandbox_create, sandbox_delete

LOG = logging.getLogger(__name__)


def _failed_checks(report_step: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": check["id"], "kind": check["kind"], "message": check["message"]}
        for check in report_step["checks"]
        if not check["passed"]
    ]


def dry_run(lab: Lab, *, user: Any) -> dict[str, Any]:
    """Run the lab in a scratch sandbox and report; the sandbox is deleted whatever happens."""
    if not lab.available:
        raise LabUnavailable(f"Lab {lab.id} needs {', '.join(lab.services)}, which this server does not emulate yet.")
    sandbox, _, _ = sandbox_create(name=f"dry run of {lab.id}"[:100])
    report: dict[str, Any] = {
        "lab": lab.id,
        "title": lab.title,
        "ok": False,
        "setup": {"ok": False, "error": ""},
        "steps": [],
        "warnings": [],
        "score": 0,
        "max_score": lab.max_score,
    }
    try:
        try:
            session, _ = session_start(sandbox=sandbox, lab_id=lab.id, user=user, lab=lab)
        except PlaygroundError as problem:
            report["setup"]["error"] = problem.message
            return report
        report["setup"]["ok"] = True
        before = {step.id: step for step in session_check(session=session, lab=lab).steps}
        all_passed = True
        for step in lab.steps:
            entry: dict[str, Any] = {
                "id": step.id,
                "title": step.title,
                "passed_before_solve": before[step.id].passed,
                "solve": {"ran": False, "ok": None, "error": ""},
                "passed": False,
                "score": 0,
                "max_score": step.max_score,
                "failed_checks": [],
            }
            if step.solve:
                entry["solve"]["ran"] = True
                try:
                    session_solve(session=session, step_id=step.id, user=user, lab=lab)
                    entry["solve"]["ok"] = True
                except PlaygroundError as problem:
                    entry["solve"]["ok"] = False
                    entry["solve"]["error"] = problem.message
                if before[step.id].passed:
                    report["warnings"].append(
                        f"step {step.id} passes before its solve: a student gets its points without doing it."
                    )
            elif not before[step.id].passed:
                report["warnings"].append(f"step {step.id} has no solve, and its checks do not pass after the setup.")
            checked = session_check(session=session, step_id=step.id, lab=lab).steps[0].as_dict()
            entry["passed"] = checked["passed"]
            entry["score"] = checked["score"]
            entry["failed_checks"] = [] if checked["passed"] else _failed_checks(checked)
            all_passed = all_passed and checked["passed"] and entry["solve"]["ok"] is not False
            report["steps"].append(entry)
        report["score"] = session_check(session=session, lab=lab).score
        report["ok"] = all_passed
        return report
    finally:
        # What the run's calls and events left to be written lands before its sandbox goes.
        call_log().flush(timeout=2.0)
        event_writer().flush(timeout=2.0)
        sandbox_delete(sandbox=sandbox)
