"""The live events of lab sessions (sent to the sandbox's WebSocket, kept for /events/, and POSTed
to the session's or classroom's webhook under the names in WEBHOOK_NAMES).

    lab.started    a session started (or was reset): its lab, title and step ids
    lab.checked    a step was checked: passed, score and max_score of the step, the failed checks'
                   messages, whether it passed after the session's deadline (late), and the
                   session's total score
    lab.completed  every step of the session has passed
    lab.hint       a hint was revealed: the step, how many of its hints are shown, the cost
    lab.solved     solve did steps of the session: their ids, and who asked
"""

from __future__ import annotations

from playground.live.events import event_type

LAB_STARTED = event_type(
    "lab.started", ("session_id", "lab", "title", "steps"), "A lab session started in the sandbox (or was reset)."
)
LAB_CHECKED = event_type(
    "lab.checked",
    (
        "session_id",
        "lab",
        "step",
        "passed",
        "score",
        "max_score",
        "messages",
        "late",
        "session_score",
        "session_max_score",
    ),
    "A step of the sandbox's lab session was checked.",
)
LAB_COMPLETED = event_type(
    "lab.completed", ("session_id", "lab", "score", "max_score"), "Every step of the lab session has passed."
)

LAB_SOLVED = event_type(
    "lab.solved", ("session_id", "lab", "steps", "by"), "Solve did steps of the lab session (recorded in its grades)."
)

LAB_HINT = event_type(
    "lab.hint",
    ("session_id", "lab", "step", "hints_shown", "cost", "session_score"),
    "A hint of a step of the lab session was revealed.",
)

# The names webhooks carry, as the issue and LMS integrations know them.
WEBHOOK_NAMES = {
    LAB_STARTED.name: "session.started",
    LAB_CHECKED.name: "step.checked",
    LAB_COMPLETED.name: "lab.completed",
    LAB_SOLVED.name: "step.solved",
    LAB_HINT.name: "hint.revealed",
}
