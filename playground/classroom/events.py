"""What the classroom tells the dashboards of its instructors over their WebSocket, besides the
students' own sandbox events (which the dashboard consumer hears from each sandbox's group).

Every message to a classroom's group (`classroom.group_name`) is a JSON object with `type`:

    classroom.roster   a student joined, was imported or was removed (the consumer re-joins the
                       students' sandbox groups; the dashboard reloads its rows)
    classroom.ended    the timed session ended: the sandboxes were frozen or reset (the
                       dashboard reloads the page, whose timer section says so)

And the live events a student's sandbox receives (its GUI shows them; the dashboards hear them
through the sandbox's group too):

    classroom.broadcast  the instructor's message to every student: id, message, sender, sent_at (wall)
    classroom.hand       the student's hand went up or down: raised, raised_at (wall), note, by (who
                         lowered it: the student, or the instructor who saw to it)
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from playground.classroom.models import Classroom
from playground.live.bus import send_now
from playground.live.events import event_type
from playground.sandboxes.models import wall_now

ROSTER = "classroom.roster"
ENDED = "classroom.ended"

BROADCAST = event_type(
    "classroom.broadcast", ("id", "message", "sender", "sent_at"), "The instructor's message to every student."
)
HAND = event_type(
    "classroom.hand", ("raised", "raised_at", "note", "by"), "The student raised or lowered their hand for help."
)


def tell_dashboards(classroom: Classroom, kind: str, **fields: Any) -> None:
    """Send the classroom's dashboards a message once the current transaction commits."""
    event = {"type": kind, "classroom": classroom.pk, "at": wall_now().isoformat(), **fields}
    group = classroom.group_name
    transaction.on_commit(lambda: send_now(group, event))
