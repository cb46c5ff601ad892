"""Who may see and change which sandbox. Every front door (GUI pages, WebSocket, REST API) asks here.

    owner       the sandbox's user: everything (AWS calls, keys, labs, clock, reset, delete)
    instructor  an instructor of the classroom the sandbox is enrolled in: looks at it read-only
                (graph, events, calls, lab progress, credentials without secrets) and manages it
                (reset, clock); never makes AWS calls in it nor sees its secrets
    None        anyone else: the sandbox does not exist for them (404, never 403, so that ids of
                other students' sandboxes cannot be probed)

The AWS API needs none of this: a request's access key names its sandbox, and the gateway never
reads another sandbox's rows.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from playground.sandboxes.models import Sandbox


class Role(enum.StrEnum):
    OWNER = "owner"
    INSTRUCTOR = "instructor"


def visible_sandboxes(user: Any) -> QuerySet[Sandbox]:
    """The sandboxes the user owns or teaches."""
    if not user or not user.is_authenticated:
        return Sandbox.objects.none()
    taught = Sandbox.objects.filter(enrollment__classroom__instructors=user).values("pk")
    return Sandbox.objects.filter(Q(owner=user) | Q(pk__in=taught))


def sandbox_role(user: Any, sandbox: Sandbox) -> Role | None:
    if not user or not user.is_authenticated:
        return None
    if sandbox.owner_id is not None and sandbox.owner_id == user.pk:
        return Role.OWNER
    if Sandbox.objects.filter(pk=sandbox.pk, enrollment__classroom__instructors=user).exists():
        return Role.INSTRUCTOR
    return None


def sandbox_for(user: Any, sandbox_id: int) -> tuple[Sandbox, Role] | None:
    """The sandbox with the user's role in it, or None when it does not exist for this user."""
    sandbox = Sandbox.objects.filter(pk=sandbox_id).select_related("owner").first()
    if sandbox is None:
        return None
    role = sandbox_role(user, sandbox)
    return (sandbox, role) if role else None


def is_instructor(user: Any) -> bool:
    """May create classrooms: staff users."""
    return bool(user and user.is_authenticated and user.is_staff)
