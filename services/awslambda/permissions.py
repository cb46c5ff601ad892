"""A function's resource-based policy: AddPermission, RemovePermission, GetPolicy, and the check
an AWS service's invocation passes (SNS, S3, EventBridge, CloudWatch: `allows`), through the
platform's one policy evaluator."""

from __future__ import annotations

import json
import uuid
from typing import Any

from playground.policies import service_allowed
from services.awslambda.exceptions import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.awslambda.models import Function

MAX_POLICY_BYTES = 20480


def _principal(principal: str, account_id: str) -> Any:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if principal.isdigit() and len(principal) == 12:
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:aws:iam::"):
        return {"AWS": principal}
    raise InvalidParameterValueException(
        "The provided principal was invalid. Please check the principal and try again."
    )


def permission_add(*, function: Function, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("RevisionId") and params["RevisionId"] != function.revision_id:
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the "
            "latest Revision Id"
        )
    policy = function.policy or {"Version": "2012-10-17", "Id": "default", "Statement": []}
    sid = params["StatementId"]
    if any(statement.get("Sid") == sid for statement in policy["Statement"]):
        raise ResourceConflictException(
            "The statement id (sid) provided already exists. Please choose a new statement id, or remove the "
            "existing statement."
        )
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": _principal(params["Principal"], function.sandbox.account_id),
        "Action": params["Action"],
        "Resource": function.arn,
    }
    condition: dict[str, dict[str, str]] = {}
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if condition:
        statement["Condition"] = condition
    policy["Statement"].append(statement)
    if len(json.dumps(policy)) > MAX_POLICY_BYTES:
        from services.awslambda.exceptions import PolicyLengthExceededException

        raise PolicyLengthExceededException("The final policy size is bigger than the limit.")
    function.policy = policy
    function.revision_id = str(uuid.uuid4())
    function.save(update_fields=["policy", "revision_id"])
    return {"Statement": json.dumps(statement)}


def permission_remove(*, function: Function, sid: str, revision_id: str | None) -> None:
    if revision_id and revision_id != function.revision_id:
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the "
            "latest Revision Id"
        )
    statements = (function.policy or {}).get("Statement", [])
    kept = [statement for statement in statements if statement.get("Sid") != sid]
    if len(kept) == len(statements):
        raise ResourceNotFoundException(f"Statement {sid} is not found in resource policy.")
    function.policy = {**(function.policy or {}), "Statement": kept} if kept else None
    function.revision_id = str(uuid.uuid4())
    function.save(update_fields=["policy", "revision_id"])


def policy_get(*, function: Function) -> dict[str, Any]:
    if not function.policy:
        raise ResourceNotFoundException("The resource you requested does not exist.")
    return {"Policy": json.dumps(function.policy), "RevisionId": function.revision_id}


def allows(function: Function, *, service_principal: str, source_arn: str | None, source_account: str | None) -> bool:
    """Whether the function's policy lets `service_principal` invoke it for `source_arn`."""
    context = {"aws:SourceAccount": source_account or function.sandbox.account_id}
    if source_arn:
        context["aws:SourceArn"] = source_arn
    return service_allowed(
        json.dumps(function.policy) if function.policy else "",
        service_principal=service_principal, action="lambda:InvokeFunction", resource=function.arn, context=context,
    )  # fmt: skip
