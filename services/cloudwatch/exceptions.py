"""CloudWatch errors, named after the model's error shapes. CloudWatch is awsQueryCompatible: the
CBOR and JSON protocols send the query code (InvalidParameterValue, MissingParameter,
LimitExceeded, ResourceNotFound, InvalidFormat, ...) in `x-amzn-query-error`, which is what boto3
and the CLI show as the error code."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class CloudWatchError(AwsError):
    status = 400


class InvalidParameterValueException(CloudWatchError):
    code = "InvalidParameterValueException"


class InvalidParameterCombinationException(CloudWatchError):
    code = "InvalidParameterCombinationException"


class MissingRequiredParameterException(CloudWatchError):
    code = "MissingRequiredParameterException"


class LimitExceededFault(CloudWatchError):
    code = "LimitExceededFault"


class LimitExceededException(CloudWatchError):
    code = "LimitExceededException"


class ResourceNotFound(CloudWatchError):
    code = "ResourceNotFound"
    status = 404


class ResourceNotFoundException(CloudWatchError):
    code = "ResourceNotFoundException"
    status = 404


class DashboardNotFoundError(CloudWatchError):
    code = "DashboardNotFoundError"
    status = 404


class DashboardInvalidInputError(CloudWatchError):
    code = "DashboardInvalidInputError"

    def __init__(self, message: str, messages: list[dict[str, str]] | None = None) -> None:
        super().__init__(message, fields={"dashboardValidationMessages": messages} if messages else None)


class InvalidFormatFault(CloudWatchError):
    code = "InvalidFormatFault"


class InvalidNextToken(CloudWatchError):
    code = "InvalidNextToken"


class ValidationError(CloudWatchError):
    """A common error of CloudWatch's (not in the model's shapes): what PutMetricAlarm answers for an
    EC2 action on an alarm that watches no instance."""

    code = "ValidationError"
