"""CloudWatch Logs errors, named after the model's error shapes. The JSON 1.1 protocol sends the
code as `__type` and the message as `message`; every one is HTTP 400, as AWS answers them."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class LogsError(AwsError):
    status = 400


class InvalidParameterException(LogsError):
    code = "InvalidParameterException"


class ResourceNotFoundException(LogsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(LogsError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(LogsError):
    code = "LimitExceededException"


class OperationAbortedException(LogsError):
    code = "OperationAbortedException"


class InvalidOperationException(LogsError):
    code = "InvalidOperationException"


class MalformedQueryException(LogsError):
    code = "MalformedQueryException"


class TooManyTagsException(LogsError):
    code = "TooManyTagsException"


class ValidationException(LogsError):
    code = "ValidationException"


def group_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("The specified log group does not exist.")


def stream_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("The specified log stream does not exist.")


def validation(value: object, path: str, constraint: str) -> InvalidParameterException:
    """AWS's wording for a parameter that breaks a constraint of the model."""
    shown = "null" if value is None else f"'{value}'"
    return InvalidParameterException(
        f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: {constraint}"
    )
