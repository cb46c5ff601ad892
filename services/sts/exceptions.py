from __future__ import annotations

from playground.gateway.errors import AwsError


class AccessDenied(AwsError):
    code = "AccessDenied"
    status = 403


class ValidationError(AwsError):
    code = "ValidationError"
    status = 400
