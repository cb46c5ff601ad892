"""Log events in and out: PutLogEvents with AWS's limits and rejection rules, GetLogEvents with
forward and backward tokens, FilterLogEvents across a group's streams.

PutLogEvents refuses the whole batch for its own problems (too large, out of order, spanning more
than 24 hours) and, among valid batches, stores what it can: events more than 2 hours in the
future, more than 14 days old, or older than the group's retention are left out and reported in
rejectedLogEventsInfo by index, as AWS reports them. Sequence tokens are accepted and ignored, as
AWS has done since January 2023 (no InvalidSequenceTokenException, no DataAlreadyAcceptedException).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Max, Min

from playground.db import insert_many, update_many

from . import delivery, events, metrics
from .exceptions import InvalidParameterException
from .groups import epoch_ms, oldest_kept, sequence_token
from .models import LogEvent, LogGroup, LogStream, MetricFilter, SubscriptionFilter
from .patterns import Pattern, PatternError, compile_pattern

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 1_048_576
MAX_PAST_MS = 14 * 86_400_000
MAX_FUTURE_MS = 2 * 3_600_000
MAX_SPAN_MS = 24 * 3_600_000
MAX_RESPONSE_BYTES = 1_048_576
DEFAULT_LIMIT = 10_000


@dataclass(frozen=True)
class Stored:
    """An event as the readers need it."""

    pk: int
    stream_name: str
    timestamp: int
    ingested: int
    message: str

    @property
    def event_id(self) -> str:
        return f"{self.pk:056d}"

    def size(self) -> int:
        return len(self.message.encode()) + EVENT_OVERHEAD


def event_size(message: str) -> int:
    return (len(message) if message.isascii() else len(message.encode())) + EVENT_OVERHEAD


def put_events(
    stream: LogStream, *, log_events: list[dict[str, Any]], now: dt.datetime, writer: str | None = None
) -> dict[str, Any]:
    group = stream.group
    now_ms = epoch_ms(now)
    newest_allowed, oldest_allowed = now_ms + MAX_FUTURE_MS, now_ms - MAX_PAST_MS
    kept_from = oldest_kept(group, now=now)
    expires_after = group.retention_days * 86_400_000 if group.retention_days is not None else None
    sandbox_id, group_id, stream_id = group.sandbox_id, group.pk, stream.pk
    # One pass over the batch (10,000 events at most): the rows to insert, and what the checks
    # below need; the batch's own problems are raised afterwards, in AWS's order.
    rows: list[tuple[Any, ...]] = []
    rejected: dict[str, int] = {}
    too_large = 0
    total = 0
    ordered = True
    previous = None
    for index, event in enumerate(log_events):
        message = event["message"]
        stamp = int(event["timestamp"])
        size = (len(message) if message.isascii() else len(message.encode())) + EVENT_OVERHEAD
        total += size
        if size > MAX_EVENT_BYTES and not too_large:
            too_large = size
        if previous is not None and stamp < previous:
            ordered = False
        previous = stamp
        if stamp > newest_allowed:
            rejected.setdefault("tooNewLogEventStartIndex", index)
        elif stamp < oldest_allowed:
            rejected["tooOldLogEventEndIndex"] = index
        elif kept_from is not None and stamp < kept_from:
            rejected["expiredLogEventEndIndex"] = index
        else:
            expires = stamp + expires_after if expires_after is not None else None
            rows.append((sandbox_id, group_id, stream_id, stamp, now_ms, message, size, expires))
    if too_large:
        raise InvalidParameterException(f"Log event too large: {too_large} bytes exceeds limit of {MAX_EVENT_BYTES}")
    if total > MAX_BATCH_BYTES:
        raise InvalidParameterException(f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")
    if not ordered:
        raise InvalidParameterException("Log events in a single PutLogEvents request must be in chronological order.")
    if log_events and int(log_events[-1]["timestamp"]) - int(log_events[0]["timestamp"]) > MAX_SPAN_MS:
        raise InvalidParameterException(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
    has_subscriptions, has_metric_filters = _filters_of(group) if rows else (False, False)
    subscriptions = list(SubscriptionFilter.objects.filter(group=group)) if has_subscriptions else []
    before = _newest_in(stream) if subscriptions else 0
    _insert(rows)
    stream.uploads += 1
    if rows:
        first, last = rows[0][3], rows[-1][3]
        stream.first_event = first if stream.first_event is None else min(stream.first_event, first)
        stream.last_event = last if stream.last_event is None else max(stream.last_event, last)
        stream.last_ingestion = now_ms
    update_many(LogStream, _COUNTERS, [(stream.uploads, stream.first_event, stream.last_event,
                                        stream.last_ingestion, stream.pk)])  # fmt: skip
    if rows:
        metric_filters = list(MetricFilter.objects.filter(group=group)) if has_metric_filters else []
        if metric_filters or subscriptions:
            if subscriptions:
                # The stream is locked for this call, so the rows after the newest before it are these.
                ids = list(
                    LogEvent.objects.filter(stream=stream, id__gt=before).order_by("id").values_list("id", flat=True)
                )
            else:
                ids = [0] * len(rows)
            stored = [Stored(pk, stream.name, row[3], now_ms, row[5]) for pk, row in zip(ids, rows, strict=True)]
            metrics.apply_filters(group, stored, filters=metric_filters, now=now)
            if subscriptions:
                delivery.enqueue(group, stored, subscriptions=subscriptions, now=now)
        events.events_put(group.sandbox, group=group, stream=stream, count=len(rows),
                          size=sum(row[6] for row in rows), now=now, writer=writer)  # fmt: skip
    output: dict[str, Any] = {"nextSequenceToken": sequence_token(stream)}
    if rejected:
        output["rejectedLogEventsInfo"] = rejected
    return output


_INSERTED = ("sandbox", "group", "stream", "timestamp", "ingested", "message", "size", "expires")
_COUNTERS = ("uploads", "first_event", "last_event", "last_ingestion")


def _filters_of(group: LogGroup) -> tuple[bool, bool]:
    """(has subscription filters, has metric filters): one statement of our own, since most groups
    have neither and every put (each Lambda invocation's log lines too) asks."""
    with connection.cursor() as cursor:
        cursor.execute(_filters_sql(connection.vendor), [group.pk, group.pk])
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1])


