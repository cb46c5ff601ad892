"""Access policies SNS reads or writes: whether a queue's policy lets a topic send to it (SNS to
SQS delivery, as AWS decides it), the default topic policy, and the statements AddPermission and
RemovePermission edit.

The queue policy evaluator implements what AWS evaluates for this one request: principal
`sns.amazonaws.com` (service) calling `sqs:SendMessage` on the queue's ARN, with the request context
keys aws:SourceArn (the topic ARN), aws:SourceAccount and aws:SourceOwner (the topic's account).
An explicit Deny wins over any Allow; without an Allow the request is refused. Principal, NotPrincipal,
Action, NotAction, Resource, NotResource and the condition operators String*, Arn*, Null (with
IfExists and the negated forms) are understood; other condition operators never match.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.sns.exceptions import invalid_parameter

SNS_SERVICE_PRINCIPAL = "sns.amazonaws.com"
SEND_ACTION = "sqs:SendMessage"

TOPIC_ACTIONS = (
    "AddPermission",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetTopicAttributes",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "Publish",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetTopicAttributes",
    "Subscribe",
)
DEFAULT_POLICY_ACTIONS = (
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _principal_matches(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS")):
        return True
    return SNS_SERVICE_PRINCIPAL in _as_list(principal.get("Service"))


def _action_matches(actions: Any) -> bool:
    return any(_like(str(action), SEND_ACTION, ignore_case=True) for action in _as_list(actions))


def _resource_matches(resources: Any, arn: str) -> bool:
    return any(_like(str(resource), arn) for resource in _as_list(resources))


_OPERATOR = re.compile(r"^(?P<base>For(?:AllValues|AnyValue):)?(?P<name>[A-Za-z]+?)(?P<if_exists>IfExists)?$")


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    match = _OPERATOR.match(operator)
    if match is None:
        return False
    name, if_exists = match.group("name"), bool(match.group("if_exists"))
    value = next((found for context_key, found in context.items() if context_key.lower() == key.lower()), None)
    wanted = [str(item) for item in _as_list(expected)]
    if name == "Null":
        is_null = value is None
        return any((item.lower() == "true") == is_null for item in wanted)
    if value is None:
        return if_exists or name.startswith(("StringNot", "ArnNot"))
    if name in ("StringEquals", "ArnEquals"):
        return value in wanted
    if name in ("StringNotEquals", "ArnNotEquals"):
        return value not in wanted
    if name == "StringEqualsIgnoreCase":
        return value.lower() in [item.lower() for item in wanted]
    if name == "StringNotEqualsIgnoreCase":
        return value.lower() not in [item.lower() for item in wanted]
    if name in ("StringLike", "ArnLike"):
        return any(_like(item, value) for item in wanted)
    if name in ("StringNotLike", "ArnNotLike"):
        return not any(_like(item, value) for item in wanted)
    return False


def _conditions_hold(conditions: Any, context: dict[str, str]) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, dict):
        return False
    for operator, entries in conditions.items():
        if not isinstance(entries, dict):
            return False
        for key, expected in entries.items():
            if not _condition_holds(str(operator), str(key), expected, context):
                return False
    return True


def _applies(statement: dict[str, Any], *, queue_arn: str, context: dict[str, str]) -> bool:
    if "Principal" in statement and not _principal_matches(statement["Principal"]):
        return False
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"]):
        return False
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return False
    if "Action" in statement and not _action_matches(statement["Action"]):
        return False
    if "NotAction" in statement and _action_matches(statement["NotAction"]):
        return False
    if "Resource" in statement and not _resource_matches(statement["Resource"], queue_arn):
        return False
    if "NotResource" in statement and _resource_matches(statement["NotResource"], queue_arn):
        return False
    return _conditions_hold(statement.get("Condition"), context)


@lru_cache(maxsize=1024)
def _statements(policy: str) -> tuple[dict[str, Any], ...] | None:
    try:
        document = json.loads(policy)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    return tuple(item for item in _as_list(document.get("Statement")) if isinstance(item, dict))


def queue_allows_topic(*, policy: str, queue_arn: str, topic_arn: str) -> Decision:
    """Whether a queue policy lets the topic send messages to the queue, and why (or why not)."""
    if not policy:
        return Decision(False, "the queue has no policy allowing sns.amazonaws.com to call sqs:SendMessage")
    statements = _statements(policy)
    if statements is None:
        return Decision(False, "the queue policy is not valid JSON")
    account = topic_arn.split(":")[4] if topic_arn.count(":") >= 5 else ""
    context = {"aws:SourceArn": topic_arn, "aws:SourceAccount": account, "aws:SourceOwner": account}
    allowed_by = None
    for statement in statements:
        if not _applies(statement, queue_arn=queue_arn, context=context):
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            sid = statement.get("Sid")
            return Decision(
                False, f"the queue policy denies it (statement {sid})" if sid else "the queue policy denies it"
            )
        if effect == "Allow" and allowed_by is None:
            allowed_by = statement.get("Sid") or "an unnamed statement"
    if allowed_by is None:
        return Decision(
            False, f"no statement of the queue policy allows sns.amazonaws.com to call sqs:SendMessage from {topic_arn}"
        )
    return Decision(True, f"allowed by {allowed_by}")


# --- topic policies ----------------------------------------------------------------------------


def default_topic_policy(*, topic_arn: str, account_id: str) -> str:
    document = {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(DEFAULT_POLICY_ACTIONS),
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def check_policy_document(text: str, *, name: str = "Policy") -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid_parameter(name, "the policy is not valid JSON") from None
    if not isinstance(document, dict):
        raise invalid_parameter(name, "the policy must be a JSON object")
    statements = document.get("Statement")
    if statements is not None and not isinstance(statements, list | dict):
        raise invalid_parameter(name, "Statement must be an object or an array")
    return document


def permission_added(policy: str, *, topic_arn: str, label: str, account_ids: list[str], actions: list[str]) -> str:
    """The topic policy with a statement granting `actions` to the accounts, named `label`."""
    document = json.loads(policy)
    statements = _as_list(document.get("Statement"))
    if any(isinstance(statement, dict) and statement.get("Sid") == label for statement in statements):
        raise invalid_parameter("Statement already exists")
    for action in actions:
        if action not in TOPIC_ACTIONS:
            raise invalid_parameter("ActionName", f"{action} is not a valid action for a topic")
    for account in account_ids:
        if not (len(account) == 12 and account.isdigit()):
            raise invalid_parameter("AWSAccountId", f"{account} is not a 12-digit account id")
    principals = [f"arn:aws:iam::{account}:root" for account in account_ids]
    granted = [f"SNS:{action}" for action in actions]
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": granted[0] if len(granted) == 1 else granted,
            "Resource": topic_arn,
        }
    )
    document["Statement"] = statements
    return json.dumps(document, separators=(",", ":"))


def permission_removed(policy: str, *, label: str) -> str:
    document = json.loads(policy)
    statements = _as_list(document.get("Statement"))
    document["Statement"] = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == label)]
    return json.dumps(document, separators=(",", ":"))
