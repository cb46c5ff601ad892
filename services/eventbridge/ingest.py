"""Events arriving on a bus: PutEvents' entries (checked one by one, as AWS fails entries and not
the request), events other services emit (public.py) and scheduled events; each is matched against
the bus's enabled rules and handed to their targets (delivery.py).

PutEvents refuses the whole request only when its entries together pass 256 KB (AWS's size
count: Source, DetailType, Detail and Resources in UTF-8 bytes, 14 for a Time); an entry's own
problem fails that entry with AWS's ErrorCode and ErrorMessage.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db.models import F

from playground.sandboxes.models import Sandbox
from services.eventbridge import buses, delivery, events, metrics, schedules
from services.eventbridge.exceptions import ValidationException
from services.eventbridge.models import ARCHIVE_MANAGER, DISABLED, EventBus, Rule
from services.eventbridge.patterns import pattern_index

SIZE_LIMIT = 256 * 1024


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_size(entry: dict[str, Any]) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    size += sum(len(str(item).encode()) for item in entry.get("Resources") or [])
    return size


def make_event(
    *, account: str, region: str, source: str, detail_type: str, detail: Any, resources: list[str], time: dt.datetime
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso(time),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


class Candidates:
    """A bus's enabled pattern rules, read once for all the events of one request."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        rows = Rule.objects.filter(bus=bus).exclude(event_pattern="").exclude(state=DISABLED)
        self.index = pattern_index(tuple(rows.order_by("id").values_list("id", "event_pattern")))


def route_many(
    *,
    bus: EventBus,
    arrived: list[dict[str, Any]],
    now: dt.datetime,
    hops: int = 0,
    candidates: Candidates | None = None,
    only: Callable[[Rule], bool] | None = None,
) -> int:
    """Match the events against the bus's enabled pattern rules and deliver them to the matched
    rules' targets, in order (an archive's managed rule keeps them in the archive); the number of
    matches. The matched rules and their targets are read in one go, and each rule's match count
    is added once. `only` keeps the rules a replay's FilterArns name."""
    from services.eventbridge.archives import archive_store

    found = candidates or Candidates(bus)
    matches = [(event, rule_id) for event in arrived for rule_id in found.index.matching(event)]
    if not matches:
        return 0
    rules = {
        rule.pk: rule
        for rule in Rule.objects.filter(pk__in={rule_id for _, rule_id in matches})
        .select_related("archive")
        .prefetch_related("targets")
    }
    if only is not None:
        matches = [(event, rule_id) for event, rule_id in matches if only(rules[rule_id])]
    counts = Counter(rule_id for _, rule_id in matches)
    by_count: dict[int, list[int]] = {}
    for rule_id, count in counts.items():
        by_count.setdefault(count, []).append(rule_id)
    for count, ids in by_count.items():
        Rule.objects.filter(pk__in=ids).update(
            matched_events=F("matched_events") + count, metrics_due_at=metrics.due_at(now)
        )
    for rule in rules.values():
        rule.bus, rule.sandbox = bus, bus.sandbox
    for event, rule_id in matches:
        rule = rules[rule_id]
        events.matched(bus, rule, event=event, now=now)
        if rule.managed_by == ARCHIVE_MANAGER:
            archive_store(rule, event, now=now)
            continue
        for target in rule.targets.all():
            delivery.deliver(sandbox=bus.sandbox, rule=rule, target=target, event=event, now=now, hops=hops)
    return len(matches)


def route(*, bus: EventBus, event: dict[str, Any], now: dt.datetime, hops: int = 0) -> int:
    """Match one event against the bus's rules and deliver it; the rules matched."""
    return route_many(bus=bus, arrived=[event], now=now, hops=hops)


def _entry_problem(entry: dict[str, Any], sandbox: Sandbox) -> tuple[str, str] | None:
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return "MalformedDetail", "Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    if str(entry["Source"]).startswith("aws."):
        return "NotAuthorizedForSourceException", "Not authorized for the source."
    return None


