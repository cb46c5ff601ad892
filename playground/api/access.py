"""The REST views' way to the sandbox or session a URL names, with the caller's role in it.

Anything the caller may not see answers 404, as if it did not exist; an instructor asking for what
only the owner may do (AWS calls, secrets, deleting) gets 403.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from playground.classroom.models import Classroom
from playground.labs.models import LabSession
from playground.sandboxes.access import Role, sandbox_for
from playground.sandboxes.models import Sandbox


def sandbox_or_404(request: Request, sandbox_id: int, *, owner_only: bool = False) -> tuple[Sandbox, Role]:
    found = sandbox_for(request.user, sandbox_id)
    if found is None:
        raise NotFound("There is no such sandbox.")
    sandbox, role = found
    if owner_only and role != Role.OWNER:
        raise PermissionDenied("An instructor looks at a student's sandbox read-only; only its owner may do this.")
    return sandbox, role


def session_or_404(request: Request, session_id: int, *, owner_only: bool = False) -> tuple[LabSession, Role]:
    session = LabSession.objects.select_related("sandbox", "user").filter(pk=session_id).first()
    if session is None:
        raise NotFound("There is no such lab session.")
    _, role = sandbox_or_404(request, session.sandbox_id, owner_only=owner_only)
    return session, role


def taught_classroom_or_404(request: Request, classroom_id: int) -> Classroom:
    classroom = Classroom.objects.filter(pk=classroom_id, instructors=request.user).first()
    if classroom is None:
        raise NotFound("There is no such classroom.")
    return classroom
