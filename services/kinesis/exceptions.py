"""Kinesis errors, named after the model's error shapes. The JSON 1.1 protocol sends the code as
`__type` and the message as `message`; every one is HTTP 400, as AWS's API reference lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.gateway.errors import AwsError

if TYPE_CHECKING:
    from services.kinesis.models import Stream


class KinesisError(AwsError):
    status = 400


class ResourceNotFoundException(KinesisError):
    code = "ResourceNotFoundException"


class ResourceInUseException(KinesisError):
    code = "ResourceInUseException"


class InvalidArgumentException(KinesisError):
    code = "InvalidArgumentException"


class LimitExceededException(KinesisError):
    code = "LimitExceededException"


class ExpiredIteratorException(KinesisError):
    code = "ExpiredIteratorException"


class ExpiredNextTokenException(KinesisError):
    code = "ExpiredNextTokenException"


class ProvisionedThroughputExceededException(KinesisError):
    code = "ProvisionedThroughputExceededException"


class ShardThrottled(ProvisionedThroughputExceededException):
    """A PutRecord or GetRecords refused whole for its shard's limit: the call's transaction rolls
    back, so the provider counts the refusal (metric, live event) afterwards from what this carries."""

    def __init__(self, message: str, *, stream: Stream, shard_id: str, operation: str) -> None:
        super().__init__(message)
        self.stream, self.shard_id, self.operation = stream, shard_id, operation


class ValidationException(KinesisError):
    code = "ValidationException"


class KMSNotFoundException(KinesisError):
    code = "KMSNotFoundException"


class KMSDisabledException(KinesisError):
    code = "KMSDisabledException"


class KMSInvalidStateException(KinesisError):
    code = "KMSInvalidStateException"


class KMSAccessDeniedException(KinesisError):
    code = "KMSAccessDeniedException"


# A KMS error's code (services.kms.public.KmsError) -> the model's KMS* shape Kinesis answers with.
KMS_ERRORS: dict[str, type[KinesisError]] = {
    "DisabledException": KMSDisabledException,
    "NotFoundException": KMSNotFoundException,
    "KMSInvalidStateException": KMSInvalidStateException,
    "InvalidKeyUsageException": KMSInvalidStateException,
    "AccessDeniedException": KMSAccessDeniedException,
}
