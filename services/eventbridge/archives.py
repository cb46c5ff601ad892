"""Archives and replays: CreateArchive / DescribeArchive / ListArchives / UpdateArchive /
DeleteArchive, and StartReplay / DescribeReplay / ListReplays / CancelReplay.

An archive receives its bus's events through a managed rule AWS also makes on the bus,
`Events-Archive-NAME` (ManagedBy prod.vhs.events.aws.internal), whose pattern is the archive's with
`"replay-name": [{"exists": false}]` added, so replayed events are never archived again. Matching
that rule (ingest.route_many) stores the event in the archive. Events are kept RetentionDays of
the sandbox clock from their arrival (0: indefinitely); older ones are purged whenever the archive
is read, described, listed or replayed.

A replay goes STARTING -> RUNNING -> COMPLETED (or CANCELLING -> CANCELLED) on the sandbox clock:
one second after StartReplay it runs, and each following second of sandbox time replays the next
minute of event time that holds archived events in [EventStartTime, EventEndTime) (AWS replays
minute by minute, by the time in the event), each event with a top-level "replay-name" field, to
the rules of the archive's bus (only those in Destination.FilterArns when given).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.db.models import Count, Sum

from playground.sandboxes.duework import schedule_timer
from playground.sandboxes.models import Sandbox
from services.eventbridge import events, rules
from services.eventbridge.exceptions import (
    IllegalStatusException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
    invalid_pattern,
)
from services.eventbridge.models import (
    ARCHIVE_MANAGER,
    ARCHIVE_RULE_PREFIX,
    CANCELLED,
    CANCELLING,
    COMPLETED,
    ENABLED,
    RUNNING,
    STARTING,
    Archive,
    ArchivedEvent,
    EventBus,
    Replay,
    Rule,
)
from services.eventbridge.patterns import pattern_error

NAME = re.compile(r"^[.\-_A-Za-z0-9]+$")
STEP = dt.timedelta(seconds=1)  # sandbox time between two steps of a replay
MINUTE = dt.timedelta(minutes=1)
NOT_REPLAYED = {"replay-name": [{"exists": False}]}


def _rule_pattern(pattern: str) -> str:
    given = json.loads(pattern) if pattern else {}
    return json.dumps({**given, **NOT_REPLAYED})


def _check_pattern(pattern: str | None) -> None:
    if pattern:
        reason = pattern_error(pattern)
        if reason is not None:
            raise invalid_pattern(reason)
        if not isinstance(json.loads(pattern), dict):
            raise invalid_pattern("Filter is not an object")


def _bus_of(*, sandbox: Sandbox, region: str, arn: str, now: dt.datetime) -> EventBus:
    from services.eventbridge.buses import BUS_ARN, bus_find

    match = BUS_ARN.match(arn or "")
    if match is None:
        raise ValidationException(
            "Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format."
        )
    if match.group("account") != sandbox.account_id or match.group("region") != region:
        raise ResourceNotFoundException(f"Event bus {match.group('name')} does not exist.")
    return bus_find(sandbox=sandbox, region=region, name=match.group("name"), now=now)


def archive_find(*, sandbox: Sandbox, region: str, name: str) -> Archive:
    archive = Archive.objects.select_related("bus", "sandbox").filter(sandbox=sandbox, region=region, name=name).first()
    if archive is None:
        raise ResourceNotFoundException(f"Archive {name} does not exist.")
    return archive


def archive_create(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    source_arn: str,
    description: str,
    pattern: str | None,
    retention_days: int,
    now: dt.datetime,
) -> Archive:
    if not NAME.match(name):
        raise ValidationException("Parameter ArchiveName is not valid.")
    if Archive.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise ResourceAlreadyExistsException(f"Archive {name} already exists.")
    bus = _bus_of(sandbox=sandbox, region=region, arn=source_arn, now=now)
    _check_pattern(pattern)
    rule = rules.rule_put(
        bus=bus,
        name=f"{ARCHIVE_RULE_PREFIX}{name}"[:64],
        event_pattern=_rule_pattern(pattern or ""),
        schedule=None,
        state=ENABLED,
        description=None,
        role_arn=None,
        tags={},
        now=now,
        managed_by=ARCHIVE_MANAGER,
    )
    archive = Archive.objects.create(
        sandbox=sandbox,
        region=region,
        name=name,
        bus=bus,
        rule=rule,
        description=description,
        event_pattern=pattern or "",
        retention_days=retention_days,
        created_at=now,
    )
    events.archive_changed(archive, "created", now=now)
    return archive


def archive_update(
    *,
    archive: Archive,
    description: str | None,
    pattern: str | None,
    retention_days: int | None,
    now: dt.datetime,
) -> Archive:
    _check_pattern(pattern)
    if description is not None:
        archive.description = description
    if retention_days is not None:
        archive.retention_days = retention_days
    if pattern is not None:
        archive.event_pattern = pattern
        if archive.rule is not None:
            archive.rule.event_pattern = _rule_pattern(pattern)
            archive.rule.save(update_fields=["event_pattern"])
            events.rule_changed(archive.rule, "changed", now=now)
    archive.save()
    events.archive_changed(archive, "changed", now=now)
    return archive


def archive_delete(*, archive: Archive, now: dt.datetime) -> None:
    if archive.rule is not None:
        events.rule_changed(archive.rule, "deleted", now=now)
        archive.rule.delete()
    events.archive_changed(archive, "deleted", now=now)
    archive.delete()


def purge(archives: list[Archive], *, now: dt.datetime) -> None:
    """Drop the events that outlived their archive's retention (sandbox clock)."""
    for archive in archives:
        if archive.retention_days:
            cutoff = now - dt.timedelta(days=archive.retention_days)
            ArchivedEvent.objects.filter(archive=archive, archived_at__lt=cutoff).delete()


