"""Key policies: the default policy AWS writes, the policy of AWS managed keys, and the checks
PutKeyPolicy and CreateKey make (well-formed JSON, the lockout safety check).

Policies are stored and returned; they are not evaluated on each call (see LIMITATIONS in
provider.py), except that AWS managed keys refuse the management actions their policy does not
grant.
"""

from __future__ import annotations

import json
from typing import Any

from services.kms.exceptions import MalformedPolicyDocumentException, NotFoundException

DEFAULT_POLICY_NAME = "default"
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."

# Service names for which AWS keeps AWS managed keys (alias/aws/<name>), with the service
# principal's display name used in the managed key's description and policy.
MANAGED_KEY_SERVICES = {
    "sqs": "SQS",
    "sns": "SNS",
    "s3": "S3",
    "kinesis": "Kinesis",
    "firehose": "Kinesis Firehose",
    "logs": "CloudWatch Logs",
    "lambda": "Lambda",
    "ebs": "EBS",
    "rds": "RDS",
    "redshift": "Redshift",
    "dynamodb": "DynamoDB",
    "secretsmanager": "Secrets Manager",
    "ssm": "SSM",
    "elasticfilesystem": "Elastic File System",
    "glue": "Glue",
    "cloudtrail": "CloudTrail",
    "elastictranscoder": "Elastic Transcoder",
    "athena": "Athena",
    "es": "Elasticsearch",
    "backup": "Backup",
}


def render(document: Any) -> str:
    """JSON laid out the way AWS KMS returns the policies it writes itself: two-space indents,
    `"key" : value`, arrays on one line (`[ {` ... `} ]`)."""
    return _render(document, 0)


def _render(value: Any, level: int) -> str:
    pad = "  " * level
    if isinstance(value, dict):
        if not value:
            return "{ }"
        members = [f"{pad}  {json.dumps(key)} : {_render(item, level + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(members) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(_render(item, level) for item in value) + " ]"
    return json.dumps(value)


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def default_policy(account_id: str) -> str:
    """The policy CreateKey writes when none is given: the account may use IAM policies to allow
    every KMS action on the key."""
    return render(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": root_arn(account_id)},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def managed_key_policy(account_id: str, region: str, service: str) -> str:
    """An AWS managed key's policy: use through the service for principals of the account, and
    read-only access to the key's metadata for the account."""
    name = MANAGED_KEY_SERVICES.get(service, service)
    return render(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {name} for all principals in the account that are authorized "
                    f"to use {name}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": root_arn(account_id)},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        }
    )


def check_policy_name(name: str | None) -> str:
    if name is not None and name != DEFAULT_POLICY_NAME:
        raise NotFoundException("No such policy exists")
    return DEFAULT_POLICY_NAME


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(item) for item in _as_list(principal.get("AWS"))]
    return []


def _allows_policy_updates(statement: dict[str, Any], account_id: str, caller: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = [str(action).lower() for action in _as_list(statement.get("Action"))]
    if not any(action in ("*", "kms:*", "kms:putkeypolicy", "kms:put*") for action in actions):
        return False
    return any(principal in ("*", account_id, root_arn(account_id), caller) for principal in _principals(statement))


def check_policy(text: str, *, account_id: str, caller: str, bypass_lockout_check: bool) -> str:
    """A policy document as given, once it is well formed and, unless bypassed, still lets the
    account (or the caller) change the key policy later."""
    try:
        document = json.loads(text)
    except ValueError:
        raise MalformedPolicyDocumentException("The key policy is not valid JSON.") from None
    if not isinstance(document, dict):
        raise MalformedPolicyDocumentException("The key policy must be a JSON object.")
    statements = _as_list(document.get("Statement"))
    if not statements or not all(isinstance(statement, dict) for statement in statements):
        raise MalformedPolicyDocumentException("The key policy must contain at least one statement.")
    for statement in statements:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicyDocumentException("Policy contains a statement with an invalid Effect.")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicyDocumentException("Policy contains a statement with no principal.")
    if not bypass_lockout_check and not any(
        _allows_policy_updates(statement, account_id, caller) for statement in statements
    ):
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
    return text