@cache
def _filters_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    subscriptions, metric_filters = (
        f"{quote(model._meta.db_table)} WHERE {quote(str(model._meta.get_field('group').column))} = %s"
        for model in (SubscriptionFilter, MetricFilter)
    )
    return f"SELECT EXISTS (SELECT 1 FROM {subscriptions}), EXISTS (SELECT 1 FROM {metric_filters})"  # noqa: S608


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Store the events in one insert_many: PutLogEvents' 10,000 rows through model instances and
    bulk_create cost more server time than everything else in the call."""
    if rows:
        insert_many(LogEvent, _INSERTED, rows)


def _newest_in(stream: LogStream) -> int:
    return int(LogEvent.objects.filter(stream=stream).aggregate(top=Max("id"))["top"] or 0)


# --- reading --------------------------------------------------------------------------------------

_COLUMNS = ("pk", "stream__name", "timestamp", "ingested", "message")


def _event_output(event: Stored, *, with_stream: bool) -> dict[str, Any]:
    output: dict[str, Any] = {"timestamp": event.timestamp, "message": event.message, "ingestionTime": event.ingested}
    if with_stream:
        output = {"logStreamName": event.stream_name, **output, "eventId": event.event_id}
    return output


def _position_token(direction: str, timestamp: int, pk: int) -> str:
    return f"{direction}/{timestamp:020d}{pk:036d}"


def _read_position(token: str) -> tuple[str, int, int]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or len(digits) != 56 or not digits.isdigit():
        raise InvalidParameterException("The specified nextToken is invalid.")
    return direction, int(digits[:20]), int(digits[20:])


def get_events(
    stream: LogStream,
    *,
    start: int | None,
    end: int | None,
    token: str | None,
    limit: int | None,
    start_from_head: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    rows = LogEvent.objects.filter(stream=stream)
    kept_from = oldest_kept(stream.group, now=now)
    if kept_from is not None:
        rows = rows.filter(timestamp__gte=kept_from)
    if start is not None:
        rows = rows.filter(timestamp__gte=start)
    if end is not None:
        rows = rows.filter(timestamp__lt=end)
    size = limit or DEFAULT_LIMIT
    forward = start_from_head
    if token:
        direction, stamp, pk = _read_position(token)
        forward = direction == "f"
        if forward:
            rows = rows.filter(timestamp__gt=stamp) | rows.filter(timestamp=stamp, id__gt=pk)
        else:
            rows = rows.filter(timestamp__lt=stamp) | rows.filter(timestamp=stamp, id__lt=pk)
    ordered = rows.order_by("timestamp", "id") if forward else rows.order_by("-timestamp", "-id")
    picked: list[Stored] = []
    total = 0
    for values in ordered.values_list(*_COLUMNS)[:size]:
        event = Stored(*values)
        total += event.size()
        if total > MAX_RESPONSE_BYTES and picked:
            break
        picked.append(event)
    if not forward:
        picked.reverse()
    if picked:
        first, last = picked[0], picked[-1]
        forward_token = _position_token("f", last.timestamp, last.pk)
        backward_token = _position_token("b", first.timestamp, first.pk)
    elif token:
        # At the end (or start) of the stream: the token given comes back, as AWS answers.
        _, stamp, pk = _read_position(token)
        forward_token, backward_token = _position_token("f", stamp, pk), _position_token("b", stamp, pk)
    else:
        edge = start if start is not None else 0
        forward_token, backward_token = _position_token("f", edge, 0), _position_token("b", edge, 0)
    return {
        "events": [_event_output(event, with_stream=False) for event in picked],
        "nextForwardToken": forward_token,
        "nextBackwardToken": backward_token,
    }


def compile_or_refuse(text: str | None, *, what: str = "filter") -> Pattern:
    try:
        return compile_pattern(text)
    except PatternError:
        raise InvalidParameterException(f"Invalid {what} pattern") from None


def _filter_token(timestamp: int, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([timestamp, pk]).encode()).decode()


def _read_filter_token(token: str) -> tuple[int, int]:
    try:
        timestamp, pk = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(timestamp), int(pk)
    except (ValueError, TypeError):
        raise InvalidParameterException("The specified nextToken is invalid.") from None


def scan(
    group: LogGroup,
    *,
    stream_ids: list[int] | None,
    start: int | None,
    end: int | None,
    after: tuple[int, int] | None,
    now: dt.datetime,
    required: tuple[str, ...] = (),
) -> Iterator[Stored]:
    """The group's events in time order (timestamp, then arrival), within retention; with
    `required`, only those whose message contains each text (the database's LIKE, which may
    ignore case: a superset, which the pattern then narrows)."""
    rows = LogEvent.objects.filter(group=group)
    for text in required:
        rows = rows.filter(message__contains=text)
    kept_from = oldest_kept(group, now=now)
    lower = max(value for value in (kept_from, start) if value is not None) if (kept_from or start) else None
    if lower is not None:
        rows = rows.filter(timestamp__gte=lower)
    if end is not None:
        rows = rows.filter(timestamp__lte=end)
    if stream_ids is not None:
        rows = rows.filter(stream_id__in=stream_ids)
    if after is not None:
        stamp, pk = after
        rows = rows.filter(timestamp__gt=stamp) | rows.filter(timestamp=stamp, id__gt=pk)
    names = dict(LogStream.objects.filter(group=group).values_list("pk", "name"))
    for pk, stream_id, timestamp, ingested, message in (
        rows.order_by("timestamp", "id")
        .values_list("pk", "stream_id", "timestamp", "ingested", "message")
        .iterator(chunk_size=5000)
    ):
        yield Stored(pk, names.get(stream_id, ""), timestamp, ingested, message)


def filter_events(
    group: LogGroup,
    *,
    stream_names: list[str] | None,
    stream_prefix: str | None,
    start: int | None,
    end: int | None,
    pattern_text: str | None,
    token: str | None,
    limit: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    if stream_names and stream_prefix:
        raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    pattern = compile_or_refuse(pattern_text)
    stream_ids: list[int] | None = None
    if stream_names:
        stream_ids = list(LogStream.objects.filter(group=group, name__in=stream_names).values_list("pk", flat=True))
    elif stream_prefix:
        stream_ids = list(
            LogStream.objects.filter(group=group, name__startswith=stream_prefix).values_list("pk", flat=True)
        )
    after = _read_filter_token(token) if token else None
    size = limit or DEFAULT_LIMIT
    found: list[Stored] = []
    total = 0
    more = False
    for event in scan(
        group, stream_ids=stream_ids, start=start, end=end, after=after, now=now, required=pattern.required
    ):
        if pattern.kind != "all" and not pattern.matches(event.message):
            continue
        if len(found) == size or (total + event.size() > MAX_RESPONSE_BYTES and found):
            more = True
            break
        total += event.size()
        found.append(event)
    output: dict[str, Any] = {
        "events": [_event_output(event, with_stream=True) for event in found],
        "searchedLogStreams": [],
    }
    if more:
        output["nextToken"] = _filter_token(found[-1].timestamp, found[-1].pk)
    return output


def newest_since(group: LogGroup, *, after: int, pattern: Pattern, limit: int, now: dt.datetime) -> list[Stored]:
    """The live tail: events that arrived after event `after` (its id), matching the pattern."""
    rows = LogEvent.objects.filter(group=group, id__gt=after).order_by("id")
    kept_from = oldest_kept(group, now=now)
    if kept_from is not None:
        rows = rows.filter(timestamp__gte=kept_from)
    matched = [Stored(*values) for values in rows.values_list(*_COLUMNS)[:5000] if pattern.matches(values[4])]
    return matched[-limit:]


def newest_id(group: LogGroup) -> int:
    return int(LogEvent.objects.filter(group=group).aggregate(top=Max("id"))["top"] or 0)


def time_span(group: LogGroup) -> tuple[int | None, int | None]:
    span = LogEvent.objects.filter(group=group).aggregate(first=Min("timestamp"), last=Max("timestamp"))
    return span["first"], span["last"]