def archives_list(
    *, sandbox: Sandbox, region: str, prefix: str, source_arn: str, state: str, now: dt.datetime
) -> list[Archive]:
    rows = Archive.objects.select_related("bus", "sandbox").filter(sandbox=sandbox, region=region).order_by("name")
    found = [
        archive
        for archive in rows
        if archive.name.startswith(prefix)
        and (not source_arn or archive.bus.arn == source_arn)
        and (not state or archive.state == state)
    ]
    purge(found, now=now)
    return found


def archive_description(archive: Archive, *, full: bool) -> dict[str, Any]:
    totals = ArchivedEvent.objects.filter(archive=archive).aggregate(count=Count("id"), size=Sum("size"))
    found: dict[str, Any] = {
        "ArchiveName": archive.name,
        "EventSourceArn": archive.bus.arn,
        "State": archive.state,
        "RetentionDays": archive.retention_days,
        "SizeBytes": totals["size"] or 0,
        "EventCount": totals["count"] or 0,
        "CreationTime": archive.created_at,
    }
    if full:
        found["ArchiveArn"] = archive.arn
        if archive.description:
            found["Description"] = archive.description
        if archive.event_pattern:
            found["EventPattern"] = archive.event_pattern
    return found


def archive_store(rule: Rule, event: dict[str, Any], *, now: dt.datetime) -> None:
    """An event the archive's managed rule matched, kept in the archive."""
    archive = getattr(rule, "archive", None)
    if archive is None:
        return
    text = json.dumps(event, separators=(",", ":"))
    try:
        at = dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        at = now
    ArchivedEvent.objects.create(
        sandbox_id=archive.sandbox_id,
        archive=archive,
        event=event,
        event_time=at,
        archived_at=now,
        size=len(text.encode()),
    )


# --- replays -------------------------------------------------------------------------------------


def replay_find(*, sandbox: Sandbox, region: str, name: str, lock: bool = False) -> Replay:
    rows = Replay.objects.select_for_update(of=("self",)) if lock else Replay.objects.all()
    replay = rows.select_related("sandbox").filter(sandbox=sandbox, region=region, name=name).first()
    if replay is None:
        raise ResourceNotFoundException(f"Replay {name} does not exist.")
    return replay


def _archive_by_arn(*, sandbox: Sandbox, region: str, arn: str) -> Archive:
    match = re.match(r"^arn:aws[\w-]*:events:(?P<region>[\w-]+):(?P<account>\d{12}):archive/(?P<name>.+)$", arn or "")
    if match is None:
        raise ValidationException(
            "Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format."
        )
    if match.group("account") != sandbox.account_id or match.group("region") != region:
        raise ResourceNotFoundException(f"Archive {match.group('name')} does not exist.")
    return archive_find(sandbox=sandbox, region=region, name=match.group("name"))


def replay_start(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    description: str,
    source_arn: str,
    start: dt.datetime,
    end: dt.datetime,
    destination: dict[str, Any],
    now: dt.datetime,
) -> Replay:
    if not NAME.match(name):
        raise ValidationException("Parameter ReplayName is not valid.")
    if Replay.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise ResourceAlreadyExistsException(f"Replay {name} already exists.")
    archive = _archive_by_arn(sandbox=sandbox, region=region, arn=source_arn)
    if start >= end:
        raise ValidationException(
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
        )
    if end > now:
        raise ValidationException(
            "Parameter EventEndTime is not valid. Reason: EventEndTime must be before the current time."
        )
    if destination.get("Arn") != archive.bus.arn:
        raise ValidationException(
            "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
        )
    for arn in destination.get("FilterArns") or []:
        found = rules.RULE_ARN.match(arn)
        bus_name = found.group("path").rpartition("/")[0] or "default" if found else ""
        if (
            found is None
            or bus_name != archive.bus.name
            or not Rule.objects.filter(bus=archive.bus, name=found.group("path").rpartition("/")[2]).exists()
        ):
            raise ValidationException(
                f"Parameter Destination.FilterArns is not valid. Reason: {arn} is not a rule of event bus"
                f" {archive.bus.name}."
            )
    replay = Replay.objects.create(
        sandbox=sandbox,
        region=region,
        name=name,
        description=description,
        archive_arn=archive.arn,
        archive=archive,
        destination={key: value for key, value in destination.items() if value},
        event_start=start,
        event_end=end,
        cursor=start,
        started_at=now,
    )
    _next_step(replay, at=now + STEP)
    events.replay_changed(replay, "created", now=now)
    return replay


