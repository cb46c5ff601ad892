"""Firehose errors, named after the model's error shapes. The JSON 1.1 protocol sends the code as
`__type` and the message as `message`; as AWS's API reference lists them, every one is HTTP 400
but ServiceUnavailableException (503)."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class FirehoseError(AwsError):
    status = 400


class ResourceNotFoundException(FirehoseError):
    code = "ResourceNotFoundException"


class ResourceInUseException(FirehoseError):
    code = "ResourceInUseException"


class InvalidArgumentException(FirehoseError):
    code = "InvalidArgumentException"


class LimitExceededException(FirehoseError):
    code = "LimitExceededException"


class ConcurrentModificationException(FirehoseError):
    code = "ConcurrentModificationException"


class InvalidKMSResourceException(FirehoseError):
    """A KMS key that cannot be used; the shape's `code` member carries KMS's own error code."""

    code = "InvalidKMSResourceException"


class InvalidSourceException(FirehoseError):
    code = "InvalidSourceException"


class ServiceUnavailableException(FirehoseError):
    code = "ServiceUnavailableException"
    status = 503
    sender_fault = False
