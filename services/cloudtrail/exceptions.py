"""CloudTrail errors, named after the model's error shapes. JSON 1.1: the code goes out as
`__type`, the message as `message`; all are HTTP 400 as AWS's API reference lists them. Where AWS's
own wording is not known, the message is the reference's description of the error."""

from __future__ import annotations

from playground.gateway.errors import AwsError


class CloudTrailError(AwsError):
    status = 400


class TrailNotFoundException(CloudTrailError):
    code = "TrailNotFoundException"


class TrailAlreadyExistsException(CloudTrailError):
    code = "TrailAlreadyExistsException"


class InvalidTrailNameException(CloudTrailError):
    code = "InvalidTrailNameException"


class CloudTrailARNInvalidException(CloudTrailError):
    code = "CloudTrailARNInvalidException"


class S3BucketDoesNotExistException(CloudTrailError):
    code = "S3BucketDoesNotExistException"


class InsufficientS3BucketPolicyException(CloudTrailError):
    code = "InsufficientS3BucketPolicyException"


class InsufficientSnsTopicPolicyException(CloudTrailError):
    code = "InsufficientSnsTopicPolicyException"


class InvalidS3BucketNameException(CloudTrailError):
    code = "InvalidS3BucketNameException"


class InvalidS3PrefixException(CloudTrailError):
    code = "InvalidS3PrefixException"


class InvalidSnsTopicNameException(CloudTrailError):
    code = "InvalidSnsTopicNameException"


class InvalidCloudWatchLogsLogGroupArnException(CloudTrailError):
    code = "InvalidCloudWatchLogsLogGroupArnException"


class InvalidCloudWatchLogsRoleArnException(CloudTrailError):
    code = "InvalidCloudWatchLogsRoleArnException"


class InvalidParameterCombinationException(CloudTrailError):
    code = "InvalidParameterCombinationException"


class InvalidHomeRegionException(CloudTrailError):
    code = "InvalidHomeRegionException"


class InvalidEventSelectorsException(CloudTrailError):
    code = "InvalidEventSelectorsException"


class InvalidLookupAttributesException(CloudTrailError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(CloudTrailError):
    code = "InvalidTimeRangeException"


class InvalidMaxResultsException(CloudTrailError):
    code = "InvalidMaxResultsException"


class InvalidNextTokenException(CloudTrailError):
    code = "InvalidNextTokenException"


class InvalidEventCategoryException(CloudTrailError):
    code = "InvalidEventCategoryException"


class InvalidTagParameterException(CloudTrailError):
    code = "InvalidTagParameterException"


class TagsLimitExceededException(CloudTrailError):
    code = "TagsLimitExceededException"


class MaximumNumberOfTrailsExceededException(CloudTrailError):
    code = "MaximumNumberOfTrailsExceededException"


class TrailNotProvidedException(CloudTrailError):
    code = "TrailNotProvidedException"


class ResourceNotFoundException(CloudTrailError):
    code = "ResourceNotFoundException"


class InvalidParameterException(CloudTrailError):
    code = "InvalidParameterException"


class ThrottlingException(CloudTrailError):
    code = "ThrottlingException"