def put_events(
    *, sandbox: Sandbox, region: str, entries: list[dict[str, Any]], now: dt.datetime
) -> list[dict[str, Any]]:
    if sum(entry_size(entry) for entry in entries) > SIZE_LIMIT:
        raise ValidationException("Total size of the entries in the request is over the limit.")
    results: list[dict[str, Any]] = []
    found_buses: dict[str, EventBus] = {}
    candidates: dict[int, Candidates] = {}  # bus id -> its rules, read once for the request
    received: dict[int, list[dict[str, Any]]] = {}  # bus id -> the events it received, in order
    for entry in entries:
        problem = _entry_problem(entry, sandbox)
        bus: EventBus | None = None
        if problem is None:
            name = entry.get("EventBusName") or None
            match = buses.BUS_ARN.match(name or "")
            try:
                if match and match.group("account") != sandbox.account_id:
                    bus, why = buses.foreign_bus(sender=sandbox, arn=str(name))
                    if bus is None:
                        problem = ("AccessDeniedException", why)
                else:
                    key = name or ""
                    if key not in found_buses:
                        found_buses[key] = buses.bus_find(sandbox=sandbox, region=region, name=name, now=now)
                    bus = found_buses[key]
            except ValidationException as error:
                problem = ("InvalidArgument", error.message)
            except Exception as error:
                problem = (getattr(error, "code", "InternalException"), getattr(error, "message", str(error)))
        if problem is not None or bus is None:
            code, message = problem or ("InternalException", "")
            results.append({"ErrorCode": code, "ErrorMessage": message})
            continue
        time = entry.get("Time") or now
        event = make_event(
            account=sandbox.account_id,
            region=bus.region,
            source=entry["Source"],
            detail_type=entry["DetailType"],
            detail=json.loads(entry["Detail"]),
            resources=entry.get("Resources") or [],
            time=time,
        )
        if bus.pk not in candidates:
            candidates[bus.pk] = Candidates(bus)
        received.setdefault(bus.pk, []).append(event)
        results.append({"EventId": event["id"]})
    for bus_id, arrived in received.items():
        found = candidates[bus_id]
        events.received(found.bus, ids=[event["id"] for event in arrived], now=now)
        route_many(bus=found.bus, arrived=arrived, now=now, candidates=found)
    return results


def emit(
    *,
    sandbox: Sandbox,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    now: dt.datetime,
    time: dt.datetime | None = None,
    bus_name: str | None = None,
) -> str:
    """An event from an AWS service, on the region's default bus or the sandbox's bus `bus_name`
    (a Lambda destination may name one; ResourceNotFoundException when it does not exist); its id."""
    bus = buses.bus_find(sandbox=sandbox, region=region, name=bus_name, now=now)
    event = make_event(
        account=sandbox.account_id,
        region=region,
        source=source,
        detail_type=detail_type,
        detail=detail,
        resources=resources,
        time=time or now,
    )
    events.received(bus, ids=[event["id"]], now=now, event_source=source, detail_type=detail_type)
    route(bus=bus, event=event, now=now)
    return str(event["id"])


MAX_FIRES_PER_RUN = 5000


def fire_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Every due occurrence of the sandbox's schedule rules, oldest first, each as AWS's Scheduled
    Event (time = the occurrence's own time) delivered to the rule's targets."""
    fired = 0
    due = Rule.objects.filter(sandbox=sandbox, next_fire_at__lte=now).select_related("bus", "sandbox")
    for rule in due.order_by("next_fire_at", "id"):
        at = rule.next_fire_at
        # Claim: only the worker that moves next_fire_at on from this value fires this occurrence.
        while at is not None and at <= now and fired < MAX_FIRES_PER_RUN:
            following = schedules.next_time(rule.schedule, after=at) if rule.schedule else None
            if Rule.objects.filter(pk=rule.pk, next_fire_at=at).update(next_fire_at=following) == 0:
                break
            fired += 1
            event = make_event(
                account=sandbox.account_id,
                region=rule.bus.region,
                source="aws.events",
                detail_type="Scheduled Event",
                detail={},
                resources=[rule.arn],
                time=at,
            )
            Rule.objects.filter(pk=rule.pk).update(
                matched_events=F("matched_events") + 1, metrics_due_at=metrics.due_at(now)
            )
            events.fired(rule, event=event, now=now)
            for target in rule.targets.all():
                delivery.deliver(sandbox=sandbox, rule=rule, target=target, event=event, now=now)
            at = following
        rule.refresh_from_db(fields=["next_fire_at", "matched_events"])
        events.rule_changed(rule, "changed", now=now)  # the diagram shows the next fire time
