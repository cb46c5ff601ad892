"""Resource policies as AWS evaluates them for one request from an AWS service: does the policy of a
queue, topic or function let `service_principal` (s3.amazonaws.com) call `action` on `resource`,
given the request's context keys (aws:SourceArn, aws:SourceAccount)? An explicit Deny wins; without
an Allow the answer is no. Principal ("*", {"AWS": "*"}, which IAM reads as "*", or {"Service": ...}),
NotPrincipal, Action, NotAction, Resource, NotResource (with * and ? wildcards) and the
String*, Arn* and Null condition operators (with IfExists) are understood; any other operator
never matches, so a statement using one allows nothing.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "*" in as_list(principal.get("AWS")) or service in as_list(principal.get("Service"))


_OPERATOR = re.compile(r"^(?:For(?:AllValues|AnyValue):)?(?P<name>[A-Za-z]+?)(?P<if_exists>IfExists)?$")


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    match = _OPERATOR.match(operator)
    if match is None:
        return False
    name, if_exists = match.group("name"), bool(match.group("if_exists"))
    value = next((found for context_key, found in context.items() if context_key.lower() == key.lower()), None)
    wanted = [str(item) for item in as_list(expected)]
    if name == "Null":
        return any((item.lower() == "true") == (value is None) for item in wanted)
    if value is None:
        return if_exists or name.startswith(("StringNot", "ArnNot"))
    checks = {
        "StringEquals": lambda: value in wanted,
        "ArnEquals": lambda: value in wanted,
        "StringNotEquals": lambda: value not in wanted,
        "ArnNotEquals": lambda: value not in wanted,
        "StringEqualsIgnoreCase": lambda: value.lower() in [item.lower() for item in wanted],
        "StringNotEqualsIgnoreCase": lambda: value.lower() not in [item.lower() for item in wanted],
        "StringLike": lambda: any(_like(item, value) for item in wanted),
        "ArnLike": lambda: any(_like(item, value) for item in wanted),
        "StringNotLike": lambda: not any(_like(item, value) for item in wanted),
        "ArnNotLike": lambda: not any(_like(item, value) for item in wanted),
    }
    check = checks.get(name)
    return bool(check and check())


def _applies(statement: dict[str, Any], *, service: str, action: str, resource: str, context: dict[str, str]) -> bool:
    if "Principal" in statement:
        if not _principal_matches(statement["Principal"], service):
            return False
    elif "NotPrincipal" in statement:
        if _principal_matches(statement["NotPrincipal"], service):
            return False
    else:
        return False
    actions = statement.get("Action", statement.get("NotAction"))
    named = any(_like(str(item), action, ignore_case=True) for item in as_list(actions))
    if named != ("Action" in statement):
        return False
    resources = statement.get("Resource", statement.get("NotResource", "*"))
    covered = any(_like(str(item), resource) for item in as_list(resources))
    if covered != ("NotResource" not in statement):
        return False
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return False
    for operator, entries in conditions.items():
        if not isinstance(entries, dict):
            return False
        for key, expected in entries.items():
            if not _condition_holds(str(operator), str(key), expected, context):
                return False
    return True


@dataclass(frozen=True)
class Decision:
    """The answer, and the statement that gave it (its Sid, "" when it has none)."""

    allowed: bool
    effect: str  # "Allow", "Deny", or "" when no statement applied
    sid: str = ""


@lru_cache(maxsize=1024)
def _statements(policy: str) -> tuple[dict[str, Any], ...] | None:
    """The statements of a policy document (JSON text); None when it is not one. Cached: a topic
    checks the same queue policy on every delivery."""
    try:
        document = json.loads(policy) if policy else {}
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    return tuple(item for item in as_list(document.get("Statement")) if isinstance(item, dict))


def service_decision(
    policy: str, *, service_principal: str, action: str, resource: str, context: dict[str, str]
) -> Decision | None:
    """Whether `policy` (JSON text, "" for none) lets the AWS service call `action` on `resource`,
    and by which statement; None when the policy is not a JSON document."""
    statements = _statements(policy)
    if statements is None:
        return None
    allowed_by: dict[str, Any] | None = None
    for statement in statements:
        if not _applies(statement, service=service_principal, action=action, resource=resource, context=context):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(False, "Deny", str(statement.get("Sid") or ""))
        if statement.get("Effect") == "Allow" and allowed_by is None:
            allowed_by = statement
    if allowed_by is None:
        return Decision(False, "")
    return Decision(True, "Allow", str(allowed_by.get("Sid") or ""))


def service_allowed(
    policy: str, *, service_principal: str, action: str, resource: str, context: dict[str, str]
) -> bool:
    """Whether `policy` (JSON text, "" for none) lets the AWS service call `action` on `resource`."""
    decision = service_decision(
        policy, service_principal=service_principal, action=action, resource=resource, context=context
    )
    return decision is not None and decision.allowed
