"""Amazon EventBridge (CloudWatch Events): the bus, rule, target, PutEvents, TestEventPattern,
permission and tag operations of botocore's events model (JSON 1.1). Each method reads its
parameters and calls one domain function:

    buses.py      default and custom buses, the bus policy, sending to another sandbox's bus
    rules.py      rules and targets, tags
    patterns.py   the event pattern language (PutRule, TestEventPattern and matching share it)
    schedules.py  rate() and cron() on the sandbox clock
    ingest.py     PutEvents, events from other services, scheduled events, matching
    archives.py   archives (through their managed rules) and replays on the sandbox clock
    metrics.py    AWS/Events metrics into CloudWatch, once a minute
    delivery.py   targets, retries on the clock, dead-letter queues
    transform.py  Input, InputPath, InputTransformer

LIMITATIONS (deliberate differences from AWS; docs/eventbridge.md words them in full):
- The built-in EC2 targets stop, terminate and reboot the instance their Input names; the
  create-snapshot target fails each attempt (NotEmulatedYet, no EBS), is retried, then
  dead-lettered. Step Functions targets fail at once (NotEmulated).
- Delivery happens inside the PutEvents call; retries back off 1, 2, 4, ... s (capped at 5 min)
  without jitter.
- InvalidEventPatternException omits the parser position AWS appends to the reason.
- Bus policies: only account / "*" principals and StringEquals on aws:PrincipalAccount.
- RoleArn is stored, never assumed. No API destinations, partner sources or endpoints.
- A replay steps one minute of event time (that holds events) per second of sandbox time.
"""

from __future__ import annotations

import json
from typing import Any

from playground.gateway.registry import Provider, register
from playground.gateway.request import RequestContext
from services.eventbridge import archives, buses, ingest, rules
from services.eventbridge.exceptions import ValidationException, invalid_pattern
from services.eventbridge.models import DISABLED, ENABLED, EventBus
from services.eventbridge.patterns import PatternError, compile_pattern

EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def _page(items: list[Any], params: dict[str, Any], default: int = 100) -> tuple[list[Any], str | None]:
    start = int(params.get("NextToken") or 0) if str(params.get("NextToken") or "0").isdigit() else 0
    limit = int(params.get("Limit") or default)
    chunk = items[start : start + limit]
    return chunk, str(start + limit) if start + limit < len(items) else None


def _tags(params: dict[str, Any]) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in params.get("Tags") or []}


