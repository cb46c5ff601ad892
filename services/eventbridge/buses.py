"""Event buses: each region's `default` bus (there from the first call that needs it), custom buses,
and a bus's resource policy (PutPermission / RemovePermission) with the check AWS makes when
another account sends to the bus.

Another account is another sandbox; a sandbox may send to another's bus only when both are
enrolled in the same classroom and the bus's policy allows the sender's account (or "*").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from playground.policies import as_list
from playground.sandboxes.models import Sandbox
from services.eventbridge import events
from services.eventbridge.exceptions import (
    PolicyLengthExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
    bus_not_found,
)
from services.eventbridge.models import DEFAULT_BUS, EventBus

BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:(?P<region>[\w-]+):(?P<account>\d{12}):event-bus/(?P<name>.+)$")
POLICY_LIMIT = 10240


def default_bus(*, sandbox: Sandbox, region: str, now: dt.datetime) -> EventBus:
    bus, created = EventBus.objects.get_or_create(
        sandbox=sandbox, region=region, name=DEFAULT_BUS, defaults={"created_at": now, "modified_at": now}
    )
    bus.sandbox = sandbox  # the ARN reads the account id: no second query for it
    if created:
        events.bus_changed(bus, "created", now=now)
    return bus


def bus_find(*, sandbox: Sandbox, region: str, name: str | None, now: dt.datetime) -> EventBus:
    """The bus a request names (its name or its ARN; None or "" for the default bus)."""
    name = name or DEFAULT_BUS
    match = BUS_ARN.match(name)
    if match:
        name = match.group("name")
    if name == DEFAULT_BUS:
        return default_bus(sandbox=sandbox, region=region, now=now)
    bus = EventBus.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if bus is None:
        raise bus_not_found(name)
    bus.sandbox = sandbox
    return bus


def bus_create(
    *, sandbox: Sandbox, region: str, name: str, description: str, tags: dict[str, str], now: dt.datetime
) -> EventBus:
    if name == DEFAULT_BUS or EventBus.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
    if "/" in name:
        raise ValidationException("Event bus name must not contain '/'.")
    bus = EventBus.objects.create(
        sandbox=sandbox, region=region, name=name, description=description, tags=tags, created_at=now, modified_at=now
    )
    events.bus_changed(bus, "created", now=now)
    return bus


def bus_delete(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime) -> None:
    if name == DEFAULT_BUS:
        raise ValidationException("Cannot delete event bus default.")
    bus = EventBus.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if bus is None:
        return  # AWS answers a delete of a missing bus with success
    for rule in bus.rules.all():
        events.rule_changed(rule, "deleted", now=now)
    events.bus_changed(bus, "deleted", now=now)
    bus.delete()


def bus_description(bus: EventBus) -> dict[str, Any]:
    found: dict[str, Any] = {
        "Name": bus.name,
        "Arn": bus.arn,
        "CreationTime": bus.created_at,
        "LastModifiedTime": bus.modified_at,
    }
    if bus.description:
        found["Description"] = bus.description
    if bus.policy:
        found["Policy"] = bus.policy
    return found


def buses_list(*, sandbox: Sandbox, region: str, prefix: str, now: dt.datetime) -> list[EventBus]:
    default_bus(sandbox=sandbox, region=region, now=now)
    rows = EventBus.objects.filter(sandbox=sandbox, region=region).order_by("name")
    return [bus for bus in rows if bus.name.startswith(prefix)]


# --- the bus policy ------------------------------------------------------------------------------


def _statements(bus: EventBus) -> list[dict[str, Any]]:
    if not bus.policy:
        return []
    document = json.loads(bus.policy)
    return [item for item in as_list(document.get("Statement")) if isinstance(item, dict)]


def _store(bus: EventBus, statements: list[dict[str, Any]], *, now: dt.datetime) -> None:
    bus.policy = json.dumps({"Version": "2012-10-17", "Statement": statements}) if statements else ""
    if len(bus.policy) > POLICY_LIMIT:
        raise PolicyLengthExceededException("The policy exceeds the maximum allowed length.")
    bus.modified_at = now
    bus.save(update_fields=["policy", "modified_at"])
    events.bus_changed(bus, "changed", now=now)


def permission_put(
    *,
    bus: EventBus,
    statement_id: str | None,
    action: str | None,
    principal: str | None,
    condition: dict[str, Any] | None,
    policy: str | None,
    now: dt.datetime,
) -> None:
    """PutPermission: a whole policy, or one statement letting an account (or "*") put events."""
    if policy is not None:
        try:
            document = json.loads(policy)
        except ValueError:
            raise ValidationException("Policy is not a valid JSON document.") from None
        if not isinstance(document, dict):
            raise ValidationException("Policy is not a valid JSON document.")
        _store(bus, [item for item in as_list(document.get("Statement")) if isinstance(item, dict)], now=now)
        return
    if not statement_id or not action or not principal:
        raise ValidationException("One or more parameters are missing: StatementId, Action and Principal.")
    if action != "events:PutEvents":
        raise ValidationException(f"Provided value in parameter 'action' is not supported: {action}.")
    if principal != "*" and not re.fullmatch(r"\d{12}", principal):
        raise ValidationException(f"Provided value in parameter 'principal' is not supported: {principal}.")
    if principal == "*" and not condition:
        pass  # AWS accepts "*" alone: any account may then put events on the bus
    statement: dict[str, Any] = {
        "Sid": statement_id,
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": action,
        "Resource": bus.arn,
    }
    if condition:
        statement["Condition"] = {"StringEquals": {str(condition.get("Key")): str(condition.get("Value"))}}
    statements = [item for item in _statements(bus) if item.get("Sid") != statement_id] + [statement]
    _store(bus, statements, now=now)


def permission_remove(*, bus: EventBus, statement_id: str | None, remove_all: bool, now: dt.datetime) -> None:
    statements = _statements(bus)
    if not statements:
        raise ResourceNotFoundException("EventBus does not have a policy.")
    if remove_all:
        _store(bus, [], now=now)
        return
    kept = [item for item in statements if item.get("Sid") != statement_id]
    if len(kept) == len(statements):
        raise ResourceNotFoundException("Statement with the provided id does not exist.")
    _store(bus, kept, now=now)


def _principal_allows(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(item in ("*", account, f"arn:aws:iam::{account}:root") for item in as_list(principal.get("AWS")))


def allows_account(bus: EventBus, *, account: str) -> bool:
    """Whether the bus's policy lets `account` put events on it (an explicit Deny wins). Conditions
    other than aws:PrincipalAccount equality are not understood, so a statement with one allows
    nothing."""
    allowed = False
    for statement in _statements(bus):
        actions = as_list(statement.get("Action"))
        if not any(str(item).lower() in ("events:putevents", "events:*", "*") for item in actions):
            continue
        if not _principal_allows(statement.get("Principal"), account):
            continue
        conditions = statement.get("Condition") or {}
        equals = conditions.get("StringEquals") or {} if isinstance(conditions, dict) else {}
        if set(conditions) - {"StringEquals"} or any(
            key.lower() != "aws:principalaccount" or account not in as_list(value) for key, value in equals.items()
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def foreign_bus(*, sender: Sandbox, arn: str) -> tuple[EventBus | None, str]:
    """The bus of another sandbox an ARN names, if `sender` may send to it; else None and why."""
    from playground.classroom.models import Enrollment

    match = BUS_ARN.match(arn)
    if match is None:
        return None, f"{arn} is not an event bus ARN"
    owner = Sandbox.objects.filter(account_id=match.group("account")).first()
    if owner is None:
        return None, f"Event bus {match.group('name')} does not exist."
    classes = dict(
        Enrollment.objects.filter(sandbox_id__in=[sender.pk, owner.pk]).values_list("sandbox_id", "classroom_id")
    )
    if classes.get(sender.pk) is None or classes.get(sender.pk) != classes.get(owner.pk):
        return None, "the event bus belongs to an account outside the sender's classroom"
    bus = EventBus.objects.filter(sandbox=owner, region=match.group("region"), name=match.group("name")).first()
    if bus is None:
        return None, f"Event bus {match.group('name')} does not exist."
    if not allows_account(bus, account=sender.account_id):
        return None, f"the policy of event bus {bus.name} does not allow account {sender.account_id} to put events"
    return bus, ""
