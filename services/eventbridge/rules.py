"""Rules and their targets: PutRule (a pattern, a schedule or both), describe, list, delete
(targets first), enable / disable (a schedule rule's next fire time set or cleared), tags, and
PutTargets / RemoveTargets / ListTargetsByRule with AWS's checks (5 targets a rule, one of Input,
InputPath and InputTransformer, SqsParameters.MessageGroupId for a FIFO queue)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from playground.sandboxes.models import Sandbox
from services.eventbridge import events, schedules
from services.eventbridge.exceptions import (
    LimitExceededException,
    ResourceNotFoundException,
    ValidationException,
    invalid_pattern,
    managed_rule,
    rule_not_found,
)
from services.eventbridge.models import DEFAULT_BUS, DISABLED, ENABLED, EventBus, Rule, Target
from services.eventbridge.patterns import pattern_error

TARGETS_PER_RULE = 5
RULE_ARN = re.compile(r"^arn:aws[\w-]*:events:(?P<region>[\w-]+):(?P<account>\d{12}):rule/(?P<path>.+)$")
STATES = (ENABLED, DISABLED, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


def rule_find(*, bus: EventBus, name: str, lock: bool = False) -> Rule:
    rows = Rule.objects.select_related("bus", "sandbox")
    if lock:
        rows = rows.select_for_update()
    rule = rows.filter(bus=bus, name=name).first()
    if rule is None:
        raise rule_not_found(name, bus.name)
    return rule


def _refuse_managed(rule: Rule, *, force: bool = False) -> None:
    if rule.managed_by and not force:
        raise managed_rule(rule.name, rule.managed_by)


def _schedule_from(rule: Rule, *, now: dt.datetime) -> None:
    enabled = rule.state != DISABLED
    rule.next_fire_at = schedules.first_time(rule.schedule, created=now) if rule.schedule and enabled else None


def rule_put(
    *,
    bus: EventBus,
    name: str,
    event_pattern: str | None,
    schedule: str | None,
    state: str | None,
    description: str | None,
    role_arn: str | None,
    tags: dict[str, str],
    now: dt.datetime,
    managed_by: str = "",
) -> Rule:
    if not event_pattern and not schedule:
        raise ValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if event_pattern:
        reason = pattern_error(event_pattern)
        if reason is not None:
            raise invalid_pattern(reason)
    if schedule:
        try:
            schedules.parse(schedule)
        except schedules.ScheduleError:
            raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        if bus.name != DEFAULT_BUS:
            raise ValidationException("ScheduleExpression is supported only on the default event bus.")
    if state is not None and state not in STATES:
        raise ValidationException(f"Parameter State is not valid. Valid values: {', '.join(STATES)}.")
    rule = Rule.objects.select_related("bus", "sandbox").filter(bus=bus, name=name).first()
    created = rule is None
    if rule is None:
        rule = Rule(sandbox=bus.sandbox, bus=bus, name=name, created_at=now, managed_by=managed_by)
    elif not managed_by:
        _refuse_managed(rule)
    rule.event_pattern = event_pattern or ""
    old_schedule = rule.schedule
    rule.schedule = schedule or ""
    rule.state = state or (rule.state if not created else ENABLED)
    if description is not None:
        rule.description = description
    if role_arn is not None:
        rule.role_arn = role_arn
    if created or rule.schedule != old_schedule or rule.next_fire_at is None or rule.state == DISABLED:
        _schedule_from(rule, now=now)
    rule.save()
    if tags:
        rule.tags = {**rule.tags, **tags}
        rule.save(update_fields=["tags"])
    events.rule_changed(rule, "created" if created else "changed", now=now)
    return rule


def rule_description(rule: Rule) -> dict[str, Any]:
    found: dict[str, Any] = {"Name": rule.name, "Arn": rule.arn, "State": rule.state, "EventBusName": rule.bus.name}
    if rule.event_pattern:
        found["EventPattern"] = rule.event_pattern
    if rule.schedule:
        found["ScheduleExpression"] = rule.schedule
    if rule.description:
        found["Description"] = rule.description
    if rule.role_arn:
        found["RoleArn"] = rule.role_arn
    if rule.managed_by:
        found["ManagedBy"] = rule.managed_by
    found["CreatedBy"] = rule.sandbox.account_id
    return found


def rules_list(*, bus: EventBus, prefix: str) -> list[Rule]:
    return [
        rule
        for rule in Rule.objects.select_related("bus", "sandbox").filter(bus=bus).order_by("name")
        if rule.name.startswith(prefix)
    ]


def rule_delete(*, bus: EventBus, name: str, force: bool, now: dt.datetime) -> None:
    rule = Rule.objects.select_related("bus", "sandbox").filter(bus=bus, name=name).first()
    if rule is None:
        return  # AWS answers a delete of a missing rule with success
    _refuse_managed(rule, force=force)
    if rule.targets.exists():
        raise ValidationException("Rule can't be deleted since it has targets.")
    events.rule_changed(rule, "deleted", now=now)
    rule.delete()


def rule_set_state(*, bus: EventBus, name: str, state: str, now: dt.datetime) -> Rule:
    rule = rule_find(bus=bus, name=name)
    _refuse_managed(rule)
    rule.state = state
    _schedule_from(rule, now=now)
    rule.save(update_fields=["state", "next_fire_at"])
    events.rule_changed(rule, "changed", now=now)
    return rule


# --- targets -------------------------------------------------------------------------------------


def _queue_is_fifo(arn: str) -> bool:
    return arn.startswith("arn:aws:sqs:") and arn.endswith(".fifo")


def _check_target(target: dict[str, Any]) -> None:
    target_id = target["Id"]
    given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(given) > 1:
        raise ValidationException(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise ValidationException(f"Input is not valid JSON text for target {target_id}.") from None
    transformer = target.get("InputTransformer")
    if transformer:
        paths = transformer.get("InputPathsMap") or {}
        if len(paths) > 100:
            raise ValidationException(f"InputPathsMap for target {target_id} has more than 100 entries.")
        for key, path in paths.items():
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", key) or key == "aws.events.event":
                raise ValidationException(f"InputPathsMap key {key} for target {target_id} is not valid.")
            if not str(path).startswith("$"):
                raise ValidationException(f"InputPath {path} for target {target_id} is not valid.")
    if _queue_is_fifo(target["Arn"]) and not (target.get("SqsParameters") or {}).get("MessageGroupId"):
        raise ValidationException(f"Parameter(s) SqsParameters must be specified for target: {target_id}.")
    if target.get("SqsParameters") and not target["Arn"].startswith("arn:aws:sqs:"):
        raise ValidationException(f"Parameter(s) SqsParameters not supported for target: {target_id}.")


def targets_put(*, rule: Rule, targets: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Add or replace targets; the failed entries (ValidationException raised for the whole request
    where AWS refuses it)."""
    _refuse_managed(rule)
    for target in targets:
        _check_target(target)
    existing = {target.target_id: target for target in rule.targets.all()}
    new_ids = {target["Id"] for target in targets} - set(existing)
    if len(existing) + len(new_ids) > TARGETS_PER_RULE:
        raise LimitExceededException("The requested resource exceeds the maximum number allowed.")
    for given in targets:
        row = existing.get(given["Id"]) or Target(rule=rule, target_id=given["Id"])
        row.arn = given["Arn"]
        row.config = {key: value for key, value in given.items() if value is not None}
        row.save()
    events.rule_changed(rule, "changed", now=now)
    return []


