"""SNS errors, named after the error shapes of botocore's sns model; `code` is the shape's query
code (InvalidParameterException -> InvalidParameter), which is what the query protocol sends and
what boto3 reports as Error.Code.

AWS words most SNS refusals "Invalid parameter: <what>[ Reason: <why>]"; `invalid_parameter` writes
them that way.
"""

from __future__ import annotations

from playground.gateway.errors import AwsError


class SnsError(AwsError):
    status = 400


class InvalidParameterException(SnsError):
    code = "InvalidParameter"


class InvalidParameterValueException(SnsError):
    code = "ParameterValueInvalid"


class NotFoundException(SnsError):
    code = "NotFound"
    status = 404


class ResourceNotFoundException(SnsError):
    code = "ResourceNotFound"
    status = 404


class AuthorizationErrorException(SnsError):
    code = "AuthorizationError"
    status = 403


class InvalidStateException(SnsError):
    code = "InvalidState"


class TopicLimitExceededException(SnsError):
    code = "TopicLimitExceeded"
    status = 403


class SubscriptionLimitExceededException(SnsError):
    code = "SubscriptionLimitExceeded"
    status = 403


class FilterPolicyLimitExceededException(SnsError):
    code = "FilterPolicyLimitExceeded"
    status = 403


class TagLimitExceededException(SnsError):
    code = "TagLimitExceeded"


class TagPolicyException(SnsError):
    code = "TagPolicy"


class EndpointDisabledException(SnsError):
    code = "EndpointDisabled"


class PlatformApplicationDisabledException(SnsError):
    code = "PlatformApplicationDisabled"


class OptedOutException(SnsError):
    code = "OptedOut"


class UserErrorException(SnsError):
    code = "UserError"


class VerificationException(SnsError):
    code = "VerificationException"

    def __init__(self, message: str, *, status: str = "Pending") -> None:
        super().__init__(message, fields={"Status": status})


class BatchEntryIdsNotDistinctException(SnsError):
    code = "BatchEntryIdsNotDistinct"


class BatchRequestTooLongException(SnsError):
    code = "BatchRequestTooLong"


class EmptyBatchRequestException(SnsError):
    code = "EmptyBatchRequest"


class InvalidBatchEntryIdException(SnsError):
    code = "InvalidBatchEntryId"


class TooManyEntriesInBatchRequestException(SnsError):
    code = "TooManyEntriesInBatchRequest"


class ValidationException(SnsError):
    code = "ValidationException"


class KMSDisabledException(SnsError):
    code = "KMSDisabled"


class KMSInvalidStateException(SnsError):
    code = "KMSInvalidState"


class KMSNotFoundException(SnsError):
    code = "KMSNotFound"


class KMSAccessDeniedException(SnsError):
    code = "KMSAccessDenied"


KMS_ERRORS: dict[str, type[SnsError]] = {
    "KMSDisabledException": KMSDisabledException,
    "KMSInvalidStateException": KMSInvalidStateException,
    "KMSNotFoundException": KMSNotFoundException,
    "KMSAccessDeniedException": KMSAccessDeniedException,
}


def invalid_parameter(what: str, reason: str = "") -> InvalidParameterException:
    """AWS's wording: "Invalid parameter: TopicArn" or "Invalid parameter: Tags Reason: ..."."""
    return InvalidParameterException(f"Invalid parameter: {what}" + (f" Reason: {reason}" if reason else ""))


def topic_not_found() -> NotFoundException:
    return NotFoundException("Topic does not exist")
