"""Access policies SNS reads or writes: whether a queue's policy lets a topic send to it (SNS to
SQS delivery, as AWS decides it), the default topic policy, and the statements AddPermission and
RemovePermission edit.

Whether a queue policy allows a topic is playground.policies' evaluation of this one request: principal
`sns.amazonaws.com` (service) calling `sqs:SendMessage` on the queue's ARN, with the request context
keys aws:SourceArn (the topic ARN), aws:SourceAccount and aws:SourceOwner (the topic's account).
An explicit Deny wins over any Allow; without an Allow the request is refused. Principal, NotPrincipal,
Action, NotAction, Resource, NotResource and the condition operators String*, Arn*, Null (with
IfExists and the negated forms) are understood; other condition operators never match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from playground import policies
from playground.policies import as_list
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


def queue_allows_topic(*, policy: str, queue_arn: str, topic_arn: str) -> Decision:
    """Whether a queue policy lets the topic send messages to the queue, and why (or why not)."""
    if not policy:
        return Decision(False, "the queue has no policy allowing sns.amazonaws.com to call sqs:SendMessage")
    account = topic_arn.split(":")[4] if topic_arn.count(":") >= 5 else ""
    decision = policies.service_decision(
        policy,
        service_principal=SNS_SERVICE_PRINCIPAL,
        action=SEND_ACTION,
        resource=queue_arn,
        context={"aws:SourceArn": topic_arn, "aws:SourceAccount": account, "aws:SourceOwner": account},
    )
    if decision is None:
        return Decision(False, "the queue policy is not valid JSON")
    if decision.effect == "Deny":
        sid = decision.sid
        return Decision(False, f"the queue policy denies it (statement {sid})" if sid else "the queue policy denies it")
    if not decision.allowed:
        return Decision(
            False, f"no statement of the queue policy allows sns.amazonaws.com to call sqs:SendMessage from {topic_arn}"
        )
    return Decision(True, f"allowed by {decision.sid or 'an unnamed statement'}")


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
    statements = as_list(document.get("Statement"))
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
    statements = as_list(document.get("Statement"))
    document["Statement"] = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == label)]
    return json.dumps(document, separators=(",", ":"))
