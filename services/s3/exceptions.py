"""S3 errors: the codes, statuses and messages of the Amazon S3 API reference's error list (and,
where the model has a shape, its name). Extra fields travel in the error document beside Code and
Message, as S3 sends them (BucketName, Key, UploadId, ...)."""

from __future__ import annotations

from typing import Any

from playground.gateway.errors import AwsError


class S3Error(AwsError):
    status = 400
    default = ""

    def __init__(self, message: str = "", *, headers: dict[str, str] | None = None, **fields: Any) -> None:
        super().__init__(message or self.default, fields=fields, headers=headers)


class AccessDenied(S3Error):
    code, status, default = "AccessDenied", 403, "Access Denied"


class NoSuchBucket(S3Error):
    code, status, default = "NoSuchBucket", 404, "The specified bucket does not exist"


class NoSuchKey(S3Error):
    code, status, default = "NoSuchKey", 404, "The specified key does not exist."


class NoSuchVersion(S3Error):
    code, status, default = "NoSuchVersion", 404, "The specified version does not exist."


class NoSuchUpload(S3Error):
    code, status = "NoSuchUpload", 404
    default = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
        "aborted or completed."
    )


class NoSuchBucketPolicy(S3Error):
    code, status, default = "NoSuchBucketPolicy", 404, "The bucket policy does not exist"


class NoSuchTagSet(S3Error):
    code, status, default = "NoSuchTagSet", 404, "The TagSet does not exist"


class BucketAlreadyOwnedByYou(S3Error):
    code, status = "BucketAlreadyOwnedByYou", 409
    default = "Your previous request to create the named bucket succeeded and you already own it."


class BucketNotEmpty(S3Error):
    code, status, default = "BucketNotEmpty", 409, "The bucket you tried to delete is not empty"


class InvalidBucketName(S3Error):
    code, default = "InvalidBucketName", "The specified bucket is not valid."


class InvalidLocationConstraint(S3Error):
    code, default = "InvalidLocationConstraint", "The specified location-constraint is not valid"


class IllegalLocationConstraintException(S3Error):
    code = "IllegalLocationConstraintException"


class EntityTooSmall(S3Error):
    code, default = "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size."


class EntityTooLarge(S3Error):
    code, default = "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."


class InvalidPart(S3Error):
    code = "InvalidPart"
    default = (
        "One or more of the specified parts could not be found.  The part may not have been uploaded, "
        "or the specified entity tag may not match the part's entity tag."
    )


class InvalidPartOrder(S3Error):
    code = "InvalidPartOrder"
    default = "The list of parts was not in ascending order. Parts must be ordered by part number."


class InvalidRange(S3Error):
    code, status, default = "InvalidRange", 416, "The requested range is not satisfiable"


class PreconditionFailed(S3Error):
    code, status, default = "PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold"


class NotModified(S3Error):
    """304: not an error to the client, but the answer has no body (the gateway writes none for it)."""

    code, status, default = "NotModified", 304, "Not Modified"


class MalformedXML(S3Error):
    code = "MalformedXML"
    default = "The XML you provided was not well-formed or did not validate against our published schema"


class MalformedPolicy(S3Error):
    code = "MalformedPolicy"


class InvalidTag(S3Error):
    code = "InvalidTag"


class BadDigest(S3Error):
    code, default = "BadDigest", "The Content-MD5 you specified did not match what we received."


class InvalidDigest(S3Error):
    code, default = "InvalidDigest", "The Content-MD5 you specified was invalid."


class InvalidRequest(S3Error):
    code = "InvalidRequest"


class InvalidArgument(S3Error):
    code = "InvalidArgument"


class KeyTooLongError(S3Error):
    code, default = "KeyTooLongError", "Your key is too long"


class MethodNotAllowed(S3Error):
    code, status, default = "MethodNotAllowed", 405, "The specified method is not allowed against this resource."


class MissingContentLength(S3Error):
    code, status, default = "MissingContentLength", 411, "You must provide the Content-Length HTTP header."


class XAmzContentSHA256Mismatch(S3Error):
    code = "XAmzContentSHA256Mismatch"
    default = "The provided 'x-amz-content-sha256' header does not match what was computed."


class InvalidPartNumber(S3Error):
    code, status, default = "InvalidPartNumber", 416, "The requested partnumber is not satisfiable"
