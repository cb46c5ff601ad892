"""Workload identities (GetCertificate, GetTrustBundles, IssueWorkloadIdentityContext).

A workload identity comes from an IAM workload identity template and provider, and a session gets
one only through a context that IssueWorkloadIdentityContext issued for such a template. IAM is
not emulated, so a sandbox holds no template and no provider: these operations answer as AWS
answers an account without them, after checking their input as AWS documents.
"""

from __future__ import annotations

import json
import re

from services.sts.exceptions import AccessDenied, InvalidAttestationDocument, ResourceNotFound, ValidationError

PROVIDER_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}|o-[a-z0-9]{10,32}):workload-identity-provider/[\w+=,.@/-]+$")


def no_workload_identity(*, operation: str, principal_arn: str) -> AccessDenied:
    """What a session without a workload identity gets from GetCertificate and JWT-SVID requests."""
    return AccessDenied(
        f"User: {principal_arn} is not authorized to perform: sts:{operation} because the calling session has no "
        "workload identity"
    )


def trust_bundles(*, provider_arn: str) -> list[dict[str, str]]:
    if not PROVIDER_ARN.match(provider_arn):
        raise ValidationError(f"{provider_arn} is not a valid workload identity provider ARN")
    raise ResourceNotFound(f"Workload identity provider {provider_arn} does not exist.")


def check_attestation(document: str) -> dict[str, str]:
    """A single JSON object with at least one key, each value a non-empty printable string."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise InvalidAttestationDocument("The attestation document is not valid JSON.") from None
    if not isinstance(parsed, dict) or not parsed:
        raise InvalidAttestationDocument("The attestation document must be a JSON object with at least one key.")
    for key, value in parsed.items():
        if not isinstance(value, str) or not value or not value.isprintable():
            raise InvalidAttestationDocument(f"The value of {key} must be a non-empty string of printable characters.")
    return parsed


def workload_context_issue(*, template_arn: str | None, attestation_document: str, principal_arn: str) -> None:
    if not template_arn:
        raise ValidationError("WorkloadIdentityTemplateArn is required.")
    check_attestation(attestation_document)
    # The template does not exist (no IAM here): AWS's answer is AccessDenied.
    raise AccessDenied(
        f"User: {principal_arn} is not authorized to perform: sts:IssueWorkloadIdentityContext on resource: "
        f"{template_arn}"
    )
