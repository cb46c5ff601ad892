"""AWS errors as exception classes carrying the AWS code, the HTTP status and the message.

A provider raises a subclass named after the model's error shape (`raise QueueDoesNotExist(...)`);
the gateway serializes it as the protocol's error document. Extra members of a modeled error
shape go in `fields` and are serialized beside Code and Message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AwsError(Exception):
    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        if status is not None:
            self.status = status  # type: ignore[misc]
        self.fields = fields or {}
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.status}, {self.message!r})"


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
    sender_fault = False


class ServiceUnavailable(AwsError):
    """Too busy to take the call now (the database's write lock waited past its timeout). SDKs
    retry it, as they retry AWS's own."""

    code = "ServiceUnavailable"
    status = 503
    sender_fault = False


class NotEmulated(AwsError):
    """A service or an operation Playground does not emulate (yet)."""

    code = "NotImplemented"
    status = 501
    sender_fault = False


class UnknownOperation(AwsError):
    code = "UnknownOperationException"
    status = 400


class InvalidAction(AwsError):
    code = "InvalidAction"
    status = 400


class SerializationException(AwsError):
    """The body could not be read as the protocol's document (bad JSON, XML or CBOR)."""

    code = "SerializationException"
    status = 400


class ValidationException(AwsError):
    """Input that breaks the operation's model (json and rest-json protocols use this name)."""

    code = "ValidationException"
    status = 400


class ValidationError(AwsError):
    """The query protocol's name for the same thing."""

    code = "ValidationError"
    status = 400


class MissingParameter(AwsError):
    code = "MissingParameter"
    status = 400


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"
    status = 400


class MissingAuthenticationToken(AwsError):
    code = "MissingAuthenticationToken"
    status = 403


class IncompleteSignature(AwsError):
    code = "IncompleteSignature"
    status = 400


class InvalidClientTokenId(AwsError):
    """Unknown access key id on query-protocol services (STS, SNS, SQS query, ...)."""

    code = "InvalidClientTokenId"
    status = 403


class UnrecognizedClientException(AwsError):
    """Unknown access key id on json-protocol services."""

    code = "UnrecognizedClientException"
    status = 400


class SignatureDoesNotMatch(AwsError):
    code = "SignatureDoesNotMatch"
    status = 403


class InvalidSignatureException(AwsError):
    """json-protocol services name a bad signature this way."""

    code = "InvalidSignatureException"
    status = 400


class RequestExpired(AwsError):
    code = "RequestExpired"
    status = 400


class ExpiredToken(AwsError):
    code = "ExpiredTokenException"
    status = 400


class AccessDenied(AwsError):
    code = "AccessDenied"
    status = 403


class RequestEntityTooLarge(AwsError):
    code = "RequestEntityTooLarge"
    status = 413
