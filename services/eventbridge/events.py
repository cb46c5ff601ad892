"""The live events EventBridge publishes (the platform's types; it needs none of its own).

    resource.created / changed / deleted
        an event bus (resource_type "event-bus"; attributes: Policy set or not)
        a rule (resource_type "rule"; attributes: State, EventPattern, ScheduleExpression,
        NextFireTime on the sandbox clock, Targets: the target ARNs)
    flow, kind:
      received      client -> bus      events arrived: one flow per PutEvents call and bus (item_id
                                       the first event's id; detail: events, the count), one per
                                       event a service emits (detail: event_source, detail_type)
      matched       bus -> rule        the rule's pattern matched it (detail: event id)
      fired         rule -> rule       a schedule rule fired (detail: event id, time)
      delivered     rule -> target     the target got it (detail: event id, attempts)
      failed        rule -> target     an attempt failed (detail: event id, error_code,
                                       error_message, attempts, retry_at or null when final)
      dead-lettered rule -> queue      the event went to the target's dead-letter queue
      replayed      archive -> bus     a replay step sent archived events back to the bus (item_id
                                       the first event's id; detail: events, replay)
    resource.created / changed / deleted
        an archive (resource_type "archive"; attributes: EventSourceArn, State, RetentionDays)
        a replay (resource_type "replay"; attributes: State, EventSourceArn)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource

if TYPE_CHECKING:
    from services.eventbridge.models import Archive, EventBus, Replay, Rule

SERVICE = "eventbridge"
CLIENT = "client"


def rule_attributes(rule: Rule) -> dict[str, Any]:
    return {
        "State": rule.state,
        "EventPattern": rule.event_pattern,
        "ScheduleExpression": rule.schedule,
        "NextFireTime": rule.next_fire_at.isoformat() if rule.next_fire_at else None,
        "Targets": [target.arn for target in rule.targets.all()] if rule.pk else [],
    }


def bus_changed(bus: EventBus, change: str, *, now: dt.datetime) -> None:
    publish_resource(
        bus.sandbox,
        change,
        service=SERVICE,
        resource_type="event-bus",
        arn=bus.arn,
        name=bus.name,
        now=now,
        attributes=None if change == "deleted" else {"Policy": bool(bus.policy)},
    )


def rule_changed(rule: Rule, change: str, *, now: dt.datetime) -> None:
    publish_resource(
        rule.sandbox,
        change,
        service=SERVICE,
        resource_type="rule",
        arn=rule.arn,
        name=rule.name,
        now=now,
        attributes=None if change == "deleted" else rule_attributes(rule),
    )


def archive_changed(archive: Archive, change: str, *, now: dt.datetime) -> None:
    """The archive (hidden on the diagram: the bus's inspector lists it), and its bus changed."""
    bus_changed(archive.bus, "changed", now=now)
    publish_resource(
        archive.sandbox,
        change,
        service=SERVICE,
        resource_type="archive",
        arn=archive.arn,
        name=archive.name,
        now=now,
        attributes=None
        if change == "deleted"
        else {"EventSourceArn": archive.bus.arn, "State": archive.state, "RetentionDays": archive.retention_days},
    )


def replay_changed(replay: Replay, change: str, *, now: dt.datetime) -> None:
    if replay.archive is not None:
        bus_changed(replay.archive.bus, "changed", now=now)
    publish_resource(
        replay.sandbox,
        change,
        service=SERVICE,
        resource_type="replay",
        arn=replay.arn,
        name=replay.name,
        now=now,
        attributes={"State": replay.state, "EventSourceArn": replay.archive_arn},
    )


def replayed(replay: Replay, *, bus_arn: str, ids: list[str], now: dt.datetime) -> None:
    _flow(
        replay, "replayed", source=replay.archive_arn, target=bus_arn, item_id=ids[0], now=now, events=len(ids),
        replay=replay.name,
    )  # fmt: skip


def _flow(
    rule_or_bus: Rule | EventBus | Replay,
    kind: str,
    *,
    source: str,
    target: str,
    item_id: str,
    now: dt.datetime,
    **detail: Any,
) -> None:
    publish_flow(
        rule_or_bus.sandbox,
        service=SERVICE,
        kind=kind,
        source=source,
        target=target,
        item_id=item_id,
        now=now,
        detail=detail,
    )


def received(bus: EventBus, *, ids: list[str], now: dt.datetime, **detail: Any) -> None:
    _flow(bus, "received", source=CLIENT, target=bus.arn, item_id=ids[0], now=now, events=len(ids), **detail)


def matched(bus: EventBus, rule: Rule, *, event: dict[str, Any], now: dt.datetime) -> None:
    _flow(rule, "matched", source=bus.arn, target=rule.arn, item_id=event["id"], now=now)


def fired(rule: Rule, *, event: dict[str, Any], now: dt.datetime) -> None:
    _flow(rule, "fired", source=rule.arn, target=rule.arn, item_id=event["id"], now=now, time=event["time"])


def delivered(rule: Rule, *, target_arn: str, event: dict[str, Any], attempts: int, now: dt.datetime) -> None:
    _flow(rule, "delivered", source=rule.arn, target=target_arn, item_id=event["id"], now=now, attempts=attempts)


def failed(
    rule: Rule,
    *,
    target_arn: str,
    event: dict[str, Any],
    code: str,
    message: str,
    attempts: int,
    retry_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    _flow(
        rule,
        "failed",
        source=rule.arn,
        target=target_arn,
        item_id=event["id"],
        now=now,
        error_code=code,
        error_message=message,
        attempts=attempts,
        retry_at=retry_at.isoformat() if retry_at else None,
    )


def dead_lettered(rule: Rule, *, target_arn: str, queue_arn: str, event: dict[str, Any], now: dt.datetime) -> None:
    _flow(
        rule, "dead-lettered", source=rule.arn, target=queue_arn, item_id=event["id"], now=now, failed_target=target_arn
    )