def targets_remove(*, rule: Rule, ids: list[str], force: bool, now: dt.datetime) -> list[dict[str, Any]]:
    _refuse_managed(rule, force=force)
    Target.objects.filter(rule=rule, target_id__in=ids).delete()
    events.rule_changed(rule, "changed", now=now)
    return []


def targets_of(rule: Rule) -> list[dict[str, Any]]:
    return [dict(target.config) for target in rule.targets.all().order_by("target_id")]


def rule_names_by_target(*, bus: EventBus, arn: str) -> list[str]:
    return sorted(set(Target.objects.filter(rule__bus=bus, arn=arn).values_list("rule__name", flat=True)))


# --- tags (rules and buses by ARN) ---------------------------------------------------------------


def resource_by_arn(*, sandbox: Sandbox, region: str, arn: str, now: dt.datetime) -> Rule | EventBus:
    from services.eventbridge.buses import BUS_ARN, bus_find

    rule_match = RULE_ARN.match(arn)
    if rule_match and rule_match.group("account") == sandbox.account_id:
        path = rule_match.group("path")
        bus_name, _, name = path.rpartition("/")
        bus = bus_find(sandbox=sandbox, region=rule_match.group("region"), name=bus_name or None, now=now)
        return rule_find(bus=bus, name=name)
    bus_match = BUS_ARN.match(arn)
    if bus_match and bus_match.group("account") == sandbox.account_id:
        return bus_find(sandbox=sandbox, region=bus_match.group("region"), name=bus_match.group("name"), now=now)
    raise ResourceNotFoundException(f"Resource {arn} does not exist.")


def tags_set(resource: Rule | EventBus, tags: dict[str, str], *, now: dt.datetime) -> None:
    if isinstance(resource, Rule):
        _refuse_managed(resource)
    resource.tags = {**resource.tags, **tags}
    resource.save(update_fields=["tags"])


def tags_remove(resource: Rule | EventBus, keys: list[str], *, now: dt.datetime) -> None:
    if isinstance(resource, Rule):
        _refuse_managed(resource)
    resource.tags = {key: value for key, value in resource.tags.items() if key not in keys}
    resource.save(update_fields=["tags"])
