"""SQS errors, named after the model's error shapes (the json protocol's awsQueryCompatible header
and the query protocol turn them into the legacy codes: QueueDoesNotExist ->
AWS.SimpleQueueService.NonExistentQueue, QueueNameExists -> QueueAlreadyExists, ...). Errors the
model does not list (InvalidParameterValue, MissingParameter, ...) travel under their own code."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class SqsError(AwsError):
    status = 400


class InvalidParameterValue(SqsError):
    code = "InvalidParameterValue"


class MissingParameter(SqsError):
    code = "MissingParameter"


class InvalidAttributeName(SqsError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(SqsError):
    code = "InvalidAttributeValue"


class InvalidAddress(SqsError):
    code = "InvalidAddress"
    status = 404


class QueueDoesNotExist(SqsError):
    code = "QueueDoesNotExist"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueDeletedRecently(SqsError):
    code = "QueueDeletedRecently"


class QueueNameExists(SqsError):
    code = "QueueNameExists"


class ReceiptHandleIsInvalid(SqsError):
    code = "ReceiptHandleIsInvalid"
    status = 404


class MessageNotInflight(SqsError):
    code = "MessageNotInflight"


class PurgeQueueInProgress(SqsError):
    code = "PurgeQueueInProgress"
    status = 403


class OverLimit(SqsError):
    code = "OverLimit"
    status = 403


class InvalidMessageContents(SqsError):
    code = "InvalidMessageContents"


class BatchEntryIdsNotDistinct(SqsError):
    code = "BatchEntryIdsNotDistinct"


class TooManyEntriesInBatchRequest(SqsError):
    code = "TooManyEntriesInBatchRequest"


class EmptyBatchRequest(SqsError):
    code = "EmptyBatchRequest"


class BatchRequestTooLong(SqsError):
    code = "BatchRequestTooLong"


class InvalidBatchEntryId(SqsError):
    code = "InvalidBatchEntryId"


class ResourceNotFoundException(SqsError):
    code = "ResourceNotFoundException"
    status = 404


class UnsupportedOperation(SqsError):
    code = "UnsupportedOperation"


# The model's Kms* shapes: a KMS error met while sealing or opening a message body (KmsError codes
# mapped by services.kms.sse.SQS_ERRORS); the gateway sends them as KMS.DisabledException and so on.
class KmsDisabled(SqsError):
    code = "KmsDisabled"


class KmsNotFound(SqsError):
    code = "KmsNotFound"


class KmsInvalidState(SqsError):
    code = "KmsInvalidState"


class KmsInvalidKeyUsage(SqsError):
    code = "KmsInvalidKeyUsage"


class KmsAccessDenied(SqsError):
    code = "KmsAccessDenied"


KMS_ERRORS: dict[str, type[SqsError]] = {
    error.code: error for error in (KmsDisabled, KmsNotFound, KmsInvalidState, KmsInvalidKeyUsage, KmsAccessDenied)
}


def invalid_parameter(name: str, value: object, reason: str) -> InvalidParameterValue:
    """AWS's usual wording: "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: ..."."""
    return InvalidParameterValue(f"Value {value} for parameter {name} is invalid. Reason: {reason}")