@register
class EventsProvider(Provider):
    service = "events"

    def _bus(self, ctx: RequestContext, params: dict[str, Any], key: str = "EventBusName") -> EventBus:
        return buses.bus_find(sandbox=ctx.sandbox, region=ctx.region, name=params.get(key), now=ctx.now)

    # --- buses ---

    def create_event_bus(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bus = buses.bus_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["Name"],
            description=params.get("Description") or "",
            tags=_tags(params),
            now=ctx.now,
        )
        answer: dict[str, Any] = {"EventBusArn": bus.arn}
        if bus.description:
            answer["Description"] = bus.description
        return answer

    def describe_event_bus(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return buses.bus_description(self._bus(ctx, params, "Name"))

    def list_event_buses(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = buses.buses_list(
            sandbox=ctx.sandbox, region=ctx.region, prefix=params.get("NamePrefix") or "", now=ctx.now
        )
        chunk, token = _page(found, params)
        answer: dict[str, Any] = {"EventBuses": [buses.bus_description(bus) for bus in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def delete_event_bus(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buses.bus_delete(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"], now=ctx.now)
        return {}

    def put_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buses.permission_put(
            bus=self._bus(ctx, params),
            statement_id=params.get("StatementId"),
            action=params.get("Action"),
            principal=params.get("Principal"),
            condition=params.get("Condition"),
            policy=params.get("Policy"),
            now=ctx.now,
        )
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buses.permission_remove(
            bus=self._bus(ctx, params),
            statement_id=params.get("StatementId"),
            remove_all=bool(params.get("RemoveAllPermissions")),
            now=ctx.now,
        )
        return {}

    # --- rules ---

    def put_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = rules.rule_put(
            bus=self._bus(ctx, params),
            name=params["Name"],
            event_pattern=params.get("EventPattern"),
            schedule=params.get("ScheduleExpression"),
            state=params.get("State"),
            description=params.get("Description"),
            role_arn=params.get("RoleArn"),
            tags=_tags(params),
            now=ctx.now,
        )
        return {"RuleArn": rule.arn}

    def describe_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return rules.rule_description(rules.rule_find(bus=self._bus(ctx, params), name=params["Name"]))

    def list_rules(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = rules.rules_list(bus=self._bus(ctx, params), prefix=params.get("NamePrefix") or "")
        chunk, token = _page(found, params)
        answer: dict[str, Any] = {"Rules": [rules.rule_description(rule) for rule in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def delete_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules.rule_delete(bus=self._bus(ctx, params), name=params["Name"], force=bool(params.get("Force")), now=ctx.now)
        return {}

    def enable_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules.rule_set_state(bus=self._bus(ctx, params), name=params["Name"], state=ENABLED, now=ctx.now)
        return {}

    def disable_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules.rule_set_state(bus=self._bus(ctx, params), name=params["Name"], state=DISABLED, now=ctx.now)
        return {}

    def list_rule_names_by_target(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        names = rules.rule_names_by_target(bus=self._bus(ctx, params), arn=params["TargetArn"])
        chunk, token = _page(names, params)
        answer: dict[str, Any] = {"RuleNames": chunk}
        if token:
            answer["NextToken"] = token
        return answer

    # --- targets ---

    def put_targets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = rules.rule_find(bus=self._bus(ctx, params), name=params["Rule"], lock=True)
        failed = rules.targets_put(rule=rule, targets=params["Targets"], now=ctx.now)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def remove_targets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = rules.rule_find(bus=self._bus(ctx, params), name=params["Rule"], lock=True)
        failed = rules.targets_remove(rule=rule, ids=params["Ids"], force=bool(params.get("Force")), now=ctx.now)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def list_targets_by_rule(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = rules.rule_find(bus=self._bus(ctx, params), name=params["Rule"])
        chunk, token = _page(rules.targets_of(rule), params)
        answer: dict[str, Any] = {"Targets": chunk}
        if token:
            answer["NextToken"] = token
        return answer

    # --- events ---

    def put_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        results = ingest.put_events(sandbox=ctx.sandbox, region=ctx.region, entries=params["Entries"], now=ctx.now)
        return {"FailedEntryCount": sum(1 for item in results if "ErrorCode" in item), "Entries": results}

    def test_event_pattern(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            pattern = compile_pattern(params["EventPattern"])
        except PatternError as problem:
            raise invalid_pattern(str(problem)) from None
        try:
            event = json.loads(params["Event"])
        except ValueError:
            raise ValidationException("Parameter Event is not valid.") from None
        if not isinstance(event, dict) or any(field not in event for field in EVENT_FIELDS):
            raise ValidationException("Parameter Event is not valid.")
        return {"Result": pattern.matches(event)}

    # --- archives and replays ---

    def create_archive(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        archive = archives.archive_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["ArchiveName"],
            source_arn=params["EventSourceArn"],
            description=params.get("Description") or "",
            pattern=params.get("EventPattern"),
            retention_days=int(params.get("RetentionDays") or 0),
            now=ctx.now,
        )
        return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created_at}

    def describe_archive(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        archive = archives.archive_find(sandbox=ctx.sandbox, region=ctx.region, name=params["ArchiveName"])
        archives.purge([archive], now=ctx.now)
        return archives.archive_description(archive, full=True)

    def list_archives(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = archives.archives_list(
            sandbox=ctx.sandbox,
            region=ctx.region,
            prefix=params.get("NamePrefix") or "",
            source_arn=params.get("EventSourceArn") or "",
            state=params.get("State") or "",
            now=ctx.now,
        )
        chunk, token = _page(found, params)
        answer: dict[str, Any] = {"Archives": [archives.archive_description(item, full=False) for item in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def update_archive(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        archive = archives.archive_update(
            archive=archives.archive_find(sandbox=ctx.sandbox, region=ctx.region, name=params["ArchiveName"]),
            description=params.get("Description"),
            pattern=params.get("EventPattern"),
            retention_days=params.get("RetentionDays"),
            now=ctx.now,
        )
        return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created_at}

    def delete_archive(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        archive = archives.archive_find(sandbox=ctx.sandbox, region=ctx.region, name=params["ArchiveName"])
        archives.archive_delete(archive=archive, now=ctx.now)
        return {}

    def start_replay(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        replay = archives.replay_start(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["ReplayName"],
            description=params.get("Description") or "",
            source_arn=params["EventSourceArn"],
            start=params["EventStartTime"],
            end=params["EventEndTime"],
            destination=params["Destination"],
            now=ctx.now,
        )
        return {"ReplayArn": replay.arn, "State": replay.state, "ReplayStartTime": replay.started_at}

    def describe_replay(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        replay = archives.replay_find(sandbox=ctx.sandbox, region=ctx.region, name=params["ReplayName"])
        return archives.replay_description(replay, full=True)

    def list_replays(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = archives.replays_list(
            sandbox=ctx.sandbox,
            region=ctx.region,
            prefix=params.get("NamePrefix") or "",
            state=params.get("State") or "",
            source_arn=params.get("EventSourceArn") or "",
        )
        chunk, token = _page(found, params)
        answer: dict[str, Any] = {"Replays": [archives.replay_description(item, full=False) for item in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def cancel_replay(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        replay = archives.replay_find(sandbox=ctx.sandbox, region=ctx.region, name=params["ReplayName"], lock=True)
        archives.replay_cancel(replay=replay, now=ctx.now)
        return {"ReplayArn": replay.arn, "State": replay.state}

    # --- tags ---

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        resource = rules.resource_by_arn(sandbox=ctx.sandbox, region=ctx.region, arn=params["ResourceARN"], now=ctx.now)
        rules.tags_set(resource, _tags(params), now=ctx.now)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        resource = rules.resource_by_arn(sandbox=ctx.sandbox, region=ctx.region, arn=params["ResourceARN"], now=ctx.now)
        rules.tags_remove(resource, params["TagKeys"], now=ctx.now)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        resource = rules.resource_by_arn(sandbox=ctx.sandbox, region=ctx.region, arn=params["ResourceARN"], now=ctx.now)
        return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(resource.tags.items())]}
