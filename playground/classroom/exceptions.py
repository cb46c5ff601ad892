"""Refusals of the classroom's domain functions, each with a code and a message a person can act on.
The REST API answers them as HTTP 400 (or the status given) with {"code", "message"}."""

from __future__ import annotations

from typing import ClassVar


class PlaygroundError(Exception):
    code: ClassVar[str] = "InvalidRequest"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JoinRefused(PlaygroundError):
    code = "JoinRefused"


class ImportProblem(PlaygroundError):
    """A CSV import that cannot be done; nothing was created."""

    code = "InvalidCsv"


class LimitReached(PlaygroundError):
    code = "LimitExceeded"
    status = 403


class NotAllowed(PlaygroundError):
    code = "NotAllowed"
    status = 403