def replay_cancel(*, replay: Replay, now: dt.datetime) -> Replay:
    if replay.state not in (STARTING, RUNNING):
        raise IllegalStatusException(f"Replay {replay.name} is not in a valid state for this operation.")
    replay.state = CANCELLING
    replay.save(update_fields=["state"])  # the next step (a second later) makes it CANCELLED
    events.replay_changed(replay, "changed", now=now)
    return replay


def replay_steps(*, sandbox: Sandbox, replay_id: int, due_at: dt.datetime, now: dt.datetime) -> None:
    """The replay's steps that became due by `now` (the timer), each at its own second: start
    running, replay the next minute that holds events, complete, or finish a cancel."""
    replay = (
        Replay.objects.select_for_update(of=("self",))  # the archive is an outer join: lock the replay only
        .select_related("sandbox", "archive__bus__sandbox")
        .filter(pk=replay_id)
        .first()
    )
    at = due_at
    while replay is not None and at <= now:
        if not _step(replay, at=at):
            return
        at += STEP
    if replay is not None:
        _next_step(replay, at=at)


def _next_step(replay: Replay, *, at: dt.datetime) -> None:
    schedule_timer(
        sandbox=replay.sandbox,
        due_at=at,
        kind="eventbridge.replay",
        payload={"replay": replay.pk, "at": at.isoformat()},
    )


def _finish(replay: Replay, state: str, *, at: dt.datetime, reason: str = "") -> bool:
    replay.state, replay.ended_at, replay.state_reason = state, at, reason
    replay.save(update_fields=["state", "ended_at", "state_reason"])
    events.replay_changed(replay, "changed", now=at)
    return False


def _step(replay: Replay, *, at: dt.datetime) -> bool:
    """One step at `at`; whether the replay goes on."""
    from services.eventbridge.ingest import route_many

    if replay.state in (COMPLETED, CANCELLED, "FAILED"):
        return False
    if replay.state == CANCELLING:
        return _finish(replay, CANCELLED, at=at)
    archive = replay.archive
    if archive is None:
        return _finish(replay, "FAILED", at=at, reason="The archive was deleted.")
    purge([archive], now=at)
    window = ArchivedEvent.objects.filter(
        archive=archive, event_time__gte=replay.cursor, event_time__lt=replay.event_end
    )
    first = window.order_by("event_time", "id").first()
    if replay.state == RUNNING and first is None:
        return _finish(replay, COMPLETED, at=at)
    replay.state = RUNNING
    if first is None:
        replay.cursor = replay.event_end  # nothing in the window: the next step completes it
    else:
        minute = first.event_time.replace(second=0, microsecond=0)
        until = min(minute + MINUTE, replay.event_end)
        batch = list(window.filter(event_time__lt=until).order_by("event_time", "id"))
        replayed = [{**row.event, "replay-name": replay.name} for row in batch]
        bus = archive.bus
        filter_arns = set(replay.destination.get("FilterArns") or [])
        events.replayed(replay, bus_arn=bus.arn, ids=[event["id"] for event in replayed], now=at)
        route_many(
            bus=bus, arrived=replayed, now=at, only=(lambda rule: rule.arn in filter_arns) if filter_arns else None
        )
        replay.cursor = until
        replay.last_replayed = batch[-1].event_time
        replay.replayed_events += len(batch)
    replay.save()
    events.replay_changed(replay, "changed", now=at)
    return True


def replays_list(*, sandbox: Sandbox, region: str, prefix: str, state: str, source_arn: str) -> list[Replay]:
    rows = Replay.objects.select_related("sandbox").filter(sandbox=sandbox, region=region).order_by("name")
    return [
        replay
        for replay in rows
        if replay.name.startswith(prefix)
        and (not state or replay.state == state)
        and (not source_arn or replay.archive_arn == source_arn)
    ]


def replay_description(replay: Replay, *, full: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ReplayName": replay.name,
        "EventSourceArn": replay.archive_arn,
        "State": replay.state,
        "EventStartTime": replay.event_start,
        "EventEndTime": replay.event_end,
        "ReplayStartTime": replay.started_at,
    }
    if replay.state_reason:
        found["StateReason"] = replay.state_reason
    if replay.last_replayed:
        found["EventLastReplayedTime"] = replay.last_replayed
    if replay.ended_at:
        found["ReplayEndTime"] = replay.ended_at
    if full:
        found["ReplayArn"] = replay.arn
        found["Destination"] = replay.destination
        if replay.description:
            found["Description"] = replay.description
    return found
