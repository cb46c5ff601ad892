"""STS errors, named after the error shapes of botocore's sts model; `code` is the shape's query
code (PackedPolicyTooLargeException -> PackedPolicyTooLarge), which is what the query protocol
sends and what boto3 reports as Error.Code. Where AWS's API reference gives no other wording, the
default message is the reference's description of the error.
"""

from __future__ import annotations

from typing import ClassVar

from playground.gateway.errors import AwsError


class StsError(AwsError):
    status = 400
    description: ClassVar[str] = ""

    def __init__(self, message: str = "", **kwargs: object) -> None:
        super().__init__(message or self.description, **kwargs)  # type: ignore[arg-type]


class AccessDenied(StsError):
    code = "AccessDenied"
    status = 403


class ValidationError(StsError):
    code = "ValidationError"


class MalformedPolicyDocument(StsError):
    code = "MalformedPolicyDocument"
    description = "The request was rejected because the policy document was malformed."


class PackedPolicyTooLarge(StsError):
    code = "PackedPolicyTooLarge"


class ExpiredToken(StsError):
    code = "ExpiredTokenException"
    description = (
        "The web identity token that was passed is expired or is not valid. Get a new identity token from the "
        "identity provider and then retry the request."
    )


class InvalidIdentityToken(StsError):
    code = "InvalidIdentityToken"
    description = (
        "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity "
        "token from the identity provider and then retry the request."
    )


class IDPCommunicationError(StsError):
    code = "IDPCommunicationError"
    description = (
        "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the "
        "incoming identity token could not be reached."
    )


class IDPRejectedClaim(StsError):
    code = "IDPRejectedClaim"
    status = 403
    description = "The identity provider (IdP) reported that authentication failed."


class InvalidAuthorizationMessage(StsError):
    code = "InvalidAuthorizationMessageException"
    description = "The error returned if the message passed to DecodeAuthorizationMessage was invalid."


class ExpiredTradeInToken(StsError):
    code = "ExpiredTradeInTokenException"
    description = (
        "The trade-in token provided in the request has expired and can no longer be exchanged for credentials."
    )


class InsufficientSessionLifetime(StsError):
    code = "InsufficientSessionLifetime"
    description = (
        "The request was rejected because the requested DurationSeconds is greater than the remaining lifetime "
        "of the calling session."
    )


class InvalidSubjectCredentials(StsError):
    code = "InvalidSubjectCredentials"
    description = (
        "The request was rejected because the session used to call GetScopedCredentials is not a valid session."
    )


class SessionDurationEscalation(StsError):
    code = "SessionDurationEscalationException"
    status = 403
    description = "The requested token duration would extend the session beyond its original expiration time."


class MalformedCertificateSigningRequest(StsError):
    code = "MalformedCertificateSigningRequestException"
    description = "The certificate signing request (CSR) isn't valid."


class InvalidAttestationDocument(StsError):
    code = "InvalidAttestationDocument"

    def __init__(self, reason: str) -> None:
        super().__init__(
            "Amazon Web Services STS can't use the attestation document in the request.", fields={"reason": reason}
        )


class ResourceNotFound(StsError):
    code = "ResourceNotFoundException"
    status = 404
    description = "The specified resource doesn't exist, or you don't have access to it."
