"""Every REST API error as {"code", "message"} with an HTTP status, whatever raised it:

AwsError (the /aws/ door)      the AWS error code and message, with the error's HTTP status
                               (NotImplemented for an operation not emulated: 404)
PlaygroundError (domain)       its code, message and status (400 unless it says)
DRF's own (validation, auth)   code from DRF, message flattened from its detail, and the
                               detail itself under "detail"
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from playground.errors import PlaygroundError
from playground.gateway.errors import AwsError


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            lines.extend(_flatten(value, f"{prefix}{key}: " if key != "non_field_errors" else prefix))
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    return [f"{prefix}{detail}"]


def aws_error_response(error: AwsError) -> Response:
    status = 404 if error.status == 501 else error.status
    return Response({"code": error.code, "message": error.message}, status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, AwsError):
        return aws_error_response(exc)
    if isinstance(exc, PlaygroundError):
        return Response({"code": exc.code, "message": exc.message}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = (
            codes if isinstance(codes, str) else ("invalid" if isinstance(exc, exceptions.ValidationError) else "error")
        )
        response.data = {"code": code, "message": " ".join(_flatten(exc.detail)), "detail": exc.detail}
    return response
