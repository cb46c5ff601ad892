"""Refusals of the classroom's domain functions (playground/errors.py has the base class)."""

from __future__ import annotations

from playground.errors import PlaygroundError


class JoinRefused(PlaygroundError):
    code = "JoinRefused"


class ImportProblem(PlaygroundError):
    """A CSV import that cannot be done; nothing was created."""

    code = "InvalidCsv"


class ClockHeld(PlaygroundError):
    """A student's clock action while their instructor holds the class clock."""

    code = "ClockHeldByInstructor"
    status = 403


class NoSuchStudent(PlaygroundError):
    code = "NotFound"
    status = 404


class BroadcastRefused(PlaygroundError):
    code = "InvalidMessage"


class PasswordRefused(PlaygroundError):
    code = "NotAllowed"
    status = 403


class SandboxFrozen(PlaygroundError):
    """The owner's change to a sandbox frozen at the end of a timed class session."""

    code = "SandboxFrozen"
    status = 403


class SessionTimerRefused(PlaygroundError):
    code = "InvalidRequest"
