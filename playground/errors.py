"""Refusals of the platform's domain functions (sandboxes, keys, classrooms, labs), each with a code
and a message a person can act on. The REST API answers them as HTTP 400 (or the status given)
with {"code", "message"}; the GUI shows the message.

AWS operations refuse with playground.gateway.errors.AwsError instead, in the wire protocol's form.
"""

from __future__ import annotations

from typing import ClassVar


class PlaygroundError(Exception):
    code: ClassVar[str] = "InvalidRequest"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitReached(PlaygroundError):
    code = "LimitExceeded"
    status = 403


class NotAllowed(PlaygroundError):
    code = "NotAllowed"
    status = 403
