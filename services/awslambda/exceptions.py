"""Lambda errors, named after the model's error shapes, with the statuses of AWS's API reference.
The REST-JSON protocol sends the code as `x-amzn-ErrorType` and `Type`/`message` in the body."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceConflictException(AwsError):
    code = "ResourceConflictException"
    status = 409


class InvalidParameterValueException(AwsError):
    code = "InvalidParameterValueException"
    status = 400


class ValidationException(AwsError):
    code = "ValidationException"
    status = 400


class CodeStorageExceededException(AwsError):
    code = "CodeStorageExceededException"
    status = 400


class RequestTooLargeException(AwsError):
    code = "RequestTooLargeException"
    status = 413


class TooManyRequestsException(AwsError):
    code = "TooManyRequestsException"
    status = 429


class PreconditionFailedException(AwsError):
    code = "PreconditionFailedException"
    status = 412


class ResourceNotReadyException(AwsError):
    code = "ResourceNotReadyException"
    status = 502


class ResourceInUseException(AwsError):
    code = "ResourceInUseException"
    status = 400


class PolicyLengthExceededException(AwsError):
    code = "PolicyLengthExceededException"
    status = 400
