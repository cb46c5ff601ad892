"""KMS errors, named after the error shapes of botocore's KMS model.

Every class derives from `KmsError`, so a service that encrypts at rest with KMS (SQS, SNS) can
catch one base class and translate by `code` into its own KMS.* error (SQS: KmsDisabled,
KmsNotFound, KmsInvalidState, KmsInvalidKeyUsage, KmsAccessDenied).
"""

from __future__ import annotations

from playground.gateway.errors import AwsError


class KmsError(AwsError):
    """Base of every KMS error."""


class NotFoundException(KmsError):
    code = "NotFoundException"


class DisabledException(KmsError):
    code = "DisabledException"


class KMSInvalidStateException(KmsError):
    code = "KMSInvalidStateException"


class InvalidKeyUsageException(KmsError):
    code = "InvalidKeyUsageException"


class IncorrectKeyException(KmsError):
    code = "IncorrectKeyException"


class InvalidCiphertextException(KmsError):
    code = "InvalidCiphertextException"


class AlreadyExistsException(KmsError):
    code = "AlreadyExistsException"


class ValidationException(KmsError):
    code = "ValidationException"


class InvalidAliasNameException(KmsError):
    code = "InvalidAliasNameException"


class InvalidArnException(KmsError):
    code = "InvalidArnException"


class InvalidMarkerException(KmsError):
    code = "InvalidMarkerException"


class InvalidGrantIdException(KmsError):
    code = "InvalidGrantIdException"


class InvalidGrantTokenException(KmsError):
    code = "InvalidGrantTokenException"


class UnsupportedOperationException(KmsError):
    code = "UnsupportedOperationException"


class LimitExceededException(KmsError):
    code = "LimitExceededException"


class MalformedPolicyDocumentException(KmsError):
    code = "MalformedPolicyDocumentException"


class TagException(KmsError):
    code = "TagException"


class KMSInvalidSignatureException(KmsError):
    code = "KMSInvalidSignatureException"


class KMSInvalidMacException(KmsError):
    code = "KMSInvalidMacException"


class InvalidImportTokenException(KmsError):
    code = "InvalidImportTokenException"


class ExpiredImportTokenException(KmsError):
    code = "ExpiredImportTokenException"


class IncorrectKeyMaterialException(KmsError):
    code = "IncorrectKeyMaterialException"


class DryRunOperationException(KmsError):
    code = "DryRunOperationException"

    def __init__(self) -> None:
        super().__init__("The request would have succeeded, but the DryRun option is set.")


class AccessDeniedException(KmsError):
    """Not a modeled KMS error shape, but what AWS answers when a key policy refuses an action
    (for instance DisableKey on an AWS managed key, whose policy grants no such thing)."""

    code = "AccessDeniedException"
